"""results.jsonl and the audit log prove each other: a hand-edited record is refused.

Every record's SHA-256 is logged by the event that produced it (``recorded`` at the
end of an item, ``reviewed`` for a decision), and export, report and ``audit verify
OUTDIR`` check each record against it. Also here: ``export --group-by sku`` refuses
file names that collide before it writes anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, record_sha256, verify
from copygen.audit.chain import GENESIS, sealed_line
from copygen.cli.main import app
from copygen.config import load_settings
from copygen.errors import ExitCode
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer, default_responder

API_KEY = "sk-fake-BINDING-0a1b2c3d4e5f60718293"
PRODUCTS = """sku,title,category,selling_points,attributes,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,净含量:50g,99
B-2,全麦吐司 400g,食品,低糖配方,净含量:400g,19.9
C-3,纯棉T恤,服饰,100%纯棉,面料:纯棉,59
"""
BLOCKED = "B-2:social:zh:v1"
runner = CliRunner()


def _responder(fail: set[str] | None = None) -> Any:
    """Clean copy, except B-2, whose body claims the lowest price (a block finding)."""

    def respond(body: dict[str, Any]) -> str | Behavior:
        text = json.dumps(body.get("messages"), ensure_ascii=False)
        for sku in fail or ():
            if sku in text:
                return Behavior.error(500, "model overloaded")
        reply = default_responder(body)
        if "B-2" in text:
            fields = json.loads(reply)
            fields["body"] = "全网最低价，手慢无！" + str(fields.get("body", ""))
            return json.dumps(fields, ensure_ascii=False)
        return reply

    return respond


def _generate(
    server: FakeOpenAIServer, products: Path, outdir: Path, *extra: str, code: int = 0
) -> None:
    result = runner.invoke(
        app,
        server.generate_args(products, outdir, "-q", *extra),
        env={"OPENAI_API_KEY": API_KEY, "COPYGEN_MAX_RETRIES": "0"},
    )
    assert result.exit_code == code, result.output


@pytest.fixture
def server() -> Any:
    with FakeOpenAIServer(api_key=API_KEY, responder=_responder()) as srv:
        yield srv


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS, encoding="utf-8")
    return path


@pytest.fixture
def outdir(server: FakeOpenAIServer, products: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    _generate(server, products, out)
    return out


def _lines(outdir: Path) -> list[dict[str, Any]]:
    text = (outdir / "results.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _write(outdir: Path, records: list[dict[str, Any]]) -> None:
    with open(outdir / "results.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _edit(outdir: Path, item: str, **changes: Any) -> int:
    """Change one record by hand, as an editor would; return its line number."""
    records = _lines(outdir)
    for number, record in enumerate(records, start=1):
        if record["id"] == item:
            record.update(changes)
            _write(outdir, records)
            return number
    raise AssertionError(f"no record {item}")


def _invoke(*args: str, **kwargs: Any) -> Any:
    return runner.invoke(app, list(args), **kwargs)


def _error_line(result: Any) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("copygen: error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def rechain(events: list[dict[str, Any]]) -> bytes:
    """Events written again as a fresh chain without MACs: an older copygen, or a forger."""
    out, head = b"", GENESIS
    for seq, event in enumerate(events, start=1):
        body = {k: v for k, v in event.items() if k not in ("hash", "mac")}
        body.update(seq=seq, prev=head)
        head, line = sealed_line(body)
        out += line
    return out


# --- the binding ----------------------------------------------------------------------------


def test_every_record_is_logged_before_its_line_and_the_folder_verifies(outdir: Path) -> None:
    records = {r["id"]: r for r in _lines(outdir)}
    assert records[BLOCKED]["status"] == "blocked"
    events = read_events(outdir / "audit.jsonl")
    recorded = [e for e in events if e["event"] == "recorded"]
    assert {e["item"]: e["record_sha256"] for e in recorded} == {
        item: record_sha256(record) for item, record in records.items()
    }
    for event in recorded:
        # The item's last event of the run: nothing of the item follows it.
        later = [e for e in events if e["seq"] > event["seq"] and e.get("item") == event["item"]]
        assert later == []
        assert event["status"] == records[event["item"]]["status"]
    result = _invoke("audit", "verify", str(outdir))
    assert result.exit_code == 0, result.output
    assert "results.jsonl: 3 of 3 records proven" in result.output
    assert (
        _invoke("audit", "show", str(outdir / "audit.jsonl"), "--event", "recorded").exit_code == 0
    )


def test_flipping_blocked_to_pass_is_refused_everywhere(outdir: Path, tmp_path: Path) -> None:
    line = _edit(outdir, BLOCKED, status="pass")
    log = outdir / "audit.jsonl"
    before = log.read_bytes()
    target = tmp_path / "publish.csv"
    result = _invoke("export", str(outdir), "--to", str(target))
    assert result.exit_code == ExitCode.AUDIT
    message = _error_line(result)
    assert "results.jsonl: does not match the audit log" in message
    assert f"for 1 item: {BLOCKED} (line {line}: edited after it was logged)" in message
    assert not target.exists()
    assert log.read_bytes() == before  # a refused export leaves no trace to explain away

    report = tmp_path / "report.html"
    result = _invoke("report", str(outdir), "-o", str(report))
    assert result.exit_code == ExitCode.AUDIT
    assert BLOCKED in _error_line(result)
    assert not report.exists()

    result = _invoke("audit", "verify", str(outdir))
    assert result.exit_code == ExitCode.AUDIT
    assert BLOCKED in _error_line(result)
    # The chain itself is intact: only the folder's records fail.
    assert _invoke("audit", "verify", str(log)).exit_code == 0


def test_an_edited_text_and_a_made_up_record_are_named(outdir: Path, tmp_path: Path) -> None:
    records = _lines(outdir)
    records[0]["fields"] = {**records[0]["fields"], "body": "全网最低价"}
    forged = {**records[2], "id": "Z-9:social:zh:v1", "sku": "Z-9"}
    _write(outdir, [*records, forged])
    result = _invoke("export", str(outdir), "--to", str(tmp_path / "p.jsonl"))
    assert result.exit_code == ExitCode.AUDIT
    message = _error_line(result)
    assert "for 2 items:" in message
    assert f"{records[0]['id']} (line 1: edited after it was logged)" in message
    assert "Z-9:social:zh:v1 (line 4: not in the audit log)" in message


def test_many_mismatches_stay_one_short_line(outdir: Path, tmp_path: Path) -> None:
    records = _lines(outdir)
    forged = [{**records[0], "id": f"{'X' * 5000}-{n}", "status": "pass"} for n in range(40)]
    _write(outdir, [*records, *forged])
    result = _invoke("export", str(outdir), "--to", str(tmp_path / "p.csv"))
    assert result.exit_code == ExitCode.AUDIT
    message = _error_line(result)
    assert "for 40 items:" in message and "… and 35 more" in message
    assert len(message) < 1500


def test_spacing_and_key_order_do_not_matter(outdir: Path, tmp_path: Path) -> None:
    records = _lines(outdir)
    with open(outdir / "results.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True, indent=None, ensure_ascii=True) + "\n")
    result = _invoke("export", str(outdir), "--to", str(tmp_path / "p.jsonl"))
    assert result.exit_code == 0, result.output
    assert "exported 2 items" in result.output
    assert "warning" not in result.output


def test_a_review_decision_logs_the_new_record(outdir: Path, tmp_path: Path) -> None:
    old = {r["id"]: r for r in _lines(outdir)}[BLOCKED]
    result = _invoke(
        "review", str(outdir), "--decide", f"{BLOCKED}=approve", "--force", "--reason", "ok'd"
    )
    assert result.exit_code == 0, result.output
    new = {r["id"]: r for r in _lines(outdir)}[BLOCKED]
    assert new["status"] == "approved"
    reviewed = read_events(outdir / "audit.jsonl", event="reviewed")[-1]
    assert reviewed["replaces_sha256"] == record_sha256(old)
    assert reviewed["record_sha256"] == record_sha256(new)
    target = tmp_path / "p.jsonl"
    result = _invoke("export", str(outdir), "--to", str(target))
    assert result.exit_code == 0, result.output
    assert BLOCKED in target.read_text(encoding="utf-8")
    exported = read_events(outdir / "audit.jsonl", event="exported")[-1]
    assert exported["records"] == {"total": 3, "proven": 3, "mismatched": 0, "unproven": 0}

    # The record the decision replaced is no longer good, even though it was once.
    _write(outdir, [old if r["id"] == BLOCKED else r for r in _lines(outdir)])
    result = _invoke("audit", "verify", str(outdir))
    assert result.exit_code == ExitCode.AUDIT
    assert f"{BLOCKED} (line 2: replaced by a later decision in the log)" in _error_line(result)


def test_deciding_on_an_edited_record_does_not_launder_it(outdir: Path, tmp_path: Path) -> None:
    # blocked -> review by hand, so that approving needs no --force; a reviewer then
    # approves what they see. The log shows the decision, but not a record it came from.
    _edit(outdir, BLOCKED, status="review")
    result = _invoke("review", str(outdir), "--decide", f"{BLOCKED}=approve", "--reason", "ok")
    assert result.exit_code == 0, result.output
    result = _invoke("export", str(outdir), "--to", str(tmp_path / "p.jsonl"))
    assert result.exit_code == ExitCode.AUDIT
    assert f"{BLOCKED} (line 2: decided on a record the log never held)" in _error_line(result)


def test_undo_logs_the_restored_record(outdir: Path) -> None:
    from copygen.review import ReviewSession
    from copygen.review.decisions import Decision

    settings = load_settings(cli={}, cwd=outdir, home=outdir)
    with ReviewSession.open(outdir, settings=settings, reviewer="dana") as session:
        session.decide(Decision(BLOCKED, "reject", reason="price claim"))
        assert _invoke("audit", "verify", str(outdir)).exit_code == 0
        session.undo()
    undo = read_events(outdir / "audit.jsonl", event="reviewed")[-1]
    assert undo["decision"] == "undone"
    assert undo["record_sha256"] == record_sha256({r["id"]: r for r in _lines(outdir)}[BLOCKED])
    result = _invoke("audit", "verify", str(outdir))
    assert result.exit_code == 0, result.output
    assert "3 of 3 records proven" in result.output


def test_resume_and_retried_errors_stay_proven(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.responder = _responder(fail={"C-3"})
    out = tmp_path / "out"
    _generate(server, products, out, code=ExitCode.BACKEND)
    assert {r["id"]: r["status"] for r in _lines(out)}["C-3:social:zh:v1"] == "error"
    server.responder = _responder()
    server.clear()
    _generate(server, products, out)  # resumes: only C-3 is asked for again
    assert len(server.chat_requests) == 1
    result = _invoke("audit", "verify", str(out))
    assert result.exit_code == 0, result.output
    assert "2 runs" in result.output and "3 of 3 records proven" in result.output


def test_a_shared_audit_log_proves_each_folder(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared.jsonl"
    first, second = tmp_path / "one", tmp_path / "two"
    _generate(server, products, first, "--audit", str(shared))
    _generate(server, products, second, "--audit", str(shared), "--seed", "7")
    for folder in (first, second):
        result = _invoke("audit", "verify", str(folder))  # the log named in run.json
        assert result.exit_code == 0, result.output
        assert "3 of 3 records proven" in result.output
    _edit(second, BLOCKED, status="pass")
    assert _invoke("audit", "verify", str(first)).exit_code == 0
    result = _invoke("export", str(second), "--to", str(tmp_path / "p.csv"))
    assert result.exit_code == ExitCode.AUDIT
    assert BLOCKED in _error_line(result)


# --- logs written before record hashes ------------------------------------------------------


def _make_old(outdir: Path) -> None:
    """The folder as an older copygen left it: the same log without ``recorded`` events."""
    log = outdir / "audit.jsonl"
    events = [e for e in read_events(log) if e["event"] != "recorded"]
    log.write_bytes(rechain(events))


def test_an_older_log_verifies_but_cannot_prove_records(outdir: Path, tmp_path: Path) -> None:
    _make_old(outdir)
    log = outdir / "audit.jsonl"
    assert verify(log).ok
    assert _invoke("audit", "verify", str(log)).exit_code == 0
    result = _invoke("audit", "verify", str(outdir))
    assert result.exit_code == ExitCode.AUDIT
    assert "3 records cannot be proven: the audit log" in _error_line(result)
    assert "holds no record hashes" in result.output

    # Export and report go on, say so on stderr, and the log records it.
    result = _invoke("export", str(outdir), "--to", str(tmp_path / "p.csv"))
    assert result.exit_code == 0, result.output
    assert "copygen: warning: 3 records cannot be proven" in result.output
    exported = read_events(log, event="exported")[-1]
    assert exported["records"]["unproven"] == 3
    result = _invoke("report", str(outdir), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    assert "copygen: warning: 3 records cannot be proven" in result.output
    # A hand edit in such a folder is not caught: nothing in the log can tell.
    _edit(outdir, BLOCKED, status="pass")
    assert _invoke("export", str(outdir), "--to", str(tmp_path / "p.csv")).exit_code == 0


def test_a_missing_log_leaves_records_unproven(outdir: Path, tmp_path: Path) -> None:
    (outdir / "audit.jsonl").unlink()
    result = _invoke("audit", "verify", str(outdir))
    assert result.exit_code == ExitCode.AUDIT
    assert "there is no audit log at" in _error_line(result)
    result = _invoke("report", str(outdir), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 0
    assert "copygen: warning: no audit log found" in result.output


def test_a_broken_chain_stops_export(outdir: Path, tmp_path: Path) -> None:
    log = outdir / "audit.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"social"', b'"soshal"', 1)
    log.write_bytes(b"".join(lines))
    result = _invoke("export", str(outdir), "--to", str(tmp_path / "p.csv"))
    assert result.exit_code == ExitCode.AUDIT
    message = _error_line(result)
    assert "audit.jsonl:2: the audit log fails verification: hash mismatch" in message
    assert not (tmp_path / "p.csv").exists()


# --- export --group-by sku: file names ------------------------------------------------------


def _offline_folder(tmp_path: Path, skus: list[str]) -> Path:
    products = tmp_path / "p.csv"
    rows = [f"{sku},保湿面霜 {n},美妆,清爽不黏腻,99" for n, sku in enumerate(skus)]
    products.write_text(
        "sku,title,category,selling_points,price\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = _invoke("generate", str(products), "-o", str(out), "--platforms", "social", "-q")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(
    ("skus", "expected"),
    [
        (["A/1", "A_1"], "map to the same file name (publish-A_1.csv, publish-A_1.csv)"),
        (["ab-1", "AB-1"], "differ only in case (publish-ab-1.csv, publish-AB-1.csv)"),
        (["caf\u00e9", "CAFE\u0301"], "differ only in case"),
    ],
)
def test_group_by_sku_refuses_colliding_file_names(
    tmp_path: Path, skus: list[str], expected: str
) -> None:
    out = _offline_folder(tmp_path, skus)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = _invoke("export", str(out), "--to", str(tmp_path / "publish.csv"), "--group-by", "sku")
    assert result.exit_code == ExitCode.USAGE
    message = _error_line(result)
    assert f"--group-by sku: {skus[0]!r} and {skus[1]!r}" in message
    assert expected in message and "nothing was written" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert read_events(out / "audit.jsonl", event="exported") == []
    # One workbook with a sheet each has no such problem.
    result = _invoke(
        "export", str(out), "--to", str(tmp_path / "publish.xlsx"), "--group-by", "sku"
    )
    assert result.exit_code == 0, result.output


def test_group_files_stay_within_file_name_limits(tmp_path: Path) -> None:
    long_sku = "面" * 300  # 900 bytes of UTF-8: no file system takes that as a name
    out = _offline_folder(tmp_path, [long_sku, "B-2"])
    result = _invoke(
        "export", str(out), "--to", str(tmp_path / "publish.jsonl"), "--group-by", "sku"
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.glob("publish-*.jsonl"))
    assert len(names) == 2
    assert all(len(name.encode("utf-8")) <= 255 for name in names)


# --- a hostile log: no line is read past the limit ------------------------------------------


@pytest.fixture
def small_lines(monkeypatch: pytest.MonkeyPatch) -> int:
    """The per-line limit cut to 4 KiB, so that a test needs no 64 MiB file."""
    import importlib

    # By module name: the package's ``verify`` attribute is the function.
    for name in ("copygen.audit.verify", "copygen.audit.log"):
        monkeypatch.setattr(importlib.import_module(name), "MAX_LINE_BYTES", 4096)
    return 4096


def test_an_overlong_line_stops_every_reader(tmp_path: Path, small_lines: int) -> None:
    from copygen.audit import AuditLog

    log = tmp_path / "audit.jsonl"
    with AuditLog.open(log) as writer:
        writer.append("run_started", command="test")
    with open(log, "ab") as handle:
        handle.write(b'{"v":1,' + b" " * (small_lines * 4) + b"}\n")
    expected = f"audit.jsonl:2: line longer than {small_lines} bytes"
    result = _invoke("audit", "verify", str(log))
    assert result.exit_code == ExitCode.AUDIT
    assert expected in _error_line(result)
    result = _invoke("audit", "show", str(log))  # line 1, then the error
    assert result.exit_code == ExitCode.AUDIT
    assert result.output.splitlines()[-1].startswith("copygen: error: ")
    assert expected in result.output and len(result.output) < 1000
    # A tail with no line break in sight is refused before anything is appended to
    # it, without reading it all (the reader goes back in 64 KiB steps).
    log.write_bytes(log.read_bytes().splitlines(keepends=True)[0] + b"x" * (200 << 10))
    size = log.stat().st_size
    result = _invoke("audit", "recover", str(log))
    assert result.exit_code == ExitCode.AUDIT
    assert "has no line break in its last" in _error_line(result)
    assert log.stat().st_size == size


def test_an_event_over_the_limit_is_not_written(tmp_path: Path, small_lines: int) -> None:
    from copygen.audit import AuditLog
    from copygen.errors import CopygenError

    log = tmp_path / "audit.jsonl"
    with AuditLog.open(log) as writer:
        writer.append("run_started", command="test")
        with pytest.raises(CopygenError, match="over the audit log's limit"):
            writer.append("generated", response="字" * small_lines)
        writer.append("run_finished", outcome="completed")
    assert verify(log).ok and verify(log).events == 2
