"""`copygen audit show` and `copygen audit stats`, and the stats library."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copygen.audit import AuditLog, read_events
from copygen.audit.stats import compute_stats

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    from copygen.cli.main import app

    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.output


def finding(category: str, rule: str = "r") -> dict:
    return {"rule": rule, "category": category, "severity": "block", "field": "body"}


def usage(p: int, c: int) -> dict:
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    a, b = "S1:social:zh:v1", "S2:detail:zh:v1"
    with AuditLog.open(path, run="20261128T100000Z-aaaa0001") as log:
        log.append(
            "run_started",
            command="generate",
            version="0.1.0",
            backend="openai",
            model="gpt-x",
            platforms=["social", "detail"],
            input={"path": "p.csv"},
        )
        log.append(
            "generated",
            item=a,
            sku="S1",
            attempt=1,
            backend="openai",
            model="gpt-x",
            usage=usage(100, 50),
            cost=0.002,
            latency_ms=420,
        )
        log.append(
            "checked",
            item=a,
            attempt=1,
            status="blocked",
            findings=[finding("absolute_term"), finding("medical_claim")],
        )
        log.append(
            "generated",
            item=a,
            sku="S1",
            attempt=2,
            backend="openai",
            model="gpt-x",
            usage=usage(120, 60),
            cost=0.003,
            latency_ms=380,
        )
        log.append("checked", item=a, attempt=2, status="pass", findings=[])
        log.append(
            "repaired",
            item=a,
            attempt=2,
            from_attempt=1,
            status="pass",
            findings_fixed=["r", "r"],
            findings_remaining=[],
        )
        log.append(
            "generated",
            item=b,
            sku="S2",
            attempt=1,
            backend="openai",
            model="gpt-x",
            usage=usage(80, 40),
            cost=0.001,
            cached=False,
        )
        log.append(
            "checked", item=b, attempt=1, status="review", findings=[finding("absolute_term")]
        )
        log.append(
            "generated",
            item="S3:social:zh:v1",
            attempt=1,
            backend="openai",
            model="gpt-x",
            error="timeout",
            response=None,
        )
        log.append("run_finished", counts={"total": 3, "pass": 1, "review": 1, "error": 1})
    with AuditLog.open(path, run="20261128T110000Z-bbbb0002") as log:
        log.append("run_started", command="generate", resumed=True)
        log.append(
            "generated",
            item="S3:social:zh:v1",
            attempt=1,
            backend="openai",
            model="gpt-x",
            usage=usage(90, 45),
            cached=True,
            cost=0.0,
        )
        log.append("checked", item="S3:social:zh:v1", attempt=1, status="pass", findings=[])
        log.append(
            "reviewed", item=b, reviewer="李雷", decision="approved", reason="已核实", forced=False
        )
        log.append("exported", path="out/results.xlsx", format="xlsx", items=3, sha256="ab" * 32)
        log.append("run_finished", counts={"total": 1})
    return path


def test_show_text_lists_every_event(log_path: Path) -> None:
    code, output = cli("show", str(log_path))
    assert code == 0
    rows = output.strip().splitlines()
    assert len(rows) == 16
    assert "run_started" in rows[0] and "generate copygen 0.1.0" in rows[0]
    assert "S1:social:zh:v1" in rows[2] and "status=blocked findings=2" in rows[2]
    assert "absolute_term" in rows[2] and "medical_claim" in rows[2]
    assert "tokens=150" in rows[1] and "latency=420ms" in rows[1]
    assert "error=timeout" in rows[8]
    assert "approved by 李雷: 已核实" in rows[13]
    assert "out/results.xlsx" in rows[14]


def test_show_filters(log_path: Path) -> None:
    code, output = cli("show", str(log_path), "--item", "S1:social:zh:v1", "--format", "jsonl")
    events = [json.loads(line) for line in output.strip().splitlines()]
    assert code == 0 and len(events) == 5
    assert {e["item"] for e in events} == {"S1:social:zh:v1"}
    code, output = cli("show", str(log_path), "--item", "S2", "--format", "jsonl")
    assert code == 0 and len(output.strip().splitlines()) == 3  # SKU prefix
    code, output = cli("show", str(log_path), "--event", "checked,reviewed", "--format", "jsonl")
    assert [json.loads(x)["event"] for x in output.strip().splitlines()] == [
        "checked",
        "checked",
        "checked",
        "checked",
        "reviewed",
    ]
    code, output = cli("show", str(log_path), "--run", "20261128T11", "--event", "run_started")
    assert code == 0 and len(output.strip().splitlines()) == 1 and "bbbb0002" in output
    # jsonl output is the lines as stored, byte for byte
    code, output = cli("show", str(log_path), "--format", "jsonl")
    assert output.encode() == log_path.read_bytes()


def test_show_rejects_bad_options(log_path: Path) -> None:
    code, output = cli("show", str(log_path), "--format", "xml")
    assert code == 2 and "--format" in output
    code, output = cli("show", str(log_path), "--event", "generatd")
    assert code == 2 and "unknown event generatd" in output


def test_stats_text(log_path: Path) -> None:
    code, output = cli("stats", str(log_path))
    assert code == 0, output
    assert "events       16 in 2 runs" in output
    assert "items        3 (approved 1, pass 2)" in output
    assert "pass rate 66.7%" in output and "first-attempt pass rate 33.3%" in output
    assert "repairs 1" in output
    assert "reviews      approved 1" in output
    assert "model calls  4 (cached 1, failed 1); openai/gpt-x 4" in output
    assert "prompt 300  completion 150  total 450" in output
    assert "cost         0.0060 USD" in output
    lines = output.splitlines()
    row = next(line for line in lines if "absolute_term" in line)
    assert row.split()[-2:] == ["2", "1"]  # found 2, one left (S2, approved by a person)
    row = next(line for line in lines if "medical_claim" in line)
    assert row.split()[-2:] == ["1", "0"]


def test_stats_json_and_run_filter(log_path: Path) -> None:
    code, output = cli("stats", str(log_path), "--json", "--run", "20261128T10")
    data = json.loads(output)
    assert code == 0 and data["runs"] == 1 and data["items"] == 3
    assert data["statuses"] == {"error": 1, "pass": 1, "review": 1}
    assert data["findings_found"] == {"absolute_term": 2, "medical_claim": 1}
    assert data["findings_remaining"] == {"absolute_term": 1}
    assert data["tokens"]["total_tokens"] == 450 and data["cost"] == {"USD": 0.006}


def test_stats_of_an_empty_log() -> None:
    stats = compute_stats([])
    assert stats.events == 0 and stats.pass_rate is None and stats.items == 0


def test_read_events_filters(log_path: Path) -> None:
    assert len(read_events(log_path)) == 16
    assert len(read_events(log_path, event=["generated"], run="20261128T10")) == 4
    assert read_events(log_path, item="S9") == []


def test_show_on_a_log_being_written(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog.open(path) as log:
        log.append("run_started")
        with path.open("ab") as fh:
            fh.write(b'{"partial')  # what a reader sees mid-write
        code, output = cli("show", str(path))
        assert code == 0 and len(output.strip().splitlines()) == 1
        code, output = cli("verify", str(path))
        assert code == 0 and "still being written" in output


def test_audit_cli_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, time; t = time.perf_counter(); import copygen.cli.main; "
        "bad = [m for m in ('openai', 'jieba', 'jinja2', 'rich', 'openpyxl') if m in sys.modules];"
        "print(bad)"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    assert time.perf_counter() - start < 10


def test_show_into_a_closed_pipe_is_quiet(log_path: Path) -> None:
    import subprocess
    import sys

    with AuditLog.open(log_path, max_unsynced=10_000) as log:  # fast setup
        for i in range(3000):
            log.append("generated", item=f"S{i}:social:zh:v1", response="文案" * 50)
    show = subprocess.Popen(
        [sys.executable, "-m", "copygen", "audit", "show", str(log_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert show.stdout is not None and show.stderr is not None
    show.stdout.readline()
    show.stdout.close()
    err = show.stderr.read()
    assert show.wait(timeout=30) == 0
    assert b"Traceback" not in err


def test_stats_undo_restores_the_previous_status() -> None:
    base = {"run": "r1", "v": 1}
    events = [
        {
            **base,
            "event": "checked",
            "item": "A:social:zh:v1",
            "attempt": 1,
            "status": "review",
            "findings": [],
        },
        {
            **base,
            "event": "reviewed",
            "item": "A:social:zh:v1",
            "decision": "approved",
            "before": {"status": "review"},
            "after": {"status": "approved"},
        },
        {
            **base,
            "event": "reviewed",
            "item": "A:social:zh:v1",
            "decision": "undone",
            "before": {"status": "approved"},
            "after": {"status": "review"},
        },
    ]
    stats = compute_stats(events)
    assert stats.statuses == {"review": 1}
    assert stats.reviews == {"approved": 1, "undone": 1}
