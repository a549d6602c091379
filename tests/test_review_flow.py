"""The reviewer flow end to end: generate → review → export → report, all audited.

Uses ``docs/report_demo.py`` (the script behind the README screenshot): the real
pipeline against the fake OpenAI-compatible server, with a fake model that slips
on some products, then a reviewer's decisions, an export and the report.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_report import _run_chromium, parse, squash
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.cli.main import app
from copygen.review import summarize, write_report

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_demo", REPO / "docs" / "report_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("flow")
    result: dict[str, Any] = _demo().build(base)
    result["base"] = base
    return result


def _records(run: Path) -> dict[str, dict[str, Any]]:
    lines = (run / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["id"]: r for r in (json.loads(line) for line in lines)}


@pytest.mark.slow
def test_generate_flags_the_slips(flow: dict[str, Any]) -> None:
    demo = _demo()
    summary = flow["summary"]
    assert summary.items == 15 * 3
    records = _records(flow["run"]).values()
    flagged_keys = {
        (r["sku"], r["platform"])
        for r in records
        if r["status"] in ("review", "blocked", "approved", "rejected")
    }
    # Every Chinese slip of the fake model was caught by the checker (English rule
    # coverage is the rule packs' business, not this flow's).
    assert {key for key in demo.SLIPS if not key[0].startswith("EN-")} <= flagged_keys


@pytest.mark.slow
def test_decisions_are_in_results_and_audit(flow: dict[str, Any]) -> None:
    demo = _demo()
    run = flow["run"]
    records = {(r["sku"], r["platform"]): r for r in _records(run).values()}
    for key, (verdict, reason, force) in demo.DECISIONS.items():
        record = records[key]
        assert record["status"] == ("approved" if verdict == "approve" else "rejected")
        assert record["review"]["reviewer"] == "王敏"
        assert record["review"]["reason"] == reason
        assert record["review"]["forced"] is (
            force and record["review"]["check_status"] == "blocked"
        )
    edited = records[("BT-001", "detail")]
    assert edited["status"] == "approved" and edited["review"]["edited"] is True
    assert "最好" not in edited["fields"]["headline"]
    # The whole log verifies, on the command line too.
    assert verify(run / "audit.jsonl").ok
    check = runner.invoke(app, ["audit", "verify", str(run / "audit.jsonl")])
    assert check.exit_code == 0, check.output
    reviewed = [e for e in read_events(run / "audit.jsonl") if e["event"] == "reviewed"]
    assert len(reviewed) == len(demo.DECISIONS) + len(demo.EDITS)
    by_item = {e["item"]: e for e in reviewed}
    assert by_item[edited["id"]]["before"]["fields"]["headline"].startswith("最好用的")
    assert by_item[edited["id"]]["after"]["fields"] == edited["fields"]


@pytest.mark.slow
def test_export_holds_only_publishable_items(flow: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    run = flow["run"]
    records = _records(run)
    publishable = {i for i, r in records.items() if r["status"] in ("pass", "approved")}
    exported = flow["export"]
    assert exported.count == len(publishable)
    target = flow["base"] / "publish.xlsx"
    rows = list(load_workbook(target)["export"].iter_rows(values_only=True))
    header = list(rows[0])
    ids = {row[header.index("id")] for row in rows[1:]}
    assert ids == publishable
    for row in rows[1:]:
        values = dict(zip(header, row, strict=True))
        assert values["aigc_generated"] is True
        assert values["aigc_content_id"]
        if values["platform"] == "social":  # the visible label is on by default there
            assert values["aigc_label"] in ("本内容由AI辅助生成", "AI-generated content")
            assert str(values["body"]).endswith(values["aigc_label"])
    event = next(e for e in read_events(run / "audit.jsonl") if e["event"] == "exported")
    assert event["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert sorted(event["item_ids"]) == sorted(publishable)
    # Exporting the same folder as CSV through the command gives the same items.
    csv_path = flow["base"] / "publish.csv"
    result = runner.invoke(app, ["export", str(run), "--to", str(csv_path)])
    assert result.exit_code == 0, result.output
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert {row["id"] for row in csv.DictReader(io.StringIO(text, newline=""))} == publishable


@pytest.mark.slow
def test_report_numbers_match_the_results(flow: dict[str, Any], tmp_path: Path) -> None:
    run = flow["run"]
    records = list(_records(run).values())
    html = tmp_path / "report.html"
    data = write_report(outdir=run, output=html)
    assert data.total == len(records)
    assert data.by_status == summarize(records).by_status
    passed = sum(1 for r in records if r["status"] == "pass")
    expected_rate = f"{passed / len(records) * 100:.1f}%"
    assert data.cost_total is not None and data.currency == "CNY"
    done = _run_chromium(tmp_path, "--dump-dom", html.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = parse(done.stdout)
    assert expected_rate in squash(dom.texts["kpi-pass-rate"])
    assert f"{len(records)}" in squash(dom.texts["kpi-total"])
    assert "CNY" in dom.texts["kpi-cost"]
    assert squash(dom.texts["f-count"]) == f"{len(data.flagged)} / {len(data.flagged)}"
