"""``copygen check --input`` streams: flat memory, ``--jobs`` in input order, malformed
lines stop the run where they are, the JSON document written as it goes."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from copygen.compliance import check_run, check_stream
from copygen.compliance.batch import CheckItem
from copygen.compliance.check_run import CheckOptions, CheckRequest, merge_overall
from copygen.compliance.check_stream import SMALL, CheckerSpec, WorkerError, checked_chunks

MIXED = (
    {"text": "这款面霜是全网最好的，今天最后一天特价"},
    {"text": "轻薄透气的棉麻衬衫，适合春夏日常穿着"},
    {"text": "The best cream ever, cures acne overnight", "lang": "en"},
    {"text": "A soft cotton shirt for everyday wear"},
    {"text": "加微信领取优惠，联系13812345678"},
    {"fields": {"title": "简约百搭的帆布鞋", "tags": ["舒适", "最好"]}},
    {"text": "简约百搭的帆布鞋，舒适耐穿", "category": "apparel"},
)
CLEAN = "轻薄透气的棉麻衬衫，适合春夏日常穿着"
VIOLATING = "这款面霜是全网最好的"


def write_jsonl(path: Path, count: int, *, bad_line: int | None = None) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, count + 1):
            if n == bad_line:
                out.write("{not json}\n")
                continue
            record = {"id": n, **MIXED[n % len(MIXED)]}
            if "text" in record:
                record["text"] = f"{record['text']} {n}"
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def env() -> dict[str, str]:
    return {**os.environ, "LANG": "C.UTF-8", "COLUMNS": "100"}


def copygen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copygen", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env(),
        timeout=120,
    )


def peak_rss_mb(args: list[str], cwd: Path) -> float:
    """Peak RSS of ``copygen check`` (and its workers), measured in a fresh parent so
    that earlier children do not count."""
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "assert done.returncode in (0, 1), done.returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    command = [sys.executable, "-m", "copygen", "check", *args]
    done = subprocess.run(
        [sys.executable, "-c", measure, *command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env(),
        check=True,
        timeout=300,
    )
    return int(done.stdout.strip()) / 1024


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KB on Linux")
def test_memory_does_not_grow_with_the_input(tmp_path: Path) -> None:
    warm = tmp_path / "warm.txt"  # compiles the rules into the user cache first
    warm.write_text("很好\n", encoding="utf-8")
    assert copygen("-i", str(warm), cwd=tmp_path).returncode == 0
    small = write_jsonl(tmp_path / "small.jsonl", 50_000)
    large = write_jsonl(tmp_path / "large.jsonl", 200_000)
    args = ["-f", "jsonl", "--fail-on", "never"]
    small_mb = peak_rss_mb(["-i", str(small), *args], tmp_path)
    large_mb = peak_rss_mb(["-i", str(large), *args], tmp_path)
    assert large_mb - small_mb < 30, (small_mb, large_mb)


def test_jobs_give_the_same_output_in_input_order(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", 3_000)
    one = copygen("-i", str(src), "-f", "jsonl", "--jobs", "1", cwd=tmp_path)
    two = copygen("-i", str(src), "-f", "jsonl", "--jobs", "2", cwd=tmp_path)
    assert one.returncode == two.returncode == 1, (one.stderr, two.stderr)
    assert one.stdout == two.stdout
    records = [json.loads(line) for line in two.stdout.splitlines()]
    assert [r["id"] for r in records] == list(range(1, 3_001))
    statuses = {r["status"] for r in records}
    assert "pass" in statuses and "blocked" in statuses


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_malformed_line_stops_after_the_lines_before_it(tmp_path: Path, jobs: str) -> None:
    bad = SMALL + 300
    src = write_jsonl(tmp_path / "in.jsonl", bad + 500, bad_line=bad)
    done = copygen("-i", str(src), "-f", "jsonl", "--jobs", jobs, cwd=tmp_path)
    assert done.returncode == 2
    ids = [json.loads(line)["id"] for line in done.stdout.splitlines()]
    assert ids == list(range(1, bad))
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{src}:{bad}: invalid JSON" in lines[0], done.stderr


def test_malformed_line_in_a_small_input_writes_nothing(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", SMALL - 10, bad_line=SMALL - 20)
    done = copygen("-i", str(src), "-f", "jsonl", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert f"{src}:{SMALL - 20}: invalid JSON" in done.stderr


def test_json_document_is_written_as_it_goes(tmp_path: Path) -> None:
    count = 1_000  # more than SMALL: by the workers (tests/test_check_cli.py: a few texts)
    src = write_jsonl(tmp_path / "in.jsonl", count)
    as_json = copygen("-i", str(src), "-f", "json", "--jobs", "2", cwd=tmp_path)
    as_jsonl = copygen("-i", str(src), "-f", "jsonl", "--jobs", "2", cwd=tmp_path)
    assert as_json.returncode == as_jsonl.returncode == 1
    document = json.loads(as_json.stdout)
    assert set(document) == {"rules_hash", "fail_on", "items", "summary"}
    records = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert document["items"] == records
    assert document["fail_on"] == "warn" and len(document["rules_hash"]) == 64
    summary = document["summary"]
    assert summary["items"] == count
    assert summary["pass"] + summary["review"] + summary["blocked"] == count
    assert summary["findings"] == sum(len(r["findings"]) for r in records)
    assert summary["pass"] == sum(1 for r in records if r["status"] == "pass")


def test_exit_code_counts_the_last_item(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text(f"{CLEAN}\n" * (SMALL + 100) + f"{VIOLATING}\n", encoding="utf-8")
    done = copygen("-i", str(src), "-f", "jsonl", "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
    assert statuses[:-1] == ["pass"] * (SMALL + 100) and statuses[-1] != "pass"
    never = copygen("-i", str(src), "-f", "jsonl", "--fail-on", "never", cwd=tmp_path)
    assert never.returncode == 0
    clean = tmp_path / "clean.txt"
    clean.write_text(f"{CLEAN}\n" * (SMALL + 100), encoding="utf-8")
    assert copygen("-i", str(clean), "-f", "jsonl", cwd=tmp_path).returncode == 0


class _DyingChecker:
    def check(self, *args: Any, **kwargs: Any) -> Any:
        os._exit(9)


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)
def test_a_worker_that_dies_is_one_error_not_a_hang() -> None:
    requests = [
        CheckRequest(CheckItem(id=n, content="x"), None, None, None, None) for n in range(4)
    ]
    chunks = checked_chunks(
        _DyingChecker(),  # type: ignore[arg-type]
        CheckerSpec(),
        iter([requests[:2], requests[2:]]),
        "jsonl",
        2,
    )
    with pytest.raises(WorkerError, match="worker process died"):
        list(chunks)


def test_jobs_must_be_positive() -> None:
    from copygen.errors import ConfigError

    with pytest.raises(ConfigError, match="--jobs"):
        CheckOptions(texts=["x"], jobs=0)


def test_progress_only_for_an_input_file_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    ttys: dict[str, bool] = {"stderr": True, "stdout": False}
    monkeypatch.setattr(
        check_run, "_isatty", lambda s: ttys["stderr" if s is sys.stderr else "stdout"]
    )
    show = check_run._show_progress
    assert show(CheckOptions(input_path="in.jsonl", fmt="jsonl"))
    assert show(CheckOptions(input_path="in.jsonl"))  # text results piped
    assert not show(CheckOptions(input_path="in.jsonl", fmt="jsonl", quiet=True))
    assert not show(CheckOptions(texts=["x"], fmt="jsonl"))
    assert not show(CheckOptions(input_path="-", fmt="jsonl"))
    ttys["stdout"] = True
    assert not show(CheckOptions(input_path="in.jsonl"))  # text results on the terminal
    assert show(CheckOptions(input_path="in.jsonl", fmt="jsonl"))
    ttys["stderr"] = False
    assert not show(CheckOptions(input_path="in.jsonl", fmt="jsonl"))


def test_progress_counts_items_and_flagged() -> None:
    progress = check_stream.CheckProgress()  # not started: counts only
    progress.advance([check_stream.Outcome("pass", 0, 0), check_stream.Outcome("blocked", 1, 3)])
    progress.close()
    assert (progress.done, progress.flagged) == (2, 1)


def test_judge_summaries_of_chunks_add_up() -> None:
    first = {
        "texts": 2, "judged": 2, "added": 1, "dropped": {"allowed": 1}, "errors": 0,
        "calls": 2, "tokens_in": 100, "tokens_out": 10, "cost": 0.5, "cost_per_text": 0.25,
        "latency_ms": 10.0, "model": "m", "currency": "USD",
    }  # fmt: skip
    second = {
        **first, "judged": 3, "texts": 3, "dropped": {"allowed": 2, "other": 1}, "cost": 1.0,
    }  # fmt: skip
    total = merge_overall(merge_overall(None, first), second)
    assert total["texts"] == 5 and total["judged"] == 5 and total["tokens_in"] == 200
    assert total["dropped"] == {"allowed": 3, "other": 1}
    assert total["cost"] == 1.5 and total["cost_per_text"] == pytest.approx(0.3)
    assert total["latency_ms"] == 20.0 and total["model"] == "m" and total["currency"] == "USD"
    assert merge_overall(total, {**second, "cost": None})["cost"] is None


def test_judge_reads_a_long_input_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from copygen.cli.main import app
    from copygen.testing.fake_openai import FakeOpenAIServer

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-judge-0a1b2c3d")
    monkeypatch.setenv("COPYGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    count = check_run.JUDGE_CHUNK + 44
    src = tmp_path / "in.txt"
    src.write_text("".join(f"{CLEAN} {n}\n" for n in range(count)), encoding="utf-8")
    with FakeOpenAIServer(responder=lambda request: '{"violations": []}') as server:
        result = CliRunner().invoke(
            app,
            [
                "check", "-i", str(src), "-f", "json", "--judge", "--judge-backend", "openai",
                "--judge-model", "judge-model", "--judge-base-url", server.url,
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [item["id"] for item in document["items"]] == list(range(1, count + 1))
    assert all("judge" in item for item in document["items"])
    assert document["judge"]["texts"] == count and document["judge"]["model"] == "judge-model"
    assert document["summary"]["items"] == count
