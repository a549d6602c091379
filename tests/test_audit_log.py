"""AuditLog: the chain it writes, durability, locking, crash recovery, scrubbing."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from copygen.audit import GENESIS, AuditLog, event_hash, read_events, verify
from copygen.audit import log as log_module
from copygen.errors import AuditError, AuditLockedError, CopygenError

REPO = Path(__file__).resolve().parents[1]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_event_carries_the_envelope_and_chains(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "audit.jsonl"
    with AuditLog.open(path, run="r1") as log:
        first = log.append("run_started", command="generate", platforms=["social"])
        second = log.append("generated", item="S1:social:zh:v1", response="这款面霜很好用")
        assert log.head == second["hash"]
        assert log.run == "r1"
    written = lines(path)
    assert written == [first, second]
    assert [e["seq"] for e in written] == [1, 2]
    assert written[0]["prev"] == GENESIS
    assert written[1]["prev"] == written[0]["hash"]
    for event in written:
        assert set(event) >= {"v", "seq", "ts", "run", "event", "prev", "hash"}
        assert event["v"] == 1 and event["run"] == "r1"
        assert event_hash(event) == event["hash"]
        stamp = datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))
        offset = stamp.utcoffset()
        assert offset is not None and offset.total_seconds() == 0
    # Canonical form on disk: sorted keys, no spaces, Chinese as UTF-8 (not \u escapes).
    raw = path.read_bytes().splitlines()[1]
    assert "这款面霜很好用".encode() in raw
    assert b", " not in raw and b": " not in raw


def test_seq_and_chain_continue_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog.open(path) as log:
        log.append("run_started")
        log.append("run_finished", counts={"total": 0})
        head, first_run = log.head, log.run
    with AuditLog.open(path, run="second") as log:
        assert log.head == head and log.seq == 2
        event = log.append("run_started")
    assert event["seq"] == 3 and event["prev"] == head and event["run"] == "second"
    assert first_run != "second"
    report = verify(path)
    assert report.ok and report.events == 3 and report.runs == 2


def test_new_log_starts_at_genesis(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "a.jsonl") as log:
        assert log.head == GENESIS and log.seq == 0
        assert len(log.run) > 10  # a generated id


def test_unknown_event_and_envelope_keys_are_refused(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "a.jsonl") as log:
        with pytest.raises(ValueError, match="unknown audit event"):
            log.append("generatd", item="x")
        with pytest.raises(ValueError, match="seq"):
            log.append("generated", seq=5)
        with pytest.raises(ValueError, match="NaN"):
            log.append("generated", cost=float("nan"))
        with pytest.raises(TypeError, match="object"):
            log.append("generated", thing=object())
    assert (tmp_path / "a.jsonl").read_bytes() == b""


def test_data_is_converted_to_plain_json(tmp_path: Path) -> None:
    @dataclass
    class Finding:
        rule: str
        start: int

    class WithToDict:
        def to_dict(self) -> dict:
            return {"status": "pass"}

    with AuditLog.open(tmp_path / "a.jsonl") as log:
        event = log.append(
            "checked",
            findings=[Finding("zh.x", 1)],
            result=WithToDict(),
            path=Path("out/x.csv"),
            platforms=("social", "detail"),
        )
    assert event["findings"] == [{"rule": "zh.x", "start": 1}]
    assert event["result"] == {"status": "pass"}
    assert event["path"] == "out/x.csv" and event["platforms"] == ["social", "detail"]
    assert verify(tmp_path / "a.jsonl").ok


def test_each_event_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    with AuditLog.open(tmp_path / "a.jsonl") as log:
        calls.clear()  # the directory fsync of a new file
        for i in range(5):
            log.append("generated", item=f"i{i}")
            assert len(calls) == i + 1  # on disk before append returns


def test_batched_fsync_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(fd))
    log = AuditLog.open(tmp_path / "a.jsonl", max_unsynced=3)
    calls.clear()
    for _ in range(8):
        log.append("generated")
    assert len(calls) == 2  # after events 4 and 8: never more than 3 unsynced
    log.append("generated")
    log.close()
    assert len(calls) == 3  # close syncs the pending one
    with pytest.raises(ValueError):
        AuditLog.open(tmp_path / "b.jsonl", max_unsynced=-1)


def test_second_writer_in_same_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog.open(path)
    with pytest.raises(AuditLockedError, match="another process is writing") as info:
        AuditLog.open(path)
    assert info.value.exit_code == 2
    log.append("run_started")
    log.close()
    with AuditLog.open(path) as again:  # released on close
        assert again.seq == 1


_HOLDER = """
import sys
from copygen.audit import AuditLog
log = AuditLog.open(sys.argv[1])
log.append("run_started")
print("locked", flush=True)
sys.stdin.read()
log.close()
"""


def test_second_writer_in_another_process_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from copygen.cli.main import app

    path = tmp_path / "a.jsonl"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(AuditLockedError):
            AuditLog.open(path)
        result = CliRunner().invoke(app, ["audit", "recover", str(path)])
        assert result.exit_code == 2
        assert "another process is writing this audit log" in result.output
        # Reading and verifying a log that is being written still works.
        assert verify(path).ok
    finally:
        holder.communicate("", timeout=10)
    assert holder.returncode == 0
    with AuditLog.open(path) as log:
        assert log.seq == 1


def _write_events(path: Path, count: int) -> str:
    with AuditLog.open(path, run="r1") as log:
        for i in range(count):
            log.append("generated", item=f"S{i}:social:zh:v1", response=f"第{i}条文案")
        return log.head


def test_torn_last_line_is_cut_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    head = _write_events(path, 3)
    torn = b'{"event":"generated","item":"S3:social:zh:v1","response":"\xe7\xac\xac3'
    good_size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(torn)
    report = verify(path)
    assert not report.ok and report.line == 4 and "incomplete last line" in (report.reason or "")
    assert [e["seq"] for e in read_events(path)] == [1, 2, 3]  # readers skip it

    with AuditLog.open(path, run="r2") as log:
        assert log.seq == 4  # three events + recovered
    events = lines(path)
    recovered = events[-1]
    assert recovered["event"] == "recovered" and recovered["action"] == "truncated"
    assert recovered["prev"] == head and recovered["run"] == "r2"
    assert recovered["removed_bytes"] == len(torn)
    assert recovered["removed_sha256"] == hashlib.sha256(torn).hexdigest()
    assert recovered["removed_prefix"].startswith('{"event":"generated"')
    assert recovered["offset"] == good_size
    assert verify(path).ok


def test_torn_first_line_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"v":1,"seq":1,"ts":"2026')
    with AuditLog.open(path) as log:
        assert log.seq == 1
    (event,) = lines(path)
    assert event["event"] == "recovered" and event["prev"] == GENESIS and event["offset"] == 0
    assert verify(path).ok


def test_complete_event_missing_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    head = _write_events(path, 2)
    path.write_bytes(path.read_bytes()[:-1])
    with AuditLog.open(path) as log:
        assert log.seq == 3
    events = lines(path)
    assert [e["event"] for e in events] == ["generated", "generated", "recovered"]
    assert events[1]["hash"] == head and events[2]["action"] == "completed"
    assert verify(path).ok


def test_damaged_last_complete_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    _write_events(path, 2)
    path.write_bytes(path.read_bytes().replace("第1条".encode(), "第9条".encode()))
    with pytest.raises(AuditError, match="damaged") as info:
        AuditLog.open(path)
    assert info.value.exit_code == 4
    with AuditLog.open(tmp_path / "a.jsonl.other"):
        pass  # the failed open released its lock and file
    path.write_bytes(path.read_bytes())
    with pytest.raises(AuditError):
        AuditLog.open(path)  # still refused, not locked


def test_long_last_line_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog.open(path) as log:
        log.append("generated", response="x" * 200_000)
        log.append("generated", response="长" * 100_000)
        head = log.head
    with path.open("ab") as fh:
        fh.write(b'{"x":"' + b"y" * 150_000)
    with AuditLog.open(path) as log:
        assert log.seq == 3 and lines(path)[-1]["prev"] == head
        assert lines(path)[-1]["removed_bytes"] == 150_006
    assert verify(path).ok


_WRITER = """
import os, sys, time
from copygen.audit import AuditLog
from copygen.audit import log as log_module

if sys.argv[2] == "chunked":
    # A slow disk: each line reaches the file in pieces, so a kill lands mid-line.
    def slow_write(fd, data):
        for start in range(0, len(data), 4096):
            os.write(fd, data[start:start + 4096])
            time.sleep(0.0005)

    log_module._write_all = slow_write
log = AuditLog.open(sys.argv[1])
i = 0
while True:
    i += 1
    log.append("generated", item=f"S{i}:social:zh:v1", response="长文案" * 20000)
    if i == 3:
        print("writing", flush=True)
"""


@pytest.mark.parametrize("mode", ["plain", "chunked", "chunked"])
def test_log_killed_while_writing_verifies_after_next_open(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "a.jsonl"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    time.sleep(0.02)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL
    torn = not path.read_bytes().endswith(b"\n")
    with AuditLog.open(path) as log:
        log.append("run_started")
    report = verify(path)
    assert report.ok, report.summary()
    recovered = [e for e in lines(path) if e["event"] == "recovered"]
    assert len(recovered) == int(torn)
    assert report.events >= 4


def test_failed_write_is_taken_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog.open(path)
    log.append("run_started")

    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(log_module, "_write_all", half_then_full)
    with pytest.raises(CopygenError, match="No space left"):
        log.append("generated", response="x" * 1000)
    monkeypatch.undo()
    assert verify(path).ok and log.seq == 1
    log.append("generated", response="after")
    log.close()
    report = verify(path)
    assert report.ok and report.events == 2


def test_closed_log_refuses_appends(tmp_path: Path) -> None:
    log = AuditLog.open(tmp_path / "a.jsonl")
    log.close()
    log.close()  # idempotent
    assert log.closed
    with pytest.raises(ValueError, match="closed"):
        log.append("run_started")


def test_concurrent_asyncio_tasks_and_threads(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"

    async def main(log: AuditLog) -> None:
        async def task(i: int) -> None:
            await log.append_async("generated", item=f"a{i}")
            await asyncio.sleep(0)
            log.append("checked", item=f"a{i}", status="pass")

        await asyncio.gather(*(task(i) for i in range(40)))

    with AuditLog.open(path) as log:
        threads = [
            threading.Thread(
                target=lambda n=n: [log.append("generated", item=f"t{n}-{k}") for k in range(25)]
            )
            for n in range(4)
        ]
        for thread in threads:
            thread.start()
        asyncio.run(main(log))
        for thread in threads:
            thread.join()
    report = verify(path)
    assert report.ok and report.events == 180
    assert [e["seq"] for e in lines(path)] == list(range(1, 181))


SECRET = "sk-proj-Zq8cLr2VxT5mN1bH7kW3yA9dF6gJ0pQe"
ENV_SECRET = "tok-4f9a1c7e2b8d6035aa"


def test_no_secret_reaches_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from copygen.config import Settings

    monkeypatch.setenv("MY_PROVIDER_API_KEY", ENV_SECRET)
    settings = Settings(api_key=SECRET, extra_headers={"Authorization": f"Bearer {SECRET}"})
    path = tmp_path / "a.jsonl"
    with AuditLog.open(path, secrets=[settings.api_key]) as log:
        log.append("run_started", settings=settings.public_dict(), api_key=SECRET)
        log.append(
            "generated",
            item="S1:social:zh:v1",
            params={"temperature": 0.8, "api_key": SECRET, "max_tokens": 100},
            headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": SECRET, "Accept": "json"},
            request={"extra_headers": {"x-goog-api-key": SECRET}, "Api-Key": SECRET},
            messages=[{"role": "user", "content": f"key={SECRET} env={ENV_SECRET}"}],
            response=f"Authorization: Bearer {SECRET}; {ENV_SECRET}",
            error=f"401 for key {SECRET[:-1]}X",
            usage={"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
        )
    data = path.read_bytes()
    for secret in (SECRET, ENV_SECRET, SECRET[:-1], SECRET[3:20], SECRET[-4:]):
        assert secret.encode() not in data, secret
    generated = lines(path)[1]
    assert generated["params"] == {"temperature": 0.8, "max_tokens": 100}
    assert generated["headers"] == {"Accept": "json"}
    assert generated["request"] == {"extra_headers": {}}
    assert generated["usage"]["prompt_tokens"] == 12  # *_tokens are counts, kept
    assert "api_key" not in lines(path)[0] and "api_key" not in lines(path)[0]["settings"]
    assert verify(path).ok


def test_prompts_are_masked_for_personal_data(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog.open(path) as log:
        log.append(
            "generated",
            messages=[
                {"role": "system", "content": "你是文案助手"},
                {"role": "user", "content": "客服电话 13812345678，邮箱 kefu@example.com"},
                {"role": "user", "content": [{"type": "text", "text": "call 13987654321"}]},
            ],
            response="原样保留 13812345678",
        )
    data = path.read_text(encoding="utf-8")
    assert "13812345678" not in data.split('"response"')[0]
    assert "kefu@example.com" not in data and "13987654321" not in data
    event = lines(path)[0]
    assert event["messages"][0]["content"] == "你是文案助手"
    assert "13812345678" not in event["messages"][1]["content"]
    assert event["response"] == "原样保留 13812345678"  # the evidence is kept as it came


def test_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    assert not log_module.is_locked(path)  # no file
    with AuditLog.open(path):
        assert log_module.is_locked(path)
    assert not log_module.is_locked(path)
