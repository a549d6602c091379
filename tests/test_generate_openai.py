"""``copygen generate`` against a real local OpenAI-compatible HTTP server.

The server (copygen.testing.fake_openai) runs on 127.0.0.1 in this process and
counts every request, so the tests see exactly what copygen sent: retries after
429/500/timeouts/malformed bodies, repairs, cache hits, and — after a SIGKILL —
that no completed item was requested twice.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.cli.main import app
from copygen.config import Settings, load_settings, with_overrides
from copygen.errors import ExitCode
from copygen.generate.run import generate
from copygen.testing.fake_openai import (
    Behavior,
    FakeOpenAIServer,
    RecordedRequest,
    default_responder,
    detect_platform,
    sample_fields,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "products.csv"
API_KEY = "sk-fake-TESTKEY-9f8e7d6c5b4a39281706"

PRODUCTS_CSV = """sku,title,category,selling_points,attributes,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,净含量:50g,99
B-2,全麦吐司 400g,食品,低糖配方,净含量:400g,19.9
C-3,纯棉T恤,服饰,100%纯棉,面料:纯棉,59
"""

TEST_PACK = """
pack: test.price
rules:
  - id: test.price.lowest
    category: price_fraud
    severity: block
    law: 《明码标价和禁止价格欺诈规定》
    message: {zh: 无法证实的最低价表述, en: unverifiable lowest-price claim}
    suggestion: {zh: 删除最低价表述, en: remove the claim}
    terms: [全网最低价]
    examples:
      match: ["全网最低价，快来", "今天全网最低价"]
      no_match: ["价格实惠", "以页面价格为准"]
"""

SKU_RE = re.compile(r"\b([A-Z]{1,3}-\d{1,4})\b")


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=API_KEY) as srv:
        yield srv


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS_CSV, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


def settings_for(server: FakeOpenAIServer, tmp_path: Path, **changes: Any) -> Settings:
    base = load_settings(
        cli={
            "backend": "openai",
            "model": "fake-model",
            "base_url": server.url,
            "platforms": "social",
            "concurrency": 4,
            "cache_dir": str(tmp_path / "cache"),
        }
    )
    return with_overrides(base, **changes) if changes else base


def records(outdir: Path) -> dict[str, dict[str, Any]]:
    out = [
        json.loads(line)
        for line in (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    ids = [r["id"] for r in out]
    assert len(ids) == len(set(ids)), "an item was recorded twice"
    return {r["id"]: r for r in out}


def item_of(request: RecordedRequest) -> tuple[str, str]:
    """(sku, platform) a chat request was for, read from its prompt."""
    text = "\n".join(str(m.get("content", "")) for m in request.messages)
    match = SKU_RE.search(text)
    assert match, text[:200]
    return match.group(1), detect_platform(request.messages) or "?"


def is_repair(body: dict[str, Any]) -> bool:
    return any(m.get("role") == "assistant" for m in body.get("messages", []))


def no_key_anywhere(*folders: Path) -> None:
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert API_KEY.encode() not in data, path
                assert b"TESTKEY" not in data, path


def test_latency_is_measured_and_requests_carry_the_key(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.latency = 0.05
    summary = generate(
        input_path=products,
        outdir=tmp_path / "out",
        settings=settings_for(server, tmp_path, cache=False),
    )
    got = records(tmp_path / "out")
    assert len(got) == 3 and all(r["status"] == "pass" for r in got.values())
    assert all(r["latency_ms"] >= 50 for r in got.values())
    assert summary.latency_p50_ms is not None and summary.latency_p50_ms >= 50
    assert summary.tokens > 0
    assert all(req.api_key == API_KEY for req in server.chat_requests)
    assert len(server.chat_requests) == 3
    no_key_anywhere(tmp_path / "out")


@pytest.mark.parametrize(
    ("trouble", "extra"),
    [
        (Behavior.rate_limited(0.3), 1),
        (Behavior.error(500), 1),
        (Behavior.error(503), 1),
        (Behavior.malformed(), 1),
        (Behavior.empty(), 1),
    ],
    ids=["429-retry-after", "500", "503", "malformed-json", "empty-content"],
)
def test_transient_trouble_is_retried(
    server: FakeOpenAIServer, products: Path, tmp_path: Path, trouble: Behavior, extra: int
) -> None:
    server.script(trouble)
    started = time.monotonic()
    summary = generate(
        input_path=products,
        outdir=tmp_path / "out",
        settings=settings_for(server, tmp_path, cache=False, concurrency=1),
    )
    assert summary.exit_code == ExitCode.OK, summary.counts
    assert summary.count("pass") == 3
    assert len(server.chat_requests) == 3 + extra
    if trouble.status == 429:
        assert time.monotonic() - started >= 0.3  # Retry-After was honoured


def test_a_hanging_request_times_out_and_is_retried(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.script(Behavior.hang(30))
    settings = settings_for(server, tmp_path, cache=False, concurrency=1, timeout=0.5)
    summary = generate(input_path=products, outdir=tmp_path / "out", settings=settings)
    assert summary.count("pass") == 3
    assert len(server.chat_requests) == 4


def test_banned_terms_in_the_draft_are_repaired(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(TEST_PACK, encoding="utf-8")

    def responder(body: dict[str, Any]) -> str:
        fields = sample_fields("social", "zh")
        if not is_repair(body):
            fields["body"] = "全网最低价，今天就下单！" + fields["body"]
        return json.dumps(fields, ensure_ascii=False)

    server.responder = responder
    settings = settings_for(server, tmp_path, cache=False, rules=(pack,))
    outdir = tmp_path / "out"
    summary = generate(input_path=products, outdir=outdir, settings=settings)
    got = records(outdir)
    assert all(r["status"] == "pass" and r["attempts"] == 2 for r in got.values())
    assert all("全网最低价" not in r["fields"]["body"] for r in got.values())
    assert summary.pass_rate == 1.0
    repairs = [r for r in server.chat_requests if is_repair(r.json)]
    assert len(repairs) == 3
    # The repair prompt names the flagged text and the draft is the assistant turn.
    assert "全网最低价" in repairs[0].messages[-1]["content"]
    events = read_events(outdir / "audit.jsonl")
    assert Counter(e["event"] for e in events)["repaired"] == 3
    assert verify(outdir / "audit.jsonl").ok
    no_key_anywhere(outdir)


def test_cache_hit_on_a_second_run(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    settings = settings_for(server, tmp_path)
    first = generate(input_path=products, outdir=tmp_path / "one", settings=settings)
    assert len(server.chat_requests) == 3 and first.count("pass") == 3
    second = generate(input_path=products, outdir=tmp_path / "two", settings=settings)
    assert len(server.chat_requests) == 3  # nothing new was asked
    got = records(tmp_path / "two")
    assert all(r["cached"] for r in got.values())
    assert second.tokens == 0  # nothing was paid for
    assert [r["fields"] for r in got.values()] == [
        r["fields"] for r in records(tmp_path / "one").values()
    ]
    # --no-cache asks again.
    generate(
        input_path=products,
        outdir=tmp_path / "three",
        settings=with_overrides(settings, cache=False),
    )
    assert len(server.chat_requests) == 6
    no_key_anywhere(tmp_path / "cache")


def test_an_item_that_keeps_failing_is_an_error_and_exit_3(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    def responder(body: dict[str, Any]) -> str | Behavior:
        text = json.dumps(body.get("messages"), ensure_ascii=False)
        if "B-2" in text:
            return Behavior.error(500, "model overloaded")
        return default_responder(body)

    server.responder = responder
    outdir = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "generate",
            str(products),
            "-o",
            str(outdir),
            "--backend",
            "openai",
            "--model",
            "fake-model",
            "--base-url",
            server.url,
            "--platforms",
            "social",
            "--no-cache",
        ],
        env={"COPYGEN_MAX_RETRIES": "1"},
    )
    assert result.exit_code == ExitCode.BACKEND, result.output
    got = records(outdir)
    bad = got["B-2:social:zh:v1"]
    assert bad["status"] == "error" and "500" in bad["error"]
    assert got["A-1:social:zh:v1"]["status"] == "pass"
    assert "errors: 1" in result.output
    b2 = [r for r in server.chat_requests if item_of(r)[0] == "B-2"]
    assert len(b2) == 2  # first try + one retry
    no_key_anywhere(outdir)


def test_unparseable_replies_end_in_an_error_with_the_reason(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    def responder(body: dict[str, Any]) -> str:
        text = json.dumps(body.get("messages"), ensure_ascii=False)
        if "C-3" in text:
            return "I'm sorry, I can't write that."
        return default_responder(body)

    server.responder = responder
    summary = generate(
        input_path=products,
        outdir=tmp_path / "out",
        settings=settings_for(server, tmp_path),
    )
    bad = records(tmp_path / "out")["C-3:social:zh:v1"]
    assert bad["status"] == "error" and bad["error"].startswith("unusable reply")
    assert summary.exit_code == ExitCode.BACKEND
    assert sum(1 for r in server.chat_requests if item_of(r)[0] == "C-3") == 3
    # Unparseable replies were not cached: a re-run asks again (and succeeds now).
    server.responder = default_responder
    again = generate(
        input_path=products, outdir=tmp_path / "out", settings=settings_for(server, tmp_path)
    )
    assert again.exit_code == ExitCode.OK and again.new == 1
    assert records(tmp_path / "out")["C-3:social:zh:v1"]["status"] == "pass"


# --- killed and interrupted runs ----------------------------------------------------------------


def _generate_cmd(server: FakeOpenAIServer, outdir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "copygen",
        "generate",
        str(EXAMPLES),
        "-o",
        str(outdir),
        "--backend",
        "openai",
        "--model",
        "fake-model",
        "--base-url",
        server.url,
        "--concurrency",
        "2",
        "--no-cache",
        *extra,
    ]


def _lines(path: Path) -> int:
    if not path.exists():
        return 0
    return path.read_bytes().count(b"\n")


def _start_and_wait(cmd: list[str], results: Path, at_least: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    deadline = time.monotonic() + 60
    while _lines(results) < at_least:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run did not make progress"
        time.sleep(0.02)
    return proc


def test_sigkill_midway_then_resume_requests_each_completed_item_once(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    server.latency = 0.1
    outdir = tmp_path / "out"
    results = outdir / "results.jsonl"
    proc = _start_and_wait(_generate_cmd(server, outdir), results, at_least=8)
    proc.kill()
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    done_before = {json.loads(line)["id"] for line in results.read_text("utf-8").splitlines()[:-1]}
    assert 7 <= len(done_before) < 45

    server.latency = 0.0
    resumed = subprocess.run(
        _generate_cmd(server, outdir), cwd=REPO, capture_output=True, env=os.environ.copy()
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    got = records(outdir)
    assert len(got) == 45  # 15 products x 3 platforms, each exactly once
    assert all(r["status"] == "pass" for r in got.values())
    assert verify(outdir / "audit.jsonl").ok

    per_item = Counter(item_of(r) for r in server.chat_requests)
    for item_id in done_before:
        sku, platform = item_id.split(":")[:2]
        assert per_item[(sku, platform)] == 1, f"{item_id} was requested again"
    assert all(count <= 2 for count in per_item.values())
    assert len(per_item) == 45
    no_key_anywhere(outdir)


def test_sigint_stops_cleanly_with_exit_130(server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.latency = 0.1
    outdir = tmp_path / "out"
    results = outdir / "results.jsonl"
    proc = _start_and_wait(_generate_cmd(server, outdir), results, at_least=4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED, err.decode()
    assert b"Traceback" not in err
    kept = records(outdir)
    assert 4 <= len(kept) < 45
    events = read_events(outdir / "audit.jsonl")
    assert events[-1]["event"] == "run_finished" and events[-1]["outcome"] == "interrupted"
    assert verify(outdir / "audit.jsonl").ok
    manifest = json.loads((outdir / "run.json").read_text("utf-8"))
    assert manifest["runs"][-1]["outcome"] == "interrupted"
    # The CSV was rebuilt with what was completed.
    assert (outdir / "results.csv").read_text("utf-8-sig").count(":v1,") == len(kept)
