"""OpenAIBackend against the real fake server with the real openai client."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from copygen.backends.base import Completion
from copygen.backends.openai_compat import PLACEHOLDER_KEY, OpenAIBackend, is_loopback_host
from copygen.backends.retry import RetryPolicy
from copygen.config import load_settings
from copygen.errors import BackendError, ConfigError, ExitCode
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer

MESSAGES = [
    {"role": "system", "content": "你是电商文案助手。"},
    {"role": "user", "content": "写小红书文案，JSON 字段 title, body, hashtags。"},
]
FAST = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def make(server: FakeOpenAIServer, **overrides: Any) -> OpenAIBackend:
    options: dict[str, Any] = {
        "model": "fake-model",
        "base_url": server.url,
        "timeout": 2.0,
        "policy": FAST,
        "temperature": 0.7,
        "max_tokens": 500,
    }
    options.update(overrides)
    return OpenAIBackend(**options)


def complete(backend: OpenAIBackend, params: dict[str, Any] | None = None) -> Completion:
    async def go() -> Completion:
        try:
            return await backend.complete(MESSAGES, params or {})
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_success_returns_text_usage_latency_model_and_raw() -> None:
    with FakeOpenAIServer(latency=0.05) as srv:
        backend = make(srv, seed=7)
        result = complete(backend)
        (request,) = srv.chat_requests
    assert json.loads(result.text)["title"]
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.latency_ms >= 45
    assert result.model == "fake-model"
    assert result.finish_reason == "stop"
    assert result.cached is False
    assert result.raw is not None and result.raw["id"].startswith("chatcmpl-")
    assert result.raw["choices"][0]["message"]["content"] == result.text
    body = request.json
    assert body["model"] == "fake-model"
    assert body["messages"] == MESSAGES
    assert body["temperature"] == 0.7
    assert body["max_tokens"] == 500
    assert body["seed"] == 7
    assert body["response_format"] == {"type": "json_object"}
    assert backend.model == "fake-model" and backend.base_url == srv.url


def test_params_override_defaults_and_unknown_params_go_in_the_body(
    server: FakeOpenAIServer,
) -> None:
    complete(make(server), {"temperature": 0.1, "json_mode": False, "top_k": 20, "seed": None})
    body = server.chat_requests[0].json
    assert body["temperature"] == 0.1
    assert body["top_k"] == 20
    assert "response_format" not in body
    assert "json_mode" not in body
    assert "seed" not in body


def test_429_retry_after_is_honoured(server: FakeOpenAIServer) -> None:
    server.script(Behavior.rate_limited(0.25))
    backend = make(server)
    result = complete(backend)
    first, second = server.chat_requests
    waited = second.received_at - first.received_at
    assert 0.24 <= waited < 1.5
    assert result.text
    assert backend.stats.rate_limited == 1 and backend.stats.retries == 1


def test_retry_after_is_capped(server: FakeOpenAIServer) -> None:
    server.script(Behavior.rate_limited(120))
    backend = make(server, policy=RetryPolicy(max_retries=2, max_retry_after=0.1))
    started = time.monotonic()
    complete(backend)
    assert time.monotonic() - started < 1.0


def test_500_then_success(server: FakeOpenAIServer) -> None:
    server.script(Behavior.error(500), Behavior.error(503))
    backend = make(server)
    assert complete(backend).text
    assert [r.behavior for r in server.chat_requests] == ["status:500", "status:503", "ok"]
    assert backend.stats.retries == 2


def test_timeout_then_success(server: FakeOpenAIServer) -> None:
    server.script(Behavior.hang(10))
    backend = make(server, timeout=0.2)
    started = time.monotonic()
    assert complete(backend).text
    assert 0.2 <= time.monotonic() - started < 2
    assert len(server.chat_requests) == 2


def test_dropped_connection_then_success(server: FakeOpenAIServer) -> None:
    server.script(Behavior.drop())
    assert complete(make(server)).text
    assert len(server.chat_requests) == 2


def test_malformed_body_is_retried_then_fails_with_a_reason(server: FakeOpenAIServer) -> None:
    server.script(Behavior.malformed())
    assert complete(make(server)).text
    server.clear()
    server.script(*[Behavior.malformed()] * 5)
    with pytest.raises(BackendError, match="malformed response body") as info:
        complete(make(server))
    assert "gave up after 3 attempts" in str(info.value)  # retried twice, not max_retries


def test_empty_content_is_retried_at_most_twice(server: FakeOpenAIServer) -> None:
    server.script(Behavior.empty())
    assert complete(make(server)).text
    server.clear()
    server.script(*[Behavior.empty()] * 5)
    with pytest.raises(BackendError, match=r"^empty reply \(gave up after 3 attempts\)$"):
        complete(make(server))
    assert len(server.chat_requests) == 3


def test_final_failure_after_max_retries_names_status_and_message(
    server: FakeOpenAIServer,
) -> None:
    server.script(*[Behavior.error(502, "upstream model crashed")] * 10)
    backend = make(server, api_key="sk-secret-value-123")
    with pytest.raises(BackendError) as info:
        complete(backend)
    message = str(info.value)
    assert "HTTP 502" in message and "upstream model crashed" in message
    assert "gave up after 4 attempts" in message
    assert info.value.exit_code == ExitCode.BACKEND
    assert "sk-secret" not in message
    assert len(server.chat_requests) == 4
    assert backend.stats.failures == 1


def test_client_errors_are_not_retried(server: FakeOpenAIServer) -> None:
    server.script(Behavior.error(400, "bad messages"))
    with pytest.raises(BackendError, match=r"HTTP 400 .*bad messages"):
        complete(make(server))
    assert len(server.chat_requests) == 1


def test_401_hint_names_the_key_variable_and_never_the_key(server: FakeOpenAIServer) -> None:
    server.script(Behavior.error(401, "Incorrect API key provided: sk-secret-value-123"))
    backend = make(server, api_key="sk-secret-value-123", api_key_env="DEEPSEEK_API_KEY")
    with pytest.raises(BackendError) as info:
        complete(backend)
    assert "sk-secret-value-123" not in str(info.value)
    assert "***" in str(info.value)
    assert "$DEEPSEEK_API_KEY" in str(info.value)


def test_insufficient_quota_429_is_final(server: FakeOpenAIServer) -> None:
    server.script(Behavior.error(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(BackendError, match=r"HTTP 429 .*quota"):
        complete(make(server))
    assert len(server.chat_requests) == 1


def test_a_429_pauses_every_task_not_just_one(server: FakeOpenAIServer) -> None:
    server.script(Behavior.rate_limited(0.3))
    backend = make(server)

    async def scenario() -> list[Completion]:
        first = asyncio.create_task(backend.complete(MESSAGES, {}))
        for _ in range(500):  # until the 429 is back and the backend is paused
            if backend.gate.remaining > 0:
                break
            await asyncio.sleep(0.01)
        assert backend.gate.remaining > 0
        others = [asyncio.create_task(backend.complete(MESSAGES, {})) for _ in range(3)]
        results = await asyncio.gather(first, *others)
        await backend.aclose()
        return results

    results = asyncio.run(scenario())
    assert all(r.text for r in results)
    requests = server.chat_requests
    assert len(requests) == 5  # the 429, its retry, three others that never met a 429
    limited_at = requests[0].received_at
    assert all(r.received_at - limited_at >= 0.29 for r in requests[1:])
    assert backend.stats.rate_limited == 1


def test_rpm_limiter_spaces_requests_across_tasks(server: FakeOpenAIServer) -> None:
    backend = make(server, rpm=600)  # one request every 0.1 s

    async def scenario() -> None:
        await backend.complete(MESSAGES, {})  # warm up: the first connection is slower
        await asyncio.gather(*(backend.complete(MESSAGES, {}) for _ in range(4)))
        await backend.aclose()

    started = time.monotonic()
    asyncio.run(scenario())
    times = sorted(r.received_at for r in server.chat_requests)
    gaps = sorted(b - a for a, b in itertools.pairwise(times))
    assert len(gaps) == 4
    # Five slots 0.1 s apart: the last cannot start before 0.4 s, and requests are spread
    # out, not bunched after a delay (lower bounds only: a busy machine adds, never removes).
    assert times[-1] - started >= 0.39
    assert gaps[2] >= 0.07, gaps
    assert time.monotonic() - started < 2


def test_json_mode_falls_back_once_and_is_remembered() -> None:
    with FakeOpenAIServer(json_mode=False) as srv:
        backend = make(srv)

        async def twice() -> None:
            await backend.complete(MESSAGES, {})
            await backend.complete(MESSAGES, {})
            await backend.aclose()

        asyncio.run(twice())
        formats = ["response_format" in r.json for r in srv.chat_requests]
    assert formats == [True, False, False]
    assert backend.json_mode_supported is False
    assert backend.adaptations == ["json mode off: the server rejected response_format"]
    assert backend.stats.retries == 0


def test_newer_openai_models_get_max_completion_tokens_and_default_temperature() -> None:
    def strict_model(request: dict[str, Any]) -> str | Behavior:
        # How OpenAI's reasoning models answer older parameters.
        if "max_tokens" in request:
            return Behavior.error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
            )
        if "temperature" in request:
            return Behavior.error(
                400,
                "Unsupported value: 'temperature' does not support 0.7 with this model. "
                "Only the default (1) value is supported.",
            )
        return '{"ok": true}'

    with FakeOpenAIServer(responder=strict_model) as srv:
        backend = make(srv)

        async def twice() -> None:
            await backend.complete(MESSAGES, {})
            await backend.complete(MESSAGES, {})
            await backend.aclose()

        asyncio.run(twice())
        bodies = [r.json for r in srv.chat_requests]
    assert len(bodies) == 4  # two lessons, then the second call is right first time
    assert bodies[-1]["max_completion_tokens"] == 500
    assert "max_tokens" not in bodies[-1] and "temperature" not in bodies[-1]
    assert backend.adaptations == [
        "max_tokens sent as max_completion_tokens",
        "temperature dropped: not supported by the server",
    ]
    assert backend.stats.retries == 0


def test_an_unrelated_400_is_not_adapted(server: FakeOpenAIServer) -> None:
    server.script(Behavior.error(400, "temperature must be between 0 and 2"))
    with pytest.raises(BackendError, match="temperature must be between 0 and 2"):
        complete(make(server))
    assert len(server.chat_requests) == 1


def test_a_new_event_loop_gets_a_new_client(server: FakeOpenAIServer) -> None:
    backend = make(server)
    assert asyncio.run(backend.complete(MESSAGES, {})).text
    assert asyncio.run(backend.complete(MESSAGES, {})).text  # the old pool died with its loop
    asyncio.run(backend.aclose())


# --- keys and transport safety ---------------------------------------------------------


def test_no_key_for_loopback_sends_a_placeholder_never_the_environment_key(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-123")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-private")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-private")
    complete(make(server, api_key=None, api_key_env="VLLM_API_KEY"))
    (request,) = server.chat_requests
    assert request.api_key == PLACEHOLDER_KEY
    assert "sk-from-environment-123" not in json.dumps(dict(request.headers))
    assert "openai-organization" not in request.headers
    assert "openai-project" not in request.headers


def test_the_configured_key_and_extra_headers_are_sent(server: FakeOpenAIServer) -> None:
    complete(make(server, api_key="sk-local-abc", extra_headers={"X-Team": "marketing"}))
    (request,) = server.chat_requests
    assert request.api_key == "sk-local-abc"
    assert request.headers["x-team"] == "marketing"


def test_settings_pick_the_key_from_api_key_env(server: FakeOpenAIServer, tmp_path: Any) -> None:
    settings = load_settings(
        cli={"backend": "openai", "model": "m-x", "base_url": server.url, "max_retries": 0},
        env={"VLLM_API_KEY": "vllm-key-123", "COPYGEN_API_KEY_ENV": "VLLM_API_KEY"},
        cwd=tmp_path,
        home=tmp_path,
    )
    backend = OpenAIBackend.from_settings(settings)
    complete(backend)
    assert server.chat_requests[0].api_key == "vllm-key-123"
    assert server.chat_requests[0].json["model"] == "m-x"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1",
        "http://127.8.9.10/v1",
        "http://localhost:11434/v1",
        "http://[::1]:8000/v1",
        "https://api.deepseek.com/v1",
    ],
)
def test_key_allowed_over_https_and_loopback(url: str) -> None:
    backend = OpenAIBackend(model="m", base_url=url, api_key="sk-abcdef")
    assert backend.base_url == url


def test_key_over_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        OpenAIBackend(model="m", base_url="http://10.0.0.5:8000/v1", api_key="sk-abcdef")
    assert "plain http" in str(info.value) and "--allow-insecure" in str(info.value)
    assert "sk-abcdef" not in str(info.value)
    allowed = OpenAIBackend(
        model="m", base_url="http://10.0.0.5:8000/v1", api_key="sk-abcdef", allow_insecure=True
    )
    assert allowed.base_url == "http://10.0.0.5:8000/v1"


def test_secret_header_over_plain_http_is_refused_too() -> None:
    with pytest.raises(ConfigError, match="header 'api-key'"):
        OpenAIBackend(
            model="m",
            base_url="http://llm.example.com/v1",
            extra_headers={"api-key": "azure-secret"},
            allow_insecure=False,
            api_key=None,
        )


def test_remote_host_without_key_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="DEEPSEEK_API_KEY"):
        OpenAIBackend(
            model="deepseek-chat",
            base_url="https://api.deepseek.com/v1",
            api_key_env="DEEPSEEK_API_KEY",
        )
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIBackend(model="gpt-4o-mini")  # default base URL: api.openai.com


def test_trusted_plain_http_server_without_key_is_allowed_with_allow_insecure() -> None:
    backend = OpenAIBackend(model="m", base_url="http://gpu-box:8000/v1", allow_insecure=True)
    assert backend.base_url == "http://gpu-box:8000/v1"


def test_model_and_url_are_validated() -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        OpenAIBackend(model=None, base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ConfigError, match="http"):
        OpenAIBackend(model="m", base_url="ftp://127.0.0.1/v1")
    with pytest.raises(ConfigError, match="http"):
        OpenAIBackend(model="m", base_url="127.0.0.1:8000/v1")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.255.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("api.localhost", True),
        ("10.0.0.1", False),
        ("localhost.example.com", False),
        ("128.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(host: str | None, expected: bool) -> None:
    assert is_loopback_host(host) is expected


def test_unknown_response_format_is_a_config_error(server: FakeOpenAIServer) -> None:
    with pytest.raises(ConfigError, match="unknown response_format 'xml'"):
        make(server, response_format="xml")
