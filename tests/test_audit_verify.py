"""verify / `copygen audit verify`: every kind of tampering is caught with exit 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from copygen.audit import AuditLog, canonical_json, event_hash, verify

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    from copygen.cli.main import app

    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.output


def build_log(path: Path) -> str:
    with AuditLog.open(path, run="run-a") as log:
        log.append("run_started", command="generate", platforms=["social"])
        log.append("generated", item="S1:social:zh:v1", response="这是最好的面霜", cost=0.0123)
        log.append("checked", item="S1:social:zh:v1", attempt=1, status="blocked", findings=[])
        log.append("run_finished", counts={"total": 1, "blocked": 1})
    with AuditLog.open(path, run="run-b") as log:
        log.append("run_started", command="review")
        log.append("reviewed", item="S1:social:zh:v1", reviewer="王芳", decision="rejected")
        log.append("run_finished", counts={"rejected": 1})
        return log.head


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    path = tmp_path / "audit.jsonl"
    build_log(path)
    return path


def raw_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def assert_fails(path: Path, line: int, reason: str, *extra: str) -> None:
    code, output = cli("verify", str(path), *extra)
    assert code == 4, output
    assert f"{path}:{line}:" in output, output
    assert reason in output, output
    report = verify(path, expect_head=extra[1] if extra else None)
    assert not report.ok and report.line == line and reason in (report.reason or "")


def test_untouched_log_verifies(log_path: Path) -> None:
    head = json.loads(raw_lines(log_path)[-1])["hash"]
    code, output = cli("verify", str(log_path))
    assert code == 0
    assert output.strip() == f"ok: 7 events, 2 runs, head {head}"
    report = verify(log_path, expect_head=head)
    assert report.ok and report.events == 7 and report.runs == 2 and report.head == head


def test_edited_character_is_a_hash_mismatch(log_path: Path) -> None:
    lines = raw_lines(log_path)
    lines[1] = lines[1].replace("最好".encode(), "很好".encode())
    write_lines(log_path, lines)
    assert_fails(log_path, 2, "hash mismatch")


def test_edited_number_is_a_hash_mismatch(log_path: Path) -> None:
    lines = raw_lines(log_path)
    lines[1] = lines[1].replace(b'"cost":0.0123', b'"cost":0.0124')
    write_lines(log_path, lines)
    assert_fails(log_path, 2, "hash mismatch")


def test_added_whitespace_is_not_canonical(log_path: Path) -> None:
    lines = raw_lines(log_path)
    lines[2] = lines[2].replace(b'"attempt":1', b'"attempt": 1')
    write_lines(log_path, lines)
    assert_fails(log_path, 3, "canonical")


def test_deleted_line_is_a_sequence_gap(log_path: Path) -> None:
    lines = raw_lines(log_path)
    del lines[2]
    write_lines(log_path, lines)
    assert_fails(log_path, 3, "sequence gap")


def test_deleted_first_line(log_path: Path) -> None:
    write_lines(log_path, raw_lines(log_path)[1:])
    assert_fails(log_path, 1, "sequence gap")


def test_inserted_copy_of_a_line(log_path: Path) -> None:
    lines = raw_lines(log_path)
    lines.insert(3, lines[2])
    write_lines(log_path, lines)
    assert_fails(log_path, 4, "sequence out of order")


def test_inserted_copy_at_the_end(log_path: Path) -> None:
    lines = raw_lines(log_path)
    write_lines(log_path, [*lines, lines[1]])
    assert_fails(log_path, 8, "sequence out of order")


def test_swapped_lines(log_path: Path) -> None:
    lines = raw_lines(log_path)
    lines[3], lines[4] = lines[4], lines[3]
    write_lines(log_path, lines)
    assert_fails(log_path, 4, "sequence gap")


def test_truncated_tail_needs_the_kept_head(log_path: Path) -> None:
    head = json.loads(raw_lines(log_path)[-1])["hash"]
    write_lines(log_path, raw_lines(log_path)[:-2])
    code, _ = cli("verify", str(log_path))
    assert code == 0  # a shorter chain is still a valid chain ...
    assert_fails(log_path, 6, "not found", "--expect-head", head)  # ... but not the kept one


def test_kept_head_of_an_earlier_run_passes_when_the_log_grew(log_path: Path) -> None:
    head_after_run_a = json.loads(raw_lines(log_path)[3])["hash"]
    code, output = cli("verify", str(log_path), "--expect-head", head_after_run_a.upper())
    assert code == 0 and "expected head is line 4; 3 later events follow" in output


def test_rehashed_line_breaks_the_next_link(log_path: Path) -> None:
    lines = raw_lines(log_path)
    event = json.loads(lines[1])
    event["response"] = "这是很好的面霜"
    event["hash"] = event_hash(event)
    lines[1] = (canonical_json(event) + "\n").encode()
    write_lines(log_path, lines)
    assert_fails(log_path, 3, "broken link")


def test_rewritten_tail_is_caught_only_by_the_kept_head(log_path: Path) -> None:
    head = json.loads(raw_lines(log_path)[-1])["hash"]
    events = [json.loads(line) for line in raw_lines(log_path)]
    events[1]["response"] = "这是很好的面霜"
    for i in range(1, len(events)):
        events[i]["prev"] = events[i - 1]["hash"]
        events[i]["hash"] = event_hash(events[i])
    write_lines(log_path, [(canonical_json(e) + "\n").encode() for e in events])
    assert verify(log_path).ok
    assert_fails(log_path, 8, "not found", "--expect-head", head)


def test_bad_json_line(log_path: Path) -> None:
    lines = raw_lines(log_path)
    lines[4] = lines[4][:20] + b"\n"
    write_lines(log_path, lines)
    assert_fails(log_path, 5, "bad JSON")


def test_missing_envelope_field(log_path: Path) -> None:
    lines = raw_lines(log_path)
    event = json.loads(lines[0])
    del event["ts"]
    lines[0] = (canonical_json(event) + "\n").encode()
    write_lines(log_path, lines)
    assert_fails(log_path, 1, "'ts'")


def test_torn_tail_fails_until_recovered(log_path: Path) -> None:
    with log_path.open("ab") as fh:
        fh.write(b'{"v":1,"seq":8')
    assert_fails(log_path, 8, "incomplete last line")
    code, output = cli("recover", str(log_path))
    assert code == 0 and output.startswith("ok: 8 events")
    code, output = cli("verify", str(log_path))
    assert code == 0 and "8 events" in output


def test_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert verify(path).ok and verify(path).events == 0


def test_usage_errors_exit_2(tmp_path: Path, log_path: Path) -> None:
    code, output = cli("verify", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such audit log" in output
    code, output = cli("verify", str(log_path), "--expect-head", "abc123")
    assert code == 2 and "--expect-head" in output
    code, output = cli("recover", str(tmp_path / "missing.jsonl"))
    assert code == 2


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_is_detected(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "prop.jsonl"
    if not path.exists():
        build_log(path)
    original = path.read_bytes()
    pos = data.draw(st.integers(0, len(original) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[pos]))
    changed = bytearray(original)
    changed[pos] = byte
    target = tmp_path / "changed.jsonl"
    target.write_bytes(bytes(changed))
    assert not verify(target).ok
