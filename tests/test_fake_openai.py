"""The fake OpenAI server: protocol shape, scripted behaviours, keep-alive, subprocess mode."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import openai
import pytest

from copygen.platforms import PLATFORM_SPECS
from copygen.testing.fake_openai import (
    LOOP_TOKENS,
    Behavior,
    FakeOpenAIServer,
    default_responder,
    detect_lang,
    detect_platform,
    looping_responder,
    sample_fields,
)

REPO = Path(__file__).resolve().parents[1]
MESSAGES = [
    {"role": "system", "content": "你是电商文案助手。"},
    {"role": "user", "content": "请为商品写小红书文案，输出JSON字段 title, body, hashtags。"},
]


def _post(
    server: FakeOpenAIServer, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(
            "POST",
            "/v1/chat/completions",
            body=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture
def server() -> Any:
    with FakeOpenAIServer() as srv:
        yield srv


def test_ok_reply_has_the_openai_shape(server: FakeOpenAIServer) -> None:
    status, headers, raw = _post(server, {"model": "m-1", "messages": MESSAGES})
    assert status == 200
    assert headers["content-type"] == "application/json"
    body = json.loads(raw)
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert body["model"] == "m-1"
    assert isinstance(body["created"], int)
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "stop"
    fields = json.loads(choice["message"]["content"])
    assert set(fields) == {"title", "body", "hashtags"}
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_models_endpoint_and_unknown_route(server: FakeOpenAIServer) -> None:
    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0)
    models = client.models.list()
    assert [m.id for m in models.data] == ["fake-model"]
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("GET", "/v1/nothing")
    assert conn.getresponse().status == 404
    conn.close()


def test_script_runs_in_order_then_falls_back_to_the_responder(server: FakeOpenAIServer) -> None:
    server.script(
        Behavior.rate_limited(0.25),
        Behavior.error(503, "overloaded"),
        Behavior.ok("hello"),
        Behavior.empty(),
    )
    results = [_post(server, {"model": "m", "messages": MESSAGES}) for _ in range(5)]
    assert [status for status, _, _ in results] == [429, 503, 200, 200, 200]
    assert results[0][1]["retry-after"] == "0.25"
    assert json.loads(results[1][2])["error"]["message"] == "overloaded"
    contents = [json.loads(raw)["choices"][0]["message"]["content"] for _, _, raw in results[2:]]
    assert contents[0] == "hello"
    assert contents[1] == ""
    assert json.loads(contents[2])["hashtags"]
    assert [r.behavior for r in server.chat_requests] == [
        "status:429",
        "status:503",
        "ok",
        "empty",
        "ok",
    ]
    assert server.pending == 0


def test_retry_after_as_http_date(server: FakeOpenAIServer) -> None:
    server.script(Behavior.rate_limited("Wed, 21 Oct 2015 07:28:00 GMT"))
    status, headers, _ = _post(server, {"model": "m", "messages": MESSAGES})
    assert status == 429
    assert headers["retry-after"] == "Wed, 21 Oct 2015 07:28:00 GMT"


def test_records_body_headers_and_api_key(server: FakeOpenAIServer) -> None:
    client = openai.OpenAI(
        base_url=server.url, api_key="sk-test-123", max_retries=0, default_headers={"X-Tag": "t"}
    )
    client.chat.completions.create(model="m", messages=MESSAGES, temperature=0.2)  # type: ignore[arg-type]
    (request,) = server.chat_requests
    assert request.api_key == "sk-test-123"
    assert request.headers["x-tag"] == "t"
    assert request.json["temperature"] == 0.2
    assert request.messages == MESSAGES
    server.clear()
    assert server.requests == []


def test_api_key_required_when_configured() -> None:
    with FakeOpenAIServer(api_key="right") as srv:
        assert _post(srv, {"model": "m", "messages": MESSAGES})[0] == 401
        ok = _post(srv, {"model": "m", "messages": MESSAGES}, {"Authorization": "Bearer right"})
        assert ok[0] == 200


def test_json_mode_rejected_when_unsupported() -> None:
    with FakeOpenAIServer(json_mode=False) as srv:
        body = {"model": "m", "messages": MESSAGES, "response_format": {"type": "json_object"}}
        status, _, raw = _post(srv, body)
        assert status == 400
        assert "response_format" in json.loads(raw)["error"]["message"]
        assert _post(srv, {"model": "m", "messages": MESSAGES})[0] == 200


def _with_format(response_format: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": MESSAGES, "response_format": response_format, **extra}


SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "copy_social",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "title": {"type": "string", "maxLength": 20},
                "body": {"type": "string"},
                "hashtags": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
            },
            "required": ["title", "body", "hashtags"],
            "additionalProperties": False,
        },
    },
}


def test_json_schema_json_object_and_schema_limits_can_be_rejected() -> None:
    with FakeOpenAIServer(json_schema=False) as srv:
        status, _, raw = _post(srv, _with_format(SCHEMA_FORMAT))
        assert status == 400
        error = json.loads(raw)["error"]
        assert "json_schema" in error["message"] and error["param"] == "response_format"
        assert _post(srv, _with_format({"type": "json_object"}))[0] == 200
    with FakeOpenAIServer(json_object=False) as srv:
        assert _post(srv, _with_format({"type": "json_object"}))[0] == 400
        assert _post(srv, _with_format(SCHEMA_FORMAT))[0] == 200
    with FakeOpenAIServer(schema_limits=False) as srv:
        status, _, raw = _post(srv, _with_format(SCHEMA_FORMAT))
        assert status == 400
        assert "'maxLength' is not permitted" in json.loads(raw)["error"]["message"]
        loose = json.loads(json.dumps(SCHEMA_FORMAT))
        properties = loose["json_schema"]["schema"]["properties"]
        properties["title"].pop("maxLength")
        properties["hashtags"].pop("maxItems")
        assert _post(srv, _with_format(loose))[0] == 200


def test_last_response_format_is_recorded(server: FakeOpenAIServer) -> None:
    assert server.last_response_format is None
    _post(server, _with_format(SCHEMA_FORMAT))
    assert server.last_response_format == SCHEMA_FORMAT
    _post(server, {"model": "m", "messages": MESSAGES})
    assert server.last_response_format is None
    with FakeOpenAIServer(record=False) as srv:
        _post(srv, _with_format({"type": "json_object"}))
        assert srv.last_response_format == {"type": "json_object"}


def test_looping_reply_runs_to_max_tokens_without_a_schema() -> None:
    with FakeOpenAIServer(looping=True) as srv:
        status, _, raw = _post(srv, _with_format({"type": "json_object"}, max_tokens=300))
        assert status == 200
        body = json.loads(raw)
        choice = body["choices"][0]
        assert choice["finish_reason"] == "length"
        assert body["usage"]["completion_tokens"] == 300
        content = choice["message"]["content"]
        assert content.startswith('{"title"') and '"hashtags": [' in content
        with pytest.raises(ValueError):
            json.loads(content)  # cut in the middle of the list
        # max_completion_tokens counts too; without either it stops at LOOP_TOKENS.
        _, _, raw = _post(srv, {"model": "m", "messages": MESSAGES, "max_completion_tokens": 50})
        assert json.loads(raw)["usage"]["completion_tokens"] == 50
        _, _, raw = _post(srv, {"model": "m", "messages": MESSAGES})
        assert json.loads(raw)["usage"]["completion_tokens"] == LOOP_TOKENS


def test_looping_reply_honours_max_items_of_a_schema() -> None:
    with FakeOpenAIServer(looping=True) as srv:
        _, _, raw = _post(srv, _with_format(SCHEMA_FORMAT, max_tokens=300))
        choice = json.loads(raw)["choices"][0]
        assert choice["finish_reason"] == "stop"
        fields = json.loads(choice["message"]["content"])
        assert len(fields["hashtags"]) == 4
        assert set(fields) == {"title", "body", "hashtags"}
        direct = looping_responder(
            {
                "messages": [{"role": "user", "content": "write detail copy, bullets, headline"}],
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "copy_detail",
                        "schema": {"properties": {"bullets": {"maxItems": 6}}},
                    },
                },
            }
        )
        assert isinstance(direct, str) and len(json.loads(direct)["bullets"]) == 6


def test_service_time_serves_one_request_at_a_time() -> None:
    async def burst(url: str) -> list[float]:
        client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
        started = time.monotonic()

        async def one() -> float:
            await client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
            return time.monotonic() - started

        try:
            return sorted(await asyncio.gather(*(one() for _ in range(4))))
        finally:
            await client.close()

    with FakeOpenAIServer(service_time=0.1) as srv:
        done = asyncio.run(burst(srv.url))
        assert srv.peak_in_flight == 4
        # Served one after another: the last one waited for the three before it.
        assert done[-1] >= 0.39 and done[0] < 0.3
        srv.script(Behavior.error(500))  # an error is answered at once, not queued
        started = time.monotonic()
        assert _post(srv, {"model": "m", "messages": MESSAGES})[0] == 500
        assert time.monotonic() - started < 0.09
        srv.clear()
        assert srv.peak_in_flight <= 1  # the last reply may still be on its way out
    with FakeOpenAIServer(service_time=0.1, service_slots=2) as srv:
        done = asyncio.run(burst(srv.url))
        assert 0.19 <= done[-1] < 0.39


def test_bad_request_bodies(server: FakeOpenAIServer) -> None:
    assert _post(server, b"not json")[0] == 400
    assert _post(server, {"model": "m"})[0] == 400
    assert _post(server, {"model": "m", "messages": MESSAGES, "stream": True})[0] == 400


def test_hang_malformed_and_drop_reach_the_client_as_errors(server: FakeOpenAIServer) -> None:
    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=0.2)
    server.script(Behavior.hang(), Behavior.malformed(), Behavior.drop())
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert 0.15 < time.monotonic() - started < 2
    with pytest.raises(ValueError):  # the body is not JSON
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    # The server is still healthy afterwards.
    reply = client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert reply.choices[0].message.content


def test_responder_can_return_text_or_a_behavior() -> None:
    def responder(request: dict[str, Any]) -> str | Behavior:
        last = request["messages"][-1]["content"]
        return Behavior.error(500, "nope") if "fail" in last else f"echo:{last}"

    with FakeOpenAIServer(responder=responder) as srv:
        ok = _post(srv, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        assert json.loads(ok[2])["choices"][0]["message"]["content"] == "echo:hi"
        bad = _post(srv, {"model": "m", "messages": [{"role": "user", "content": "fail"}]})
        assert bad[0] == 500


def test_a_broken_responder_answers_500_with_the_reason() -> None:
    def responder(request: dict[str, Any]) -> str:
        raise KeyError("boom")

    with FakeOpenAIServer(responder=responder) as srv:
        status, _, raw = _post(srv, {"model": "m", "messages": MESSAGES})
        assert status == 500
        assert "KeyError" in json.loads(raw)["error"]["message"]


def test_latency_and_per_behavior_latency() -> None:
    with FakeOpenAIServer(latency=0.15) as srv:
        srv.script(Behavior.ok(latency=0.0))
        started = time.monotonic()
        _post(srv, {"model": "m", "messages": MESSAGES})
        fast = time.monotonic() - started
        started = time.monotonic()
        _post(srv, {"model": "m", "messages": MESSAGES})
        slow = time.monotonic() - started
    assert slow >= 0.15
    assert slow - fast >= 0.1


def test_keep_alive_serves_many_requests_on_one_connection(server: FakeOpenAIServer) -> None:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    body = json.dumps({"model": "m", "messages": MESSAGES}).encode()
    for _ in range(3):
        conn.request("POST", "/v1/chat/completions", body=body)
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Connection") == "keep-alive"
        response.read()
    conn.close()
    assert server.request_count == 3


def test_chunked_request_body(server: FakeOpenAIServer) -> None:
    body = json.dumps({"model": "m", "messages": MESSAGES}).encode()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request("POST", "/v1/chat/completions", body=iter([body[:10], body[10:]]))
    response = conn.getresponse()
    assert response.status == 200
    conn.close()
    assert server.chat_requests[0].json["model"] == "m"


def test_32_concurrent_requests_overlap() -> None:
    async def burst(url: str) -> float:
        client = openai.AsyncOpenAI(base_url=url, api_key="x", max_retries=0)
        started = time.monotonic()
        await asyncio.gather(
            *(client.chat.completions.create(model="m", messages=MESSAGES) for _ in range(64))  # type: ignore[arg-type]
        )
        await client.close()
        return time.monotonic() - started

    with FakeOpenAIServer(latency=0.1, record=False) as srv:
        elapsed = asyncio.run(burst(srv.url))
        assert srv.request_count == 64
        assert srv.requests == []  # record=False keeps nothing
    assert elapsed < 3.0  # 64 requests at 0.1 s overlap; in sequence it would take 6.4 s


def test_stop_ends_hanging_requests_quickly() -> None:
    srv = FakeOpenAIServer().start()
    srv.script(Behavior.hang(60))
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    conn.request("POST", "/v1/chat/completions", body=json.dumps({"model": "m", "messages": []}))
    time.sleep(0.05)
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 3
    conn.close()


@pytest.mark.parametrize("platform", list(PLATFORM_SPECS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_fields_fit_the_platform_limits(platform: str, lang: str) -> None:
    fields = sample_fields(platform, lang)
    spec = PLATFORM_SPECS[platform]
    assert set(fields) == set(spec.field_names)
    total = 0
    for field in spec.fields:
        value = fields[field.name]
        items = value if field.kind == "list" else [value]
        if field.kind == "list":
            assert field.min_items is not None and field.max_items is not None
            assert field.min_items <= len(items) <= field.max_items
        for item in items:
            assert isinstance(item, str) and item
            assert field.max_chars is None or len(item) <= field.max_chars
            total += len(item)
    assert total <= spec.max_total_chars


def test_default_responder_detects_platform_and_language() -> None:
    def ask(text: str) -> dict[str, Any]:
        reply = default_responder({"messages": [{"role": "user", "content": text}]})
        return dict(json.loads(reply))

    assert set(ask("Write a detail page with headline, bullets, description.")) == {
        "headline",
        "bullets",
        "description",
    }
    zh = ask(
        "请写直播口播脚本，返回 JSON：hook、segments、call_to_action。"
        "商品是一款保湿面霜，适合干皮。"
    )
    assert set(zh) == {"hook", "segments", "call_to_action"}
    assert "直播间" in zh["hook"]
    # Nothing recognisable: every platform's fields, so any parser finds its own.
    assert set(ask("hello")) >= {"hook", "title", "headline"}
    assert detect_platform([{"role": "user", "content": "title body hashtags"}]) == "social"
    assert detect_lang([{"role": "user", "content": "Write it in English please: 面霜"}]) == "en"


def test_subprocess_mode_prints_its_url_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "copygen.testing.fake_openai", "--port", "0", "--latency", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        client = openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=5)
        reply = client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        assert json.loads(reply.choices[0].message.content or "")["title"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "served 1 requests" in err


@pytest.mark.parametrize("platform", list(PLATFORM_SPECS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_fields_pass_the_checker(platform: str, lang: str) -> None:
    # Pipeline tests rely on the default responder's copy being clean.
    engine = pytest.importorskip("copygen.compliance.engine")
    result = engine.Checker().check(
        sample_fields(platform, lang), lang=lang, platform=platform, category="beauty"
    )
    assert result.status == "pass", [f.to_dict() for f in result.findings]


# --- hostile replies: trickle, endless, huge --------------------------------------------------


def _open_post(server: FakeOpenAIServer) -> socket.socket:
    """A raw connection with one chat request sent, to watch the reply arrive."""
    body = json.dumps({"model": "m", "messages": MESSAGES}).encode()
    sock = socket.create_connection((server.host, server.port), timeout=5)
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def _read_for(sock: socket.socket, seconds: float) -> bytes:
    """Whatever arrives within ``seconds`` (stops early when the server closes)."""
    got = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        if not data:
            break
        got += data
    return got


def _wait_idle(server: FakeOpenAIServer, seconds: float = 2.0) -> float:
    """Seconds until the server holds no chat request (fails the test past ``seconds``)."""
    started = time.monotonic()
    while server.in_flight:
        assert time.monotonic() - started < seconds, "the server kept answering a gone client"
        time.sleep(0.01)
    return time.monotonic() - started


def test_trickle_sends_one_byte_per_interval_and_stops_when_the_client_leaves(
    server: FakeOpenAIServer,
) -> None:
    server.script(Behavior.trickle(0.05))
    sock = _open_post(server)
    got = _read_for(sock, 0.6)
    head, _, body = got.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
    assert length > 200  # a whole completion is on its way ...
    assert 3 <= len(body) <= 14  # ... at about one byte per 0.05 s
    assert server.reply_bytes_sent == len(body)
    assert server.in_flight == 1
    sock.close()
    _wait_idle(server)
    assert server.chat_requests[0].behavior == "trickle"


def test_a_trickled_reply_is_complete_when_waited_for(server: FakeOpenAIServer) -> None:
    server.script(Behavior.trickle(0.001, '{"ok": true}'), Behavior.trickle(0.0))
    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=10)
    reply = client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == '{"ok": true}'
    # Without content the responder writes it, as for ok().
    reply = client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert json.loads(reply.choices[0].message.content or "")["hashtags"]


def test_endless_body_never_ends(server: FakeOpenAIServer) -> None:
    server.script(Behavior.endless(0.02, chunk_bytes=100))
    sock = _open_post(server)
    got = _read_for(sock, 0.5)
    head, _, body = got.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert b'"content": "' in body and body.count(b"x" * 100) >= 5
    assert not body.endswith(b"0\r\n\r\n")  # no last chunk
    more = _read_for(sock, 0.2)
    assert more  # still coming
    sock.close()
    _wait_idle(server)


def test_endless_reply_keeps_a_read_timeout_from_firing(server: FakeOpenAIServer) -> None:
    # Each chunk arrives within the client's 0.2 s read timeout: only an outer deadline
    # (copygen's) ends the request, which is the point of this mode.
    server.script(Behavior.endless(0.05))
    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=0.2)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(1.0)
    assert worker.is_alive() and not outcome  # 5x the timeout, and still reading
    client.close()
    server.stop()  # ends the reply; the client then fails
    worker.join(5)
    assert not worker.is_alive()


@pytest.mark.parametrize(
    ("options", "framing"),
    [({}, "length"), ({"chunked": True}, "chunked"), ({"gzip": True}, "gzip")],
    ids=["content-length", "chunked", "gzip"],
)
def test_huge_reply_is_a_valid_completion_of_that_size(
    server: FakeOpenAIServer, options: dict[str, Any], framing: str
) -> None:
    size = 300_000
    server.script(Behavior.huge(size, **options))
    status, headers, raw = _post(server, {"model": "m", "messages": MESSAGES})
    assert status == 200
    if framing == "length":
        assert headers["content-length"] == str(size) and len(raw) == size
        body = raw
    elif framing == "chunked":
        assert headers["transfer-encoding"] == "chunked" and len(raw) == size
        body = raw
    else:
        assert headers["content-encoding"] == "gzip"
        assert len(raw) < size // 50  # padding compresses: small on the wire
        body = zlib.decompress(raw, 16 + zlib.MAX_WBITS)
        assert server.reply_bytes_sent == len(raw)
    assert len(body) == size
    content = json.loads(body)["choices"][0]["message"]["content"]
    assert set(content) == {"x"} and len(content) > size - 400
    if framing != "gzip":
        assert server.reply_bytes_sent == size


def test_server_options_make_every_normal_reply_hostile() -> None:
    with FakeOpenAIServer(huge_reply_bytes=50_000) as srv:
        srv.script(Behavior.error(500))  # scripted trouble still comes first
        assert _post(srv, {"model": "m", "messages": MESSAGES})[0] == 500
        status, _, raw = _post(srv, {"model": "m", "messages": MESSAGES})
        assert status == 200 and len(raw) == 50_000
        assert [r.behavior for r in srv.chat_requests] == ["status:500", "huge"]
    with FakeOpenAIServer(trickle=0.05) as srv:
        sock = _open_post(srv)
        assert 2 <= len(_read_for(sock, 0.4).partition(b"\r\n\r\n")[2]) <= 10
        sock.close()
        assert srv.chat_requests[0].behavior == "trickle"
    with FakeOpenAIServer(endless=0.01) as srv:
        sock = _open_post(srv)
        assert b"Transfer-Encoding: chunked" in _read_for(sock, 0.2)
        sock.close()
        _wait_idle(srv)
        assert srv.chat_requests[0].behavior == "endless"


def test_subprocess_mode_takes_the_hostile_options() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "copygen.testing.fake_openai", "--huge-reply-bytes", "20000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        client = openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=5)
        raw = client.chat.completions.with_raw_response.create(
            model="m",
            messages=MESSAGES,  # type: ignore[arg-type]
        )
        assert len(raw.http_response.content) == 20_000
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0
