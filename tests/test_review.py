"""copygen review: decisions are validated, logged in the audit chain and written atomically."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from test_review_fixtures import build_items, make_outdir
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.cli.main import app
from copygen.config import load_settings
from copygen.errors import InputError
from copygen.review import (
    Decision,
    QueueFilter,
    ReviewSession,
    check_status,
    fields_from_text,
    fields_to_text,
    parse_decision,
    read_decisions_csv,
)

runner = CliRunner()

SOCIAL = "BT-001:social:zh:v1"  # review (warn: 私信)
DETAIL = "BT-001:detail:zh:v1"  # blocked (最好, 治疗湿疹)
TEA = "FD-001:social:zh:v1"  # blocked (unsupported fact)
EN = "EL-001:social:en:v1"  # review (Best)
PASS = "BT-001:livestream:zh:v1"
ERROR = "FD-001:detail:zh:v1"
APPROVED = "FD-001:livestream:zh:v1"


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return make_outdir(tmp_path / "out")


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return load_settings(cli={}, cwd=tmp_path, home=tmp_path)


def results(outdir: Path) -> dict[str, dict[str, Any]]:
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len({r["id"] for r in records}) == len(records)  # rewritten, not appended
    return {r["id"]: r for r in records}


def reviewed_events(outdir: Path) -> list[dict[str, Any]]:
    return [e for e in read_events(outdir / "audit.jsonl") if e["event"] == "reviewed"]


# --- small parts ---------------------------------------------------------------------------


def test_parse_decision_words() -> None:
    assert parse_decision(" Approve ") == "approve"
    assert parse_decision("rejected") == "reject"
    assert parse_decision("驳回") == "reject"
    with pytest.raises(ValueError, match="unknown decision 'maybe'"):
        parse_decision("maybe")


def test_check_status_of_decided_items() -> None:
    items = {i["id"]: i for i in build_items()}
    assert check_status(items[DETAIL]) == "blocked"
    assert check_status(items[APPROVED]) == "review"  # from its findings
    forced = {**items[DETAIL], "status": "approved", "review": {"check_status": "blocked"}}
    assert check_status(forced) == "blocked"


def test_queue_filters() -> None:
    items = build_items()
    ids = lambda f: [i["id"] for i in items if f.matches(i)]  # noqa: E731
    assert ids(QueueFilter()) == [SOCIAL, DETAIL, TEA, EN]
    assert ids(QueueFilter(statuses=("blocked",))) == [DETAIL, TEA]
    assert ids(QueueFilter(categories=("medical_claim",))) == [DETAIL]
    assert ids(QueueFilter(platforms=("social",), skus=("BT-001",))) == [SOCIAL]
    assert ids(QueueFilter(rules=("zh.absolute",))) == [DETAIL]  # a rule-id prefix
    assert ids(QueueFilter(rules=("zh.absolute.superlative",))) == [DETAIL]
    assert ids(QueueFilter(rules=("zh.abs",))) == []  # prefixes end at a dot
    assert ids(QueueFilter(statuses=("approved",))) == [APPROVED]


def test_edit_text_round_trip() -> None:
    fields = {
        "headline": "好用的保湿精华",
        "bullets": ["一", "二", "三"],
        "description": "第一段\n第二段",
    }
    text = fields_to_text(fields, item_id=DETAIL)
    assert [line for line in text.splitlines() if line.startswith("@@")] == [
        "@@ headline",
        "@@ bullets",
        "@@ description",
    ]
    assert fields_from_text(text, template=fields, platform="detail") == fields
    edited = text.replace("二\n", "二改\n\n").replace("第二段", "第二段（改）")
    assert fields_from_text(edited, template=fields, platform="detail") == {
        "headline": "好用的保湿精华",
        "bullets": ["一", "二改", "三"],
        "description": "第一段\n第二段（改）",
    }
    with pytest.raises(ValueError, match="unknown field '@@ title'"):
        fields_from_text(text + "@@ title\nx\n", template=fields, platform="detail")
    with pytest.raises(ValueError, match="'@@ description' is missing"):
        fields_from_text(text.split("@@ description")[0], template=fields, platform="detail")


def test_read_decisions_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(
        f'\ufeffid,decision,reason\n{SOCIAL},approve,\n{EN},reject,"夸大, 需改"\n\n'.encode()
    )
    decisions = read_decisions_csv(path)
    assert [(d.item_id, d.decision, d.reason) for d in decisions] == [
        (SOCIAL, "approve", None),
        (EN, "reject", "夸大, 需改"),
    ]
    assert decisions[1].source == f"{path}:3"
    # No header: id, decision, reason by position.
    path.write_text(f"{SOCIAL},approved,fine\n", encoding="utf-8")
    assert read_decisions_csv(path)[0].reason == "fine"
    path.write_text(f"id,decision\n{SOCIAL},perhaps\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_decisions_csv(path)
    assert info.value.row == 2 and info.value.column == "decision"
    with pytest.raises(InputError, match="not found"):
        read_decisions_csv(tmp_path / "missing.csv")


# --- the session API -----------------------------------------------------------------------


def test_approve_and_reject_are_logged_and_written(outdir: Path, settings: Any) -> None:
    with ReviewSession.open(outdir, settings=settings, reviewer="alice") as session:
        updated = session.decide_many(
            [
                Decision(SOCIAL, "approve"),
                Decision(EN, "reject", reason="夸大表述"),
            ]
        )
    assert [u["status"] for u in updated] == ["approved", "rejected"]
    records = results(outdir)
    assert records[SOCIAL]["status"] == "approved"
    review = records[SOCIAL]["review"]
    assert review["reviewer"] == "alice" and review["decision"] == "approved"
    assert review["forced"] is False and review["edited"] is False
    assert review["check_status"] == "review"
    assert records[EN]["review"]["reason"] == "夸大表述"
    assert records[DETAIL]["status"] == "blocked"  # untouched
    report = verify(outdir / "audit.jsonl")
    assert report.ok
    events = list(read_events(outdir / "audit.jsonl"))
    assert [e["event"] for e in events] == [
        "run_started",
        "reviewed",
        "reviewed",
        "run_finished",
    ]
    assert events[0]["command"] == "review"
    first = events[1]
    assert first["item"] == SOCIAL and first["decision"] == "approved"
    assert first["reviewer"] == "alice"
    assert first["before"] == {"status": "review"}
    assert first["after"]["status"] == "approved"
    assert events[2]["reason"] == "夸大表述"
    assert events[3]["counts"] == {"approved": 1, "rejected": 1}


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision("nope", "approve"), "no item with id 'nope'"),
        (Decision(PASS, "approve"), "is 'pass'"),
        (Decision(ERROR, "reject", reason="x"), "is 'error'"),
        (Decision(SOCIAL, "reject"), "needs a reason"),
        (Decision(SOCIAL, "reject", reason="   "), "needs a reason"),
        (Decision(DETAIL, "approve", reason="ok"), "needs --force"),
        (Decision(DETAIL, "approve", force=True), "needs a reason"),
    ],
)
def test_invalid_decisions_change_nothing(
    outdir: Path, settings: Any, decision: Decision, message: str
) -> None:
    before = (outdir / "results.jsonl").read_bytes()
    with (
        ReviewSession.open(outdir, settings=settings, reviewer="alice") as session,
        pytest.raises(InputError, match=message),
    ):
        # A good decision first: the batch is all or nothing.
        session.decide_many([Decision(EN, "approve"), decision])
    assert (outdir / "results.jsonl").read_bytes() == before
    assert not (outdir / "audit.jsonl").exists()


def test_force_approve_blocked(outdir: Path, settings: Any) -> None:
    with ReviewSession.open(outdir, settings=settings, reviewer="lawyer") as session:
        session.decide(Decision(DETAIL, "approve", reason="法务已确认", force=True))
    record = results(outdir)[DETAIL]
    assert record["status"] == "approved"
    assert record["review"]["forced"] is True
    assert record["review"]["check_status"] == "blocked"
    event = reviewed_events(outdir)[0]
    assert event["forced"] is True and event["reason"] == "法务已确认"


def test_force_is_not_recorded_for_review_items(outdir: Path, settings: Any) -> None:
    with ReviewSession.open(outdir, settings=settings, reviewer="a") as session:
        session.decide(Decision(SOCIAL, "approve", force=True))
    assert results(outdir)[SOCIAL]["review"]["forced"] is False


def test_decided_item_can_be_decided_again(outdir: Path, settings: Any) -> None:
    with ReviewSession.open(outdir, settings=settings, reviewer="bob") as session:
        session.decide(Decision(APPROVED, "reject", reason="second opinion"))
    record = results(outdir)[APPROVED]
    assert record["status"] == "rejected" and record["review"]["reviewer"] == "bob"
    assert reviewed_events(outdir)[0]["before"] == {"status": "approved"}


def test_duplicate_ids_in_a_batch(outdir: Path, settings: Any) -> None:
    with (
        ReviewSession.open(outdir, settings=settings, reviewer="a") as session,
        pytest.raises(InputError, match="decided twice"),
    ):
        session.decide_many([Decision(SOCIAL, "approve"), Decision(SOCIAL, "approve")])


def test_edit_is_checked_again_and_recorded(outdir: Path, settings: Any) -> None:
    original = results(outdir)[DETAIL]
    clean = {
        "headline": "好用的保湿精华 30ml",
        "bullets": ["透明质酸钠补水", "神经酰胺修护", "质地清爽"],
        "description": original["fields"]["description"],
    }
    with ReviewSession.open(outdir, settings=settings, reviewer="ed") as session:
        status, findings = session.recheck(original, clean)
        assert (status, findings) == ("pass", [])
        dirty = {**clean, "headline": "最好用的保湿精华 30ml"}
        status, findings = session.recheck(original, dirty)
        assert status == "blocked"
        assert any(f["field"] == "headline" and "最好" in f["text"] for f in findings)
        # The edited text passes, so approving the once-blocked item needs no force.
        session.decide(Decision(DETAIL, "approve", fields=clean))
    record = results(outdir)[DETAIL]
    assert record["status"] == "approved"
    assert record["fields"] == clean
    assert record["findings"] == []
    assert record["review"]["edited"] is True and record["review"]["forced"] is False
    assert record["review"]["original_content_id"] == original["aigc"]["content_id"]
    from copygen.compliance.aigc import content_id_for

    assert record["aigc"]["content_id"] == content_id_for(DETAIL, clean)
    event = reviewed_events(outdir)[0]
    assert event["edited"] is True
    assert event["before"]["fields"] == original["fields"]
    assert event["before"]["status"] == "blocked"
    assert event["after"]["fields"] == clean
    assert event["after"]["status"] == "approved" and event["after"]["check_status"] == "pass"
    assert verify(outdir / "audit.jsonl").ok


def test_edit_that_is_still_blocked_needs_force(outdir: Path, settings: Any) -> None:
    original = results(outdir)[SOCIAL]
    dirty = {**original["fields"], "body": "全网最好的精华，私信我。"}
    with ReviewSession.open(outdir, settings=settings, reviewer="ed") as session:
        with pytest.raises(InputError, match="needs --force"):
            session.decide(Decision(SOCIAL, "approve", fields=dirty))
        session.decide(Decision(SOCIAL, "approve", fields=dirty, force=True, reason="客户坚持"))
    record = results(outdir)[SOCIAL]
    assert record["review"]["forced"] is True and record["review"]["edited"] is True
    assert record["status"] == "approved"


def test_undo_restores_the_record_and_is_logged(outdir: Path, settings: Any) -> None:
    before = results(outdir)[DETAIL]
    clean = {**before["fields"], "headline": "好用的保湿精华 30ml", "bullets": ["a", "b", "c"]}
    with ReviewSession.open(outdir, settings=settings, reviewer="u") as session:
        session.decide(Decision(DETAIL, "approve", fields=clean))
        restored = session.undo()
        assert restored is not None and restored["status"] == "blocked"
        assert session.undo() is None
    record = results(outdir)[DETAIL]
    for key in ("status", "fields", "findings", "aigc", "review"):
        assert record[key] == before[key]
    events = reviewed_events(outdir)
    assert [e["decision"] for e in events] == ["approved", "undone"]
    assert events[1]["undoes"] == events[0]["seq"]
    assert events[1]["after"]["status"] == "blocked"
    assert events[1]["after"]["fields"] == before["fields"]
    assert verify(outdir / "audit.jsonl").ok


def test_an_open_session_does_not_lock_out_another_reviewer(outdir: Path, settings: Any) -> None:
    # Locks are held per decision (tests/test_failing_cleanly.py has the details).
    with ReviewSession.open(outdir, settings=settings, reviewer="a"):
        result = runner.invoke(app, ["review", str(outdir), "--decide", f"{SOCIAL}=approve"])
    assert result.exit_code == 0, result.output
    assert results(outdir)[SOCIAL]["status"] == "approved"


# --- the command, scripted -----------------------------------------------------------------


def test_cli_decide(outdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "dana")
    result = runner.invoke(
        app,
        [
            "review",
            str(outdir),
            "--decide",
            f"{SOCIAL}=approve",
            "--decide",
            f"{EN}=reject",
            "--reason",
            "统一处理",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"approved: {SOCIAL}" in result.output and f"rejected: {EN}" in result.output
    records = results(outdir)
    assert records[SOCIAL]["review"]["reviewer"] == "dana"
    assert records[EN]["status"] == "rejected"
    check = runner.invoke(app, ["audit", "verify", str(outdir / "audit.jsonl")])
    assert check.exit_code == 0, check.output


def test_cli_force_and_reviewer(outdir: Path) -> None:
    args = ["review", str(outdir), "--decide", f"{DETAIL}=approve", "--reviewer", "法务-王"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "needs --force" in result.output
    result = runner.invoke(app, [*args, "--force", "--reason", "已取得证明"])
    assert result.exit_code == 0, result.output
    assert "approved (forced)" in result.output
    assert results(outdir)[DETAIL]["review"]["reviewer"] == "法务-王"


def test_cli_decisions_file(outdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    path.write_text(
        f"id,decision,reason\n{SOCIAL},approve,\n{TEA},reject,海拔与商品数据不符\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["review", str(outdir), "--decisions", str(path), "--reviewer", "eve"]
    )
    assert result.exit_code == 0, result.output
    records = results(outdir)
    assert records[TEA]["status"] == "rejected"
    assert records[TEA]["review"]["reason"] == "海拔与商品数据不符"
    assert len(reviewed_events(outdir)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--decide", "nope=approve"], "no item with id 'nope'"),
        (["--decide", f"{SOCIAL}=maybe"], "unknown decision 'maybe'"),
        (["--decide", f"{SOCIAL}"], "--decide expects ID=approve or ID=reject"),
        (["--decide", f"{SOCIAL}=reject"], "needs a reason"),
        (["--decide", f"{PASS}=approve"], "is 'pass'"),
        (["--status", "weird"], "unknown status 'weird'"),
    ],
)
def test_cli_usage_errors_exit_2(outdir: Path, args: list[str], message: str) -> None:
    before = (outdir / "results.jsonl").read_bytes()
    result = runner.invoke(app, ["review", str(outdir), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert (outdir / "results.jsonl").read_bytes() == before
    assert not (outdir / "audit.jsonl").exists()


def test_cli_decisions_file_error_names_row(outdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"id,decision,reason\n{SOCIAL},approve,\n{EN},later,\n", encoding="utf-8")
    result = runner.invoke(app, ["review", str(outdir), "--decisions", str(path)])
    assert result.exit_code == 2
    assert f"{path}:3" in result.output and "unknown decision 'later'" in result.output


def test_cli_list(outdir: Path) -> None:
    result = runner.invoke(app, ["review", str(outdir), "--list", "--platform", "social"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [SOCIAL, TEA, EN]
    assert not (outdir / "audit.jsonl").exists()


def test_cli_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["review", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "output folder not found" in result.output


# --- the command, interactive ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich sizes its tables to the terminal; a fixed width keeps table cells unwrapped.
    monkeypatch.setenv("COLUMNS", "200")


def _editor(tmp_path: Path, replacements: dict[str, str]) -> str:
    """An $EDITOR command that applies text replacements to the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, json\n"
        "path = sys.argv[1]\n"
        f"pairs = json.loads({json.dumps(json.dumps(replacements, ensure_ascii=False))})\n"
        "text = open(path, encoding='utf-8').read()\n"
        "for old, new in pairs.items():\n"
        "    text = text.replace(old, new)\n"
        "open(path, 'w', encoding='utf-8').write(text)\n",
        encoding="utf-8",
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def test_interactive_flow(outdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "EDITOR",
        _editor(tmp_path, {"最好用的": "好用的", "神经酰胺修护，可治疗湿疹": "神经酰胺修护"}),
    )
    keys = [
        "a",  # 1/4 social (review): approve
        "x",  # 2/4 detail (blocked): unknown key
        "e",  # edit: the edited text passes the check again
        "a",  # approve the edited text (no force needed now)
        "r",  # 3/4 tea (blocked): reject...
        "",  # ...an empty reason cancels
        "r",
        "海拔不符",  # reject with a reason
        "u",  # undo the rejection: back to 3/4
        "s",  # skip it
        "q",  # quit at 4/4
    ]
    result = runner.invoke(
        app, ["review", str(outdir), "--reviewer", "ivy"], input="\n".join(keys) + "\n"
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Reviewing 4 items (2 review, 2 blocked)" in out
    assert "[1/4] BT-001:social:zh:v1" in out
    assert "[2/4] BT-001:detail:zh:v1" in out
    assert "私信" in out and "zh.diversion.dm" in out and "平台规则" in out  # findings table
    assert "水润保湿精华液 30ml" in out and "selling_points" in out  # product facts
    assert "Unknown key 'x'" in out
    assert "Checked the edited text again: pass" in out
    assert "(edited, not saved yet)" in out
    assert "a reason is required" in out
    assert "Undid the decision on FD-001:social:zh:v1" in out
    assert "approved 2, rejected 1, skipped 1, undone 1" in out
    records = results(outdir)
    assert records[SOCIAL]["status"] == "approved"
    assert records[DETAIL]["status"] == "approved"
    assert records[DETAIL]["fields"]["headline"] == "好用的保湿精华 30ml"
    assert records[DETAIL]["review"]["edited"] is True
    assert records[TEA]["status"] == "blocked"  # rejected, then undone
    assert records[EN]["status"] == "review"  # quit before deciding
    events = reviewed_events(outdir)
    assert [(e["item"], e["decision"]) for e in events] == [
        (SOCIAL, "approved"),
        (DETAIL, "approved"),
        (TEA, "rejected"),
        (TEA, "undone"),
    ]
    assert all(e["reviewer"] == "ivy" for e in events)
    assert verify(outdir / "audit.jsonl").ok


def test_interactive_force_approve_blocked(outdir: Path) -> None:
    keys = ["a", "", "a", "证据已归档", "q"]
    result = runner.invoke(
        app,
        ["review", str(outdir), "--status", "blocked", "--sku", "FD-001", "--reviewer", "z"],
        input="\n".join(keys) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "[1/1] FD-001:social:zh:v1" in result.output
    assert "Not approved." in result.output
    record = results(outdir)[TEA]
    assert record["status"] == "approved" and record["review"]["forced"] is True
    assert record["review"]["reason"] == "证据已归档"


def test_interactive_bad_edit_is_not_used(
    outdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, {"@@ body": "@@ bogus"}))
    result = runner.invoke(
        app, ["review", str(outdir), "--sku", "BT-001", "--platform", "social"], input="e\nq\n"
    )
    assert result.exit_code == 0, result.output
    assert "Edit not used: unknown field '@@ bogus'" in result.output
    assert results(outdir)[SOCIAL]["status"] == "review"


def test_interactive_end_of_input_quits(outdir: Path) -> None:
    result = runner.invoke(app, ["review", str(outdir)], input="")
    assert result.exit_code == 0, result.output
    assert "approved 0, rejected 0, skipped 0, undone 0" in result.output


def test_interactive_empty_queue(outdir: Path) -> None:
    result = runner.invoke(app, ["review", str(outdir), "--rule", "no.such.rule"])
    assert result.exit_code == 0
    assert "Nothing to review" in result.output
    assert not (outdir / "audit.jsonl").exists()


def test_interactive_reject_after_edit_keeps_the_generated_text(
    outdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", _editor(tmp_path, {"私信我": "在评论区留言"}))
    original = results(outdir)[SOCIAL]["fields"]
    result = runner.invoke(
        app,
        ["review", str(outdir), "--sku", "BT-001", "--platform", "social"],
        input="e\nr\n不符合品牌调性\n",
    )
    assert result.exit_code == 0, result.output
    assert "The edit was discarded." in result.output
    record = results(outdir)[SOCIAL]
    assert record["status"] == "rejected" and record["fields"] == original
    assert record["review"]["edited"] is False


# --- a real terminal: single keys, no Enter -------------------------------------------------


def _read_until(fd: int, needle: bytes, buffer: bytearray, timeout: float = 30.0) -> None:
    import select
    import time

    deadline = time.monotonic() + timeout
    while needle not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen; got:\n{buffer.decode(errors='replace')}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"{needle!r} not seen before EOF:\n{buffer.decode()}")
            buffer.extend(chunk)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminal")
def test_terminal_single_keys(outdir: Path, tmp_path: Path) -> None:
    import subprocess

    master, slave = os.openpty()
    env = {**os.environ, "COLUMNS": "160", "LINES": "50", "TERM": "xterm", "USER": "tty-user"}
    child = subprocess.Popen(
        [sys.executable, "-m", "copygen", "review", str(outdir), "--platform", "social"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
        close_fds=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b"[q]uit", seen)
        os.write(master, b"a")  # one key, no Enter: approve 1/3
        _read_until(master, b"[2/3]", seen)
        _read_until(master, b"[q]uit", seen)
        os.write(master, b"s")  # skip 2/3
        _read_until(master, b"[3/3]", seen)
        _read_until(master, b"[q]uit", seen)
        os.write(master, b"r")  # reject 3/3: the reason is a line
        _read_until(master, b"Reason for rejecting", seen)
        os.write(master, "夸大\r".encode())
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)
    records = results(outdir)
    assert records[SOCIAL]["status"] == "approved"
    assert records[SOCIAL]["review"]["reviewer"] == "tty-user"
    assert records[TEA]["status"] == "blocked"
    assert records[EN]["status"] == "rejected" and records[EN]["review"]["reason"] == "夸大"


def test_logged_decisions_reach_results_even_if_a_later_event_fails(
    outdir: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copygen.errors import CopygenError

    with ReviewSession.open(outdir, settings=settings, reviewer="a") as session:
        log = session.start()
        real_append = log.append
        calls = {"reviewed": 0}

        def flaky(event: str, **data: Any) -> dict[str, Any]:
            if event == "reviewed":
                calls["reviewed"] += 1
                if calls["reviewed"] == 2:
                    raise CopygenError("disk full")
            return real_append(event, **data)

        monkeypatch.setattr(log, "append", flaky)
        with pytest.raises(CopygenError, match="disk full"):
            session.decide_many([Decision(SOCIAL, "approve"), Decision(EN, "approve")])
        monkeypatch.setattr(log, "append", real_append)
    records = results(outdir)
    assert records[SOCIAL]["status"] == "approved"  # logged, so recorded
    assert records[EN]["status"] == "review"  # not logged, so not recorded
    assert [e["item"] for e in reviewed_events(outdir)] == [SOCIAL]
