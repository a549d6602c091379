"""Hostile servers: replies that trickle or never end, replies too big to hold, and
credentials in a base URL — each bounded, and answered with one clear line.

Everything goes through the real ``openai`` client against the fake server on
127.0.0.1: ``OpenAIBackend`` directly, ``generate()`` and the ``copygen`` CLI.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.audit import read_events, verify
from copygen.backends.base import Completion
from copygen.backends.http_limits import ReplyRejected, ReplyTooLarge, _Meter, format_size
from copygen.backends.openai_compat import OpenAIBackend
from copygen.backends.retry import RetryPolicy
from copygen.cli.main import app
from copygen.config import load_settings, redact_url
from copygen.errors import BackendError, ConfigError, ExitCode
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer, default_responder

MESSAGES = [
    {"role": "system", "content": "你是电商文案助手。"},
    {"role": "user", "content": "写小红书文案，JSON 字段 title, body, hashtags。"},
]
ONE_RETRY = RetryPolicy(max_retries=1, base_delay=0.01, max_delay=0.02)
MIB = 1 << 20
PRODUCTS_CSV = """sku,title,category,selling_points,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,99
B-2,全麦吐司 400g,食品,低糖配方,19.9
C-3,纯棉T恤,服饰,100%纯棉,59
D-4,陶瓷马克杯,家居,容量 350ml,39
"""


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS_CSV, encoding="utf-8")
    return path


def make(server: FakeOpenAIServer, **overrides: Any) -> OpenAIBackend:
    options: dict[str, Any] = {
        "model": "fake-model",
        "base_url": server.url,
        "timeout": 0.5,
        "policy": ONE_RETRY,
        "max_tokens": 500,
    }
    options.update(overrides)
    return OpenAIBackend(**options)


def complete(backend: OpenAIBackend) -> Completion:
    async def go() -> Completion:
        try:
            return await backend.complete(MESSAGES, {})
        finally:
            await backend.aclose()

    return asyncio.run(go())


def failure(backend: OpenAIBackend) -> tuple[str, float]:
    """The one-line reason ``complete`` fails with, and how long it took."""
    started = time.monotonic()
    with pytest.raises(BackendError) as info:
        complete(backend)
    return info.value.message, time.monotonic() - started


def wait_idle(server: FakeOpenAIServer, seconds: float = 2.0) -> None:
    """The server holds no request any more: the client closed its connections."""
    deadline = time.monotonic() + seconds
    while server.in_flight:
        assert time.monotonic() < deadline, "a connection the client gave up on stayed open"
        time.sleep(0.01)


# --- a deadline for the whole request -----------------------------------------------------


def test_a_trickling_reply_is_cut_at_the_deadline_and_retried_as_a_timeout(
    server: FakeOpenAIServer,
) -> None:
    # The reply is ~700 bytes at 20 a second: every byte is inside any read timeout,
    # and the whole would take 35 s an attempt.
    server.script(Behavior.trickle(0.05), Behavior.trickle(0.05))
    reason, seconds = failure(make(server))
    assert reason.startswith("request timed out after 0.5 s")
    assert reason.endswith("(gave up after 2 attempts)")
    assert 1.0 <= seconds < 2.5
    assert [r.behavior for r in server.chat_requests] == ["trickle", "trickle"]
    wait_idle(server)
    assert server.reply_bytes_sent < 40  # about ten bytes an attempt, then it was cut


def test_a_trickle_then_a_normal_reply_succeeds(server: FakeOpenAIServer) -> None:
    server.script(Behavior.trickle(0.05))
    started = time.monotonic()
    assert json.loads(complete(make(server)).text)["title"]
    assert time.monotonic() - started < 2.0
    assert [r.behavior for r in server.chat_requests] == ["trickle", "ok"]


def test_an_endless_body_is_cut_at_the_deadline(server: FakeOpenAIServer) -> None:
    server.script(Behavior.endless(0.05), Behavior.endless(0.05))
    reason, seconds = failure(make(server))
    assert reason.startswith("request timed out after 0.5 s")
    assert 1.0 <= seconds < 2.5
    wait_idle(server)


def test_a_fast_endless_body_stops_at_the_size_cap_and_is_not_retried(
    server: FakeOpenAIServer,
) -> None:
    server.script(*[Behavior.endless(0.0, chunk_bytes=16384)] * 3)
    reason, seconds = failure(make(server, timeout=10.0))
    assert reason == "reply larger than 1 MiB from 127.0.0.1"
    assert seconds < 3.0  # the cap, not the 10 s deadline, ended it
    assert len(server.chat_requests) == 1
    wait_idle(server)


# --- a cap on the reply size ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("behavior", "cut_short"),
    [
        (Behavior.huge(20 * MIB), False),
        (Behavior.huge(20 * MIB, chunked=True), True),
        (Behavior.huge(50 * MIB, gzip=True), False),
    ],
    ids=["content-length", "chunked", "gzip-bomb"],
)
def test_a_huge_reply_is_cut_near_the_cap_and_is_final(
    server: FakeOpenAIServer, behavior: Behavior, cut_short: bool
) -> None:
    complete(make(server))  # warm up: imports and first-request allocations
    server.clear()
    server.script(behavior, behavior)
    tracemalloc.start()
    try:
        reason, _ = failure(make(server))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reason == "reply larger than 1 MiB from 127.0.0.1"
    assert len(server.chat_requests) == 1  # not retried: another would be as big
    # Reading the whole reply would hold at least its size twice (bytes + text).
    assert peak < 5 * MIB, f"peak {peak / MIB:.1f} MiB"
    wait_idle(server)
    if cut_short:  # what the server got out before the client hung up
        assert server.reply_bytes_sent < behavior.size // 2


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_a_big_reply_under_the_cap_is_read_whole(server: FakeOpenAIServer, gzip: bool) -> None:
    server.script(Behavior.huge(900_000, gzip=gzip))
    text = complete(make(server, timeout=5.0)).text
    assert set(text) == {"x"} and 899_000 < len(text) < 900_000


def test_max_reply_bytes_sets_the_cap(server: FakeOpenAIServer) -> None:
    server.script(Behavior.huge(70_000, chunked=True), Behavior.huge(60_000))
    backend = make(server, max_reply_bytes=64 * 1024)
    assert backend.max_reply_bytes == 65536
    reason, _ = failure(backend)
    assert reason == "reply larger than 64 KiB from 127.0.0.1"
    assert len(complete(make(server, max_reply_bytes=64 * 1024)).text) > 59_000


def test_a_reply_in_an_encoding_not_asked_for_is_refused(server: FakeOpenAIServer) -> None:
    # A 500 is normally retried; a body copygen cannot bound is not.
    server.script(*[Behavior.error(500, headers={"Content-Encoding": "br"})] * 3)
    reason, _ = failure(make(server))
    assert reason == "reply in a content encoding copygen did not ask for: br from 127.0.0.1"
    (request,) = server.chat_requests
    assert request.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_in_both_wrappings_is_inflated_under_the_cap(wbits: int) -> None:
    def deflate(data: bytes) -> bytes:
        packer = zlib.compressobj(wbits=wbits)
        return packer.compress(data) + packer.flush()

    meter = _Meter(1000, "deflate")
    assert meter.feed(deflate(b"y" * 900)) + meter.finish() == b"y" * 900
    bomb = deflate(b"y" * 10 * MIB)
    meter = _Meter(1000, "deflate")
    with pytest.raises(ReplyTooLarge) as info:
        meter.feed(bomb[:200])  # 200 bytes off the wire inflate to ~200 KB: stopped
    assert info.value.received == 1001  # inflated one byte past the cap, no further
    with pytest.raises(ReplyRejected, match="not valid gzip"):
        _Meter(1000, "gzip").feed(b"not gzip at all")


def test_format_size() -> None:
    assert format_size(MIB) == "1 MiB"
    assert format_size(3 * MIB // 2) == "1.5 MiB"
    assert format_size(65536) == "64 KiB"
    assert format_size(900) == "900 bytes"


# --- credentials in a base URL ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:s3cret@127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("https://key-only@gw.example.com/v1", "https://gw.example.com/v1"),
        (
            "https://gw.example.com/v1?api-version=2024-06&api_key=abc123&sig=xyz",
            "https://gw.example.com/v1?api-version=2024-06&api_key=***&sig=***",
        ),
        (
            "https://h/v1?Token=t0k&ACCESS_TOKEN=a&key=",
            "https://h/v1?Token=***&ACCESS_TOKEN=***&key=",
        ),
        ("https://u:p@h/v1#access_token=zzz", "https://h/v1#access_token=***"),
        ("http://u:pw@[::1/v1", "http://[::1/v1"),  # unparseable, still stripped
        ("https://api.deepseek.com/v1/", "https://api.deepseek.com/v1/"),  # as it was
        (None, None),
    ],
)
def test_redact_url(url: str | None, shown: str | None) -> None:
    assert redact_url(url) == shown


def test_the_backend_connects_with_the_full_url_and_shows_it_without_secrets(
    server: FakeOpenAIServer,
) -> None:
    url = server.url.replace("//", "//alice:s3cretpw@") + "?api-version=7&api_key=QUERYSECRET"
    backend = make(server, base_url=url)
    assert backend.base_url == f"{server.url}?api-version=7&api_key=***"
    assert complete(backend).text
    (request,) = server.chat_requests
    assert request.path == "/v1/chat/completions"
    assert request.query == "api-version=7&api_key=QUERYSECRET"
    assert (
        request.headers["authorization"] == "Basic " + base64.b64encode(b"alice:s3cretpw").decode()
    )
    # A gateway that echoes the URL in its error message: the reason shows it redacted.
    server.script(Behavior.error(403, f"forbidden: {url}/chat/completions"))
    reason, _ = failure(make(server, base_url=url))
    assert reason == (
        f"HTTP 403 from 127.0.0.1: forbidden: {server.url}?api-version=7&api_key=***"
        "/chat/completions"
    )


def test_credentials_in_the_url_over_plain_http_to_another_host_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        OpenAIBackend(model="m", base_url="http://alice:s3cretpw@example.com/v1")
    assert "refusing to send the user:password of the base URL over plain http" in str(info.value)
    assert "s3cretpw" not in str(info.value)
    trusted = OpenAIBackend(
        model="m", base_url="http://alice:s3cretpw@example.com/v1", allow_insecure=True
    )
    assert trusted.base_url == "http://example.com/v1"
    with pytest.raises(ConfigError) as info:
        OpenAIBackend(model="m", base_url="http://alice:s3cretpw@[::1/v1")
    assert "must be an http(s) URL" in str(info.value) and "s3cretpw" not in str(info.value)


def test_generate_keeps_url_credentials_out_of_every_file_and_line(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    url = server.url.replace("//", "//alice:s3cretpw@") + "?api_key=QUERYSECRET"
    shown = f"{server.url}?api_key=***"
    outdir = tmp_path / "out"
    env = {"COPYGEN_CACHE_DIR": str(tmp_path / "cache"), "COPYGEN_PLATFORMS": "social"}
    runner = CliRunner()
    args = ["generate", str(products), "-o", str(outdir), "--backend", "openai"]
    args += ["--model", "fake-model", "--base-url", url, "--no-cache", "-q"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == ExitCode.OK, result.output
    assert len(server.chat_requests) == 4
    assert all(r.query == "api_key=QUERYSECRET" for r in server.chat_requests)
    shown_output = [result.output]
    shown_output.append(
        runner.invoke(app, ["config", "show", "--json"], env={**env, "OPENAI_BASE_URL": url}).output
    )
    config = tmp_path / "copygen.yaml"
    config.write_text(f"backends:\n  gw:\n    model: fake-model\n    base_url: {url}\n")
    listing = runner.invoke(app, ["--config", str(config), "backends", "list", "--json"])
    shown_output.append(listing.output)
    probe = runner.invoke(
        app,
        ["--config", str(config), "backends", "test", "--backend", "gw"],
        env={**env, "COPYGEN_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert probe.exit_code == 0, probe.output
    shown_output.append(probe.output)
    for text in shown_output:
        assert "s3cretpw" not in text and "QUERYSECRET" not in text and "alice" not in text
    assert shown in probe.output
    assert json.loads(listing.output)["profiles"][0]["base_url"] == shown
    for path in [*outdir.rglob("*"), *(tmp_path / "cache").rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert b"s3cretpw" not in data and b"QUERYSECRET" not in data, path
    manifest = json.loads((outdir / "run.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"]["base_url"] == shown
    started = read_events(outdir / "audit.jsonl")[0]
    assert started["event"] == "run_started"
    assert started["base_url"] == shown and started["settings"]["base_url"] == shown


# --- through generate: the item errs, the run goes on ---------------------------------------


def _hostile_by_sku(body: dict[str, Any]) -> str | Behavior:
    text = json.dumps(body.get("messages"), ensure_ascii=False)
    if "B-2" in text:
        return Behavior.trickle(0.05)
    if "C-3" in text:
        return Behavior.huge(20 * MIB, chunked=True)
    if "D-4" in text:
        return Behavior.endless(0.05)
    return default_responder(body)


@pytest.mark.slow  # ~3 s: two 0.5 s deadlines per item, and a whole generate run
def test_generate_ends_hostile_replies_in_error_items_and_goes_on(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.responder = _hostile_by_sku
    outdir = tmp_path / "out"
    args = ["generate", str(products), "-o", str(outdir), "--backend", "openai"]
    args += ["--model", "fake-model", "--base-url", server.url, "--platforms", "social"]
    args += ["--no-cache", "--timeout", "0.5", "--concurrency", "4"]
    started = time.monotonic()
    result = CliRunner().invoke(app, args, env={"COPYGEN_MAX_RETRIES": "1"})
    seconds = time.monotonic() - started
    assert result.exit_code == ExitCode.BACKEND, result.output
    assert "Traceback" not in result.output
    assert "errors: 3" in result.output
    got = {
        r["sku"]: r
        for r in map(json.loads, (outdir / "results.jsonl").read_text("utf-8").splitlines())
    }
    assert got["A-1"]["status"] == "pass"
    timed_out = "request timed out after 0.5 s"
    assert got["B-2"]["status"] == "error" and got["B-2"]["error"].startswith(timed_out)
    assert got["D-4"]["status"] == "error" and got["D-4"]["error"].startswith(timed_out)
    assert got["C-3"]["status"] == "error"
    assert got["C-3"]["error"] == "reply larger than 1 MiB from 127.0.0.1"
    assert all("\n" not in str(r["error"] or "") for r in got.values())
    asked = [r.behavior for r in server.chat_requests]
    assert asked.count("huge") == 1 and asked.count("trickle") == 2 and asked.count("endless") == 2
    assert seconds < 8.0  # two 0.5 s deadlines an item, in parallel, plus start-up
    wait_idle(server)
    assert server.reply_bytes_sent < 10 * MIB  # the 20 MiB reply was cut off
    # The 20 MiB reply never reached the log (a 10 MB one used to write 325 MB there).
    assert (outdir / "audit.jsonl").stat().st_size < 200_000
    assert verify(outdir / "audit.jsonl").ok


def test_max_reply_bytes_from_env_and_config_and_bad_values_in_one_line(
    server: FakeOpenAIServer, products: Path, tmp_path: Path
) -> None:
    server.responder = lambda body: Behavior.endless(0.0, chunk_bytes=8192)
    outdir = tmp_path / "out"
    args = ["generate", str(products), "-o", str(outdir), "--backend", "openai"]
    args += ["--model", "fake-model", "--base-url", server.url, "--platforms", "social"]
    args += ["--no-cache", "--timeout", "5"]
    runner = CliRunner()
    result = runner.invoke(app, args, env={"COPYGEN_MAX_REPLY_BYTES": "262144"})
    assert result.exit_code == ExitCode.BACKEND, result.output
    errors = [
        json.loads(line)["error"]
        for line in (outdir / "results.jsonl").read_text("utf-8").splitlines()
    ]
    assert errors == ["reply larger than 256 KiB from 127.0.0.1"] * 4
    assert len(server.chat_requests) == 4

    config = tmp_path / "copygen.yaml"
    config.write_text("max_reply_bytes: 100000\n", encoding="utf-8")
    assert load_settings(config_path=config, env={}).max_reply_bytes == 100_000
    nowhere = tmp_path / "nowhere"
    assert load_settings(env={}, cwd=nowhere, home=nowhere).max_reply_bytes == MIB
    bad = runner.invoke(app, args, env={"COPYGEN_MAX_REPLY_BYTES": "lots"})
    assert bad.exit_code == ExitCode.USAGE
    assert bad.output.strip().splitlines() == [
        "copygen: error: env COPYGEN_MAX_REPLY_BYTES: expected a whole number"
    ]
    config.write_text("max_reply_bytes: 10\n", encoding="utf-8")
    bad = runner.invoke(app, [*args, "--config", str(config), "--force"])
    assert bad.exit_code == ExitCode.USAGE
    assert bad.output.strip() == (
        f"copygen: error: {config}:1: 'max_reply_bytes': must be at least 1024"
    )
