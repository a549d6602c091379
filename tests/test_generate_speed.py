"""The fast path of a generate run keeps every guarantee of the plain one.

copygen's backend runs on the SDK's aiohttp transport where it is installed (else
httpx); each transport is driven here through the real ``openai`` client against
the fake server: rate limits with ``Retry-After``, server errors, hangs, dropped
connections, replies too big, a gzip bomb, proxies from the environment. Then the
choice itself (environment, fallbacks), JSON with and without orjson, the run's
request slots and the clean close of a client whose loop ended.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from copygen.backends import fastjson
from copygen.backends import transport as transport_mod
from copygen.backends.base import Completion
from copygen.backends.http_limits import capped_http_client
from copygen.backends.openai_compat import OpenAIBackend
from copygen.backends.retry import RetryPolicy
from copygen.backends.transport import TRANSPORT_ENV, choose_transport, ssl_context
from copygen.config import load_settings
from copygen.errors import BackendError, ConfigError
from copygen.generate.run import generate
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer

MESSAGES = [
    {"role": "system", "content": "你是电商文案助手。"},
    {"role": "user", "content": "写小红书文案，JSON 字段 title, body, hashtags。"},
]
FAST_RETRIES = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02)
TRANSPORTS = [
    "httpx",
    pytest.param(
        "aiohttp",
        marks=pytest.mark.skipif(
            not transport_mod.aiohttp_available(), reason="aiohttp is not installed"
        ),
    ),
]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test below runs on both transports (chosen through the environment)."""
    monkeypatch.setenv(TRANSPORT_ENV, request.param)
    return str(request.param)


def make(server: FakeOpenAIServer, **overrides: Any) -> OpenAIBackend:
    options: dict[str, Any] = {
        "model": "fake-model",
        "base_url": server.url,
        "timeout": 0.5,
        "policy": FAST_RETRIES,
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


def failure(backend: OpenAIBackend) -> str:
    with pytest.raises(BackendError) as info:
        complete(backend)
    return info.value.message


def wait_idle(server: FakeOpenAIServer, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while server.in_flight:
        assert time.monotonic() < deadline, "a connection the client gave up on stayed open"
        time.sleep(0.01)


# --- the transport keeps the backend's guarantees ------------------------------------------


def test_the_client_runs_on_the_chosen_transport(server: FakeOpenAIServer, transport: str) -> None:
    client = capped_http_client(max_reply_bytes=1 << 20, timeout=5)
    is_aiohttp = "Aiohttp" in type(client).__name__
    assert is_aiohttp == (transport == "aiohttp")
    asyncio.run(client.aclose())
    assert complete(make(server)).text


def test_a_rate_limit_waits_for_retry_after_then_succeeds(
    server: FakeOpenAIServer, transport: str
) -> None:
    server.script(Behavior.rate_limited(0.3))
    backend = make(server, timeout=5.0)
    started = time.monotonic()
    assert complete(backend).text
    assert time.monotonic() - started >= 0.3
    assert backend.stats.rate_limited == 1 and backend.gate.pauses == 1
    assert len(server.chat_requests) == 2


def test_server_errors_are_retried_then_reported_with_the_status(
    server: FakeOpenAIServer, transport: str
) -> None:
    server.script(Behavior.error(500))
    assert complete(make(server)).text
    server.clear()
    server.script(*[Behavior.error(503, "overloaded")] * 3)
    reason = failure(make(server))
    assert reason.startswith("HTTP 503 from 127.0.0.1: overloaded")
    assert reason.endswith("(gave up after 3 attempts)")


def test_a_hanging_server_is_a_timeout(server: FakeOpenAIServer, transport: str) -> None:
    server.script(*[Behavior.hang(5)] * 3)
    started = time.monotonic()
    reason = failure(make(server, timeout=0.3))
    assert reason.startswith("request timed out after 0.3 s")
    assert time.monotonic() - started < 3.0
    wait_idle(server)


def test_a_dropped_connection_is_a_connection_error_not_a_timeout(
    server: FakeOpenAIServer, transport: str
) -> None:
    server.script(*[Behavior.drop()] * 3)
    reason = failure(make(server, timeout=5.0))
    assert reason.startswith("connection error to 127.0.0.1:"), reason
    assert "timed out" not in reason


def test_a_refused_connection_is_a_connection_error(transport: str) -> None:
    with FakeOpenAIServer() as gone:
        url = gone.url  # a port nobody listens on once the server is stopped
    backend = OpenAIBackend(
        model="fake-model", base_url=url, timeout=5.0, policy=FAST_RETRIES, max_tokens=50
    )
    reason = failure(backend)
    assert reason.startswith("connection error to 127.0.0.1:"), reason


def test_a_malformed_body_is_retried_as_malformed(server: FakeOpenAIServer, transport: str) -> None:
    server.script(Behavior.malformed())
    assert complete(make(server)).text
    assert [r.behavior for r in server.chat_requests] == ["malformed", "ok"]


@pytest.mark.parametrize(
    "behavior",
    [
        Behavior.huge(3 << 20),
        Behavior.huge(3 << 20, chunked=True),
        Behavior.huge(64 << 20, gzip=True),
        Behavior.endless(0.0, chunk_bytes=16384),
    ],
    ids=["content-length", "chunked", "gzip-bomb", "endless"],
)
def test_a_reply_over_the_cap_fails_at_once_and_closes_the_connection(
    server: FakeOpenAIServer, transport: str, behavior: Behavior
) -> None:
    server.script(behavior, behavior)
    started = time.monotonic()
    reason = failure(make(server, timeout=10.0))
    assert reason == "reply larger than 1 MiB from 127.0.0.1"
    assert time.monotonic() - started < 5.0
    assert len(server.chat_requests) == 1  # not retried
    wait_idle(server)


def test_a_gzip_reply_under_the_cap_is_read(server: FakeOpenAIServer, transport: str) -> None:
    server.script(Behavior.huge(200_000, gzip=True))
    assert len(complete(make(server)).text) > 190_000


def test_credentials_in_the_base_url_become_basic_auth(
    server: FakeOpenAIServer, transport: str
) -> None:
    url = server.url.replace("//", "//alice:s3cretpw@")
    assert complete(make(server, base_url=url)).text
    (request,) = server.chat_requests
    assert request.headers["authorization"].startswith("Basic ")


# --- proxies from the environment ----------------------------------------------------------


class _Proxy:
    """A small forward proxy for http:// targets (absolute-form requests), one request
    per connection; it records what it forwarded and the Proxy-Authorization it got."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._server.close()
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            first, *lines = [line for line in head.split("\r\n") if line]
            method, target, _ = first.split(" ")
            headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines]
            named = {k.lower(): v for k, v in headers}
            self.seen.append((target, named.get("proxy-authorization")))
            body = await reader.readexactly(int(named.get("content-length", "0")))
            url = urlsplit(target)
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
            forwarded = [f"{method} {url.path} HTTP/1.1"] + [
                f"{k}: {v}"
                for k, v in headers
                if k.lower() not in ("proxy-authorization", "proxy-connection", "connection")
            ]
            up_writer.write(
                ("\r\n".join([*forwarded, "Connection: close"]) + "\r\n\r\n").encode("latin-1")
                + body
            )
            await up_writer.drain()
            reply = await up_reader.read()
            up_writer.close()
            writer.write(reply)
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    p = _Proxy()
    yield p
    p.close()


def test_the_proxy_from_the_environment_is_used_and_no_proxy_is_honoured(
    server: FakeOpenAIServer, transport: str, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://bob:pw@127.0.0.1:{proxy.port}")
    assert complete(make(server, timeout=5.0)).text
    ((target, auth),) = proxy.seen
    assert target == f"{server.url}/chat/completions"
    assert auth == "Basic Ym9iOnB3"  # bob:pw
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert complete(make(server, timeout=5.0)).text
    assert len(proxy.seen) == 1 and len(server.chat_requests) == 2


# --- choosing the transport and the loop ---------------------------------------------------


def test_the_transport_is_chosen_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRANSPORT_ENV, "httpx")
    assert choose_transport() == "httpx"
    monkeypatch.setenv(TRANSPORT_ENV, "carrier-pigeon")
    with pytest.raises(ConfigError, match="unknown HTTP transport 'carrier-pigeon'"):
        choose_transport()
    monkeypatch.delenv(TRANSPORT_ENV)
    expected = "aiohttp" if transport_mod.aiohttp_available() else "httpx"
    assert choose_transport() == expected


def test_without_aiohttp_the_backend_falls_back_to_httpx(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TRANSPORT_ENV, raising=False)
    monkeypatch.setattr(transport_mod, "aiohttp_available", lambda: False)
    assert choose_transport() == "httpx"
    client = capped_http_client(max_reply_bytes=1 << 20, timeout=5)
    assert "Aiohttp" not in type(client).__name__
    asyncio.run(client.aclose())
    assert complete(make(server)).text
    monkeypatch.setenv(TRANSPORT_ENV, "aiohttp")
    with pytest.raises(ConfigError, match="aiohttp is not installed"):
        choose_transport()


def test_a_proxy_aiohttp_cannot_speak_to_gets_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    if not transport_mod.aiohttp_available():
        pytest.skip("aiohttp is not installed")
    monkeypatch.delenv(TRANSPORT_ENV, raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "proxy.example:3128")  # no scheme: http
    assert choose_transport() == "aiohttp"
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.example:1080")
    assert choose_transport() == "httpx"


def test_the_tls_context_is_built_once_per_certificate_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first = ssl_context()
    assert ssl_context() is first
    import ssl

    monkeypatch.setenv("SSL_CERT_FILE", ssl.get_default_verify_paths().openssl_cafile)
    assert ssl_context() is not first


# --- clean close ---------------------------------------------------------------------------


def test_a_client_left_open_is_closed_as_its_loop_ends(
    server: FakeOpenAIServer, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    backend = make(server)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.ERROR):
        warnings.simplefilter("always")
        assert asyncio.run(backend.complete(MESSAGES, {})).text  # no aclose: a new loop
        assert asyncio.run(backend.complete(MESSAGES, {})).text
        asyncio.run(backend.aclose())
        gc.collect()
    words = ("client session", "connector", "connection", "transport", "socket")
    unclosed = [
        str(w.message)
        for w in caught
        if "nclosed" in str(w.message) and any(x in str(w.message) for x in words)
    ]
    assert unclosed == []
    assert not [r for r in caplog.records if "nclosed" in r.getMessage()]


# --- the run's request slots ---------------------------------------------------------------


def test_a_run_never_has_more_requests_in_flight_than_its_concurrency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    products = tmp_path / "products.csv"
    rows = ["sku,title,category,selling_points,price"]
    rows += [f"S-{n},保湿面霜 {n},美妆,清爽不黏腻,99" for n in range(40)]
    products.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with FakeOpenAIServer(latency=0.02) as srv:
        settings = load_settings(
            cli={
                "backend": "openai",
                "model": "fake-model",
                "base_url": srv.url,
                "concurrency": 3,
                "cache": False,
                "platforms": "social",
            }
        )
        summary = generate(input_path=products, outdir=tmp_path / "out", settings=settings)
        assert summary.count("pass") == 40
        assert srv.peak_in_flight == 3


# --- JSON on the hot path ------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["orjson", "stdlib"])
def test_json_reads_and_writes_the_same_with_or_without_orjson(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fast and not fastjson.FAST:
        pytest.skip("orjson is not installed")
    if not fast:
        monkeypatch.setattr(fastjson, "_orjson", None)
    body = {"model": "m", "messages": [{"role": "user", "content": "写文案 “引号” \u2028"}]}
    encoded = fastjson.dumps_body(body)
    assert encoded == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert fastjson.loads(encoded) == body
    # What orjson refuses, the standard library reads and writes.
    assert fastjson.loads(b'{"a": NaN, "b": 123456789012345678901234567890}')["b"] == (
        123456789012345678901234567890
    )
    assert fastjson.dumps_body({"seed": 2**70}) == b'{"seed":1180591620717411303424}'
    with pytest.raises(ValueError):
        fastjson.loads(b'{"choices": [')
    with pytest.raises(TypeError):
        fastjson.dumps_body({"x": object()})


def test_results_are_read_the_same_with_or_without_orjson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copygen.generate.store import ResultStore

    store = ResultStore(tmp_path)
    for n in range(3):
        store.append({"id": f"A-{n}", "status": "pass", "fields": {"title": f"标题 {n}"}})
    store.append({"id": "A-1", "status": "review", "cost": float("nan")})
    store.close()
    fast = [(r["id"], r["status"]) for r in store.iter_records()]
    monkeypatch.setattr(fastjson, "_orjson", None)
    assert [(r["id"], r["status"]) for r in store.iter_records()] == fast
    assert fast == [("A-0", "pass"), ("A-2", "pass"), ("A-1", "review")]


# --- results.csv drafted ahead -------------------------------------------------------------


def _products(path: Path, rows: int) -> Path:
    lines = ["sku,title,category,selling_points,price,platforms"]
    platforms = ("social", "detail", "livestream")
    lines += [
        f"S-{n},保湿面霜 {n},美妆,清爽不黏腻,{99 + n},{platforms[n % 3]}" for n in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_drafted_table_is_the_table_a_rebuild_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copygen.generate.store import ResultStore
    from copygen.generate.summary import SummaryBuilder
    from copygen.generate.tables import CSV_FILE, TableDraft, write_tables

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    drafted: list[TableDraft] = []
    original = TableDraft.write

    async def spy(self: TableDraft, *, batch: int = 32) -> None:
        await original(self, batch=3)
        drafted.append(self)

    monkeypatch.setattr(TableDraft, "write", spy)
    products = _products(tmp_path / "products.csv", 30)
    out = tmp_path / "out"
    with FakeOpenAIServer(latency=0.01) as srv:
        settings = load_settings(
            cli={
                "backend": "openai",
                "model": "fake-model",
                "base_url": srv.url,
                "concurrency": 4,
                "cache": False,
            }
        )
        summary = generate(input_path=products, outdir=out, settings=settings)
    (draft,) = drafted
    assert 0 < draft.upto < 30  # drafted ahead, the last rows added at the end
    csv_drafted = (out / CSV_FILE).read_bytes()
    numbers = SummaryBuilder()
    write_tables(ResultStore(out), settings=settings, observe=numbers.add)
    assert (out / CSV_FILE).read_bytes() == csv_drafted
    assert (
        csv_drafted.startswith(b"\xef\xbb\xbfid,sku,platform")
        and csv_drafted.count(b"\r\nS-") == 30
    )
    rebuilt = numbers.fill(type(summary)(outdir=out))
    assert (rebuilt.items, rebuilt.counts, rebuilt.tokens) == (
        summary.items,
        summary.counts,
        summary.tokens,
    )


def test_a_draft_that_does_not_fit_the_file_is_dropped_for_a_rebuild(tmp_path: Path) -> None:
    from copygen.generate.store import ResultStore
    from copygen.generate.summary import SummaryBuilder
    from copygen.generate.tables import CSV_FILE, TableDraft, write_tables

    settings = load_settings(cli={"platforms": "social"})
    store = ResultStore(tmp_path)
    for n in range(5):
        store.append({"id": f"A-{n}", "status": "pass", "platform": "social", "fields": {}})
    builders: list[SummaryBuilder] = []

    def new_observer() -> Any:
        builders.append(SummaryBuilder())
        return builders[-1].add

    draft = TableDraft(store, settings=settings, new_observer=new_observer)
    asyncio.run(draft.write(batch=2))
    assert draft.usable and draft.upto == 5
    store.append({"id": "A-2", "status": "review", "platform": "social", "fields": {}})
    store.close()
    write_tables(store, settings=settings, draft=draft)
    table = (tmp_path / CSV_FILE).read_text("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in table[1:]] == ["A-0", "A-1", "A-3", "A-4", "A-2"]
    assert len(builders) == 2 and builders[-1].counts == {"pass": 4, "review": 1}


def test_runs_with_the_same_templates_rules_and_settings_share_a_prompt_builder(
    tmp_path: Path,
) -> None:
    import shutil

    from copygen.compliance.engine import Checker
    from copygen.generate.manifest import templates_hash
    from copygen.generate.run import _prompt_builder
    from copygen.resources import data_dir

    settings = load_settings(cli={"platforms": "social"})
    checker = Checker.from_settings(settings)
    first = _prompt_builder(settings, checker, templates_hash(settings))
    assert _prompt_builder(settings, checker, templates_hash(settings)) is first
    other = load_settings(cli={"platforms": "detail"})
    assert _prompt_builder(other, checker, templates_hash(other)) is not first
    # A template edited between two runs: its hash changes, and so does the builder.
    custom = tmp_path / "templates"
    shutil.copytree(data_dir("templates"), custom)
    mine = load_settings(cli={"platforms": "social", "templates": str(custom)})
    before = _prompt_builder(mine, checker, templates_hash(mine))
    (custom / "social.zh.j2").write_text(
        (custom / "social.zh.j2").read_text("utf-8") + "\n{# edited #}\n", encoding="utf-8"
    )
    assert _prompt_builder(mine, checker, templates_hash(mine)) is not before


@pytest.mark.parametrize(("kept_rows", "reads"), [(5_000, 1), (3, 2)])
def test_a_small_input_is_read_once_a_large_one_streamed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_rows: int, reads: int
) -> None:
    """Counting the plan reads the whole input; a small one is kept for the run, a
    larger one (more than plan.KEPT_ROWS rows) is read again, so memory stays flat.
    Either way the run writes the same records."""
    from copygen.generate import plan
    from copygen.inputs import product_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(plan, "KEPT_ROWS", kept_rows)
    opened: list[Path] = []
    original = product_files.read_products

    def counted(path: Any, **kwargs: Any) -> Any:
        opened.append(Path(path))
        return original(path, **kwargs)

    monkeypatch.setattr(product_files, "read_products", counted)
    products = _products(tmp_path / "products.csv", 12)
    out = tmp_path / "out"
    with FakeOpenAIServer(latency=0.0) as srv:
        settings = load_settings(
            cli={"backend": "openai", "model": "fake-model", "base_url": srv.url, "cache": False}
        )
        summary = generate(input_path=products, outdir=out, settings=settings)
    assert opened == [products] * reads
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert summary.items == len(records) == 12  # one platform per row
    assert sorted(r["id"] for r in records) == sorted({r["id"] for r in records})
