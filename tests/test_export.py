"""copygen export: only publishable items leave, with both AI labels, recorded in the audit log."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from test_review_fixtures import build_items, make_outdir
from typer.testing import CliRunner

from copygen.audit import AuditLog, read_events, verify
from copygen.cli.main import app
from copygen.config import load_settings
from copygen.errors import InputError
from copygen.review import export, publishable_record, resolve_audit_path, table_row

runner = CliRunner()


def _approve_all_flagged(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the EN social item approved (its body starts with a formula)."""
    for record in items:
        if record["id"] == "EL-001:social:en:v1":
            record["status"] = "approved"
            record["review"] = {
                "reviewer": "carol",
                "decision": "approved",
                "reason": "ok",
                "ts": "2026-11-28T11:00:00Z",
                "forced": False,
                "edited": False,
            }
    return items


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return make_outdir(tmp_path / "out", _approve_all_flagged(build_items()))


def _settings(tmp_path: Path, yaml_text: str | None = None) -> Any:
    if yaml_text is None:
        return load_settings(cli={}, cwd=tmp_path, home=tmp_path)
    config = tmp_path / "copygen.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    return load_settings(cli={}, config_path=config, cwd=tmp_path, home=tmp_path)


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_only_publishable_with_labels_and_formula_safety(outdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "publish.csv"
    result = export(outdir=outdir, to=target, settings=_settings(tmp_path))
    assert result.count == 3
    assert result.skipped == {"review": 1, "blocked": 2, "error": 1}
    rows = {row["id"]: row for row in _read_csv(target)}
    assert set(rows) == {
        "BT-001:livestream:zh:v1",
        "FD-001:livestream:zh:v1",
        "EL-001:social:en:v1",
    }
    en = rows["EL-001:social:en:v1"]
    # The body started with "=": neutralised, and the visible label is at its end.
    assert en["body"].startswith("'=HYPERLINK(")
    assert en["body"].endswith("\nAI-generated content")
    assert en["hashtags"] == "earbuds / -tech / commute"
    # The implicit label travels as columns.
    assert en["aigc_generated"] == "true"
    assert en["aigc_provider"] == "copygen"
    assert en["aigc_model"] == "deepseek-chat"
    assert en["aigc_content_id"] == "cid-EL-001:social:en:v1"
    assert en["aigc_label"] == "AI-generated content"
    assert en["aigc_label_position"] == "end"
    assert en["reviewer"] == "carol"
    live = rows["BT-001:livestream:zh:v1"]
    assert live["segments"].split("\n")[0] == "含透明质酸钠与神经酰胺，干皮友好"
    assert live["aigc_label"] == ""  # livestream labels are off by default
    assert live["product_title"] == "水润保湿精华液 30ml"


def test_recorded_label_cannot_be_switched_off(tmp_path: Path) -> None:
    item = _approve_all_flagged(build_items())[-1]
    settings = _settings(tmp_path, "aigc:\n  labels:\n    social: {enabled: false}\n")
    record = publishable_record(item, settings=settings)
    assert record["fields"]["body"].endswith("\nAI-generated content")
    assert record["aigc"]["label"] == {"text": "AI-generated content", "position": "end"}
    assert record["aigc"]["generated"] is True


def test_configured_label_applies_to_unlabelled_platform(tmp_path: Path) -> None:
    item = build_items()[0]  # livestream, no label recorded
    settings = _settings(
        tmp_path,
        "aigc:\n  labels:\n    livestream: {enabled: true, position: start, text_zh: AI生成}\n",
    )
    record = publishable_record(item, settings=settings)
    assert record["fields"]["hook"].startswith("AI生成\n")
    assert record["aigc"]["label"] == {"text": "AI生成", "position": "start"}
    row = table_row(record)
    assert row["aigc_label"] == "AI生成" and row["aigc_label_position"] == "start"


def test_missing_implicit_label_is_rebuilt(tmp_path: Path) -> None:
    from copygen.compliance.aigc import content_id_for

    item = build_items()[0]
    del item["aigc"]
    record = publishable_record(item, settings=_settings(tmp_path))
    assert record["aigc"]["generated"] is True
    assert record["aigc"]["content_id"] == content_id_for(item["id"], item["fields"])


def test_jsonl_and_exported_event(outdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "publish.jsonl"
    result = runner.invoke(app, ["export", str(outdir), "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert "exported 3 items" in result.output
    lines = target.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["status"] for r in records] == ["pass", "approved", "approved"]
    social = records[2]
    assert social["aigc"] == {
        "generated": True,
        "provider": "copygen",
        "model": "deepseek-chat",
        "content_id": "cid-EL-001:social:en:v1",
        "label": {"text": "AI-generated content", "position": "end"},
    }
    assert social["fields"]["hashtags"] == ["earbuds", "-tech", "commute"]
    audit = outdir / "audit.jsonl"
    assert verify(audit).ok
    events = list(read_events(audit))
    assert [e["event"] for e in events] == ["run_started", "exported", "run_finished"]
    exported = events[1]
    assert exported["path"] == str(target.resolve())
    assert exported["format"] == "jsonl"
    assert exported["items"] == 3
    assert exported["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert exported["labels"] is True
    assert exported["item_ids"] == [r["id"] for r in records]


def test_xlsx_grouped_by_platform(outdir: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "publish.xlsx"
    result = runner.invoke(
        app, ["export", str(outdir), "--to", str(target), "--group-by", "platform"]
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["livestream", "social"]
    social = [[c.value for c in row] for row in workbook["social"].iter_rows()]
    header = social[0]
    assert "body" in header and "hook" not in header  # one platform's fields per sheet
    body = social[1][header.index("body")]
    assert body.startswith("'=HYPERLINK(") and body.endswith("AI-generated content")
    for row in workbook["social"].iter_rows():
        assert all(cell.data_type != "f" for cell in row)
    live = [[c.value for c in row] for row in workbook["livestream"].iter_rows()]
    assert len(live) == 3
    event = next(e for e in read_events(outdir / "audit.jsonl") if e["event"] == "exported")
    assert event["groups"] == {"livestream": 2, "social": 1}


def test_csv_grouped_by_sku_writes_one_file_each(outdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "publish.csv"
    result = export(outdir=outdir, to=target, settings=_settings(tmp_path), group_by="sku")
    names = sorted(f.path.name for f in result.files)
    assert names == ["publish-BT-001.csv", "publish-EL-001.csv", "publish-FD-001.csv"]
    assert not target.exists()
    counts = {f.group: f.count for f in result.files}
    assert counts == {"BT-001": 1, "FD-001": 1, "EL-001": 1}
    events = [e for e in read_events(outdir / "audit.jsonl") if e["event"] == "exported"]
    assert len(events) == 3
    for event in events:
        assert event["sha256"] == hashlib.sha256(Path(event["path"]).read_bytes()).hexdigest()


def test_nothing_publishable_writes_header_only(tmp_path: Path) -> None:
    items = [i for i in build_items() if i["status"] in ("review", "blocked")]
    outdir = make_outdir(tmp_path / "out", items)
    target = tmp_path / "none.csv"
    result = export(outdir=outdir, to=target, settings=_settings(tmp_path))
    assert result.count == 0
    assert _read_csv(target) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "x.txt"], "cannot export to '.txt'"),
        (["--to", "x.csv", "--group-by", "brand"], "cannot group by 'brand'"),
    ],
)
def test_bad_options_exit_2(outdir: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["export", str(outdir), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (outdir / "audit.jsonl").exists()


def test_missing_folder_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(tmp_path / "nope"), "--to", "x.csv"])
    assert result.exit_code == 2
    assert "output folder not found" in result.output


def test_busy_audit_log_refuses_and_writes_nothing(outdir: Path, tmp_path: Path) -> None:
    target = tmp_path / "publish.csv"
    with AuditLog.open(outdir / "audit.jsonl"):
        result = runner.invoke(app, ["export", str(outdir), "--to", str(target)])
    assert result.exit_code == 2
    assert "another process is writing this audit log" in result.output
    assert not target.exists()


def test_audit_path_resolution(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    settings = _settings(tmp_path)
    assert resolve_audit_path(folder, settings=settings) == folder / "audit.jsonl"
    (folder / "run.json").write_text(
        json.dumps({"fingerprint": {}, "runs": [{"run": "r1", "audit": "/srv/shared.jsonl"}]}),
        encoding="utf-8",
    )
    assert resolve_audit_path(folder, settings=settings) == Path("/srv/shared.jsonl")
    (folder / "run.json").write_text(json.dumps({"audit": "logs/a.jsonl"}), encoding="utf-8")
    assert resolve_audit_path(folder) == folder / "logs" / "a.jsonl"
    assert resolve_audit_path(folder, explicit="x.jsonl") == Path("x.jsonl")


def test_export_format_error_is_input_error(outdir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        export(outdir=outdir, to=tmp_path / "x.pdf", settings=_settings(tmp_path))
