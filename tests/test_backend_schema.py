"""Response format and max_tokens from the platform, through the real client and server.

The JSON schema is built from ``copygen.platforms``; a server that rejects it gets
``json_object``, then nothing, and what it took is remembered for the run and, in
``server_caps.json``, for the next one. ``max_tokens`` is sized from the platform
unless the user gave one.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from copygen.backends.base import Completion, RequestContext
from copygen.backends.openai_compat import OpenAIBackend
from copygen.backends.registry import create_backend
from copygen.backends.response_format import (
    auto_max_tokens,
    platform_schema,
    response_format_for,
    tokens_per_char,
)
from copygen.backends.retry import RetryPolicy
from copygen.backends.server_caps import CAPS_FILE, CapsStore, server_key
from copygen.config import load_settings
from copygen.platforms import PLATFORM_SPECS
from copygen.testing.fake_openai import Behavior, FakeOpenAIServer

MESSAGES = [
    {"role": "system", "content": "你是电商文案助手。"},
    {"role": "user", "content": "写小红书文案，JSON 字段 title, body, hashtags。"},
]
FAST = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)
SOCIAL_ZH = RequestContext(item_id="A-1:social:zh:v1", platform="social", lang="zh", variant=1)
SOCIAL_EN = RequestContext(item_id="A-1:social:en:v1", platform="social", lang="en", variant=1)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def make(server: FakeOpenAIServer, **overrides: Any) -> OpenAIBackend:
    options: dict[str, Any] = {
        "model": "fake-model",
        "base_url": server.url,
        "timeout": 5.0,
        "policy": FAST,
    }
    options.update(overrides)
    return OpenAIBackend(**options)


def run(
    backend: OpenAIBackend,
    *contexts: RequestContext | None,
    params: dict[str, Any] | None = None,
) -> list[Completion]:
    """One request per context, one after the other, then close."""

    async def go() -> list[Completion]:
        try:
            return [
                await backend.complete(MESSAGES, params or {}, context=context)
                for context in contexts
            ]
        finally:
            await backend.aclose()

    return asyncio.run(go())


def formats(server: FakeOpenAIServer) -> list[str]:
    """The response format type of each chat request ("none" when it had none)."""
    out = []
    for request in server.chat_requests:
        response_format = request.json.get("response_format")
        out.append(response_format["type"] if response_format else "none")
    return out


# --- the schema ------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", sorted(PLATFORM_SPECS))
def test_schema_is_shaped_from_the_platform_spec(platform: str) -> None:
    spec = PLATFORM_SPECS[platform]
    schema = platform_schema(platform)
    assert schema is not None
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(spec.field_names)
    assert list(schema["properties"]) == list(spec.field_names)
    for field in spec.fields:
        prop = schema["properties"][field.name]
        if field.kind == "list":
            assert prop["type"] == "array"
            assert prop["items"] == {"type": "string", "maxLength": field.max_chars}
            assert prop["minItems"] == field.min_items
            assert prop["maxItems"] == field.max_items
        else:
            assert prop["type"] == "string"
            assert prop["maxLength"] == field.max_chars
    loose = platform_schema(platform, limits=False)
    assert loose is not None
    text = json.dumps(loose)
    assert "maxLength" not in text and "minItems" not in text and "maxItems" not in text
    assert platform_schema("tiktok") is None


def test_request_for_a_platform_sends_its_strict_schema(server: FakeOpenAIServer) -> None:
    (completion,) = run(make(server), SOCIAL_ZH)
    assert json.loads(completion.text)["hashtags"]
    assert server.last_response_format == {
        "type": "json_schema",
        "json_schema": {
            "name": "copy_social",
            "strict": True,
            "schema": platform_schema("social"),
        },
    }


def test_request_without_a_platform_gets_json_object(server: FakeOpenAIServer) -> None:
    backend = make(server)
    run(backend, None)
    assert server.last_response_format == {"type": "json_object"}
    assert backend.response_format_level == "json_schema"  # nothing was rejected
    assert response_format_for("json_schema", None) == {"type": "json_object"}
    assert response_format_for("none", "social") is None


@pytest.mark.parametrize(
    ("setting", "json_mode", "expected"),
    [
        ("json_object", True, ["json_object"]),
        ("none", True, ["none"]),
        ("json_schema", True, ["json_schema"]),
        ("auto", False, ["none"]),  # json_mode: false still means no response_format
    ],
)
def test_response_format_setting(
    server: FakeOpenAIServer, setting: str, json_mode: bool, expected: list[str]
) -> None:
    run(make(server, response_format=setting, json_mode=json_mode), SOCIAL_ZH)
    assert formats(server) == expected


def test_response_format_param_overrides_the_backend_and_is_not_sent(
    server: FakeOpenAIServer,
) -> None:
    run(make(server), SOCIAL_ZH, params={"response_format": "json_object", "json_mode": True})
    assert formats(server) == ["json_object"]
    body = server.chat_requests[0].json
    assert "json_mode" not in body and "response_schema" not in body


# --- falling back ------------------------------------------------------------------------------


def test_json_schema_rejected_falls_back_to_json_object_and_is_remembered() -> None:
    with FakeOpenAIServer(json_schema=False) as srv:
        backend = make(srv)
        completions = run(backend, SOCIAL_ZH, SOCIAL_ZH)
        assert formats(srv) == ["json_schema", "json_object", "json_object"]
        assert [r.behavior for r in srv.chat_requests] == ["status:400", "ok", "ok"]
    assert all(json.loads(c.text)["title"] for c in completions)
    assert backend.adaptations == ["response_format json_object: the server rejected json_schema"]
    assert backend.response_format_level == "json_object"
    assert backend.json_mode_supported is True
    assert backend.stats.retries == 0


def test_json_schema_and_json_object_rejected_fall_back_to_none() -> None:
    with FakeOpenAIServer(json_schema=False, json_object=False) as srv:
        backend = make(srv)
        run(backend, SOCIAL_ZH, SOCIAL_EN)
        assert formats(srv) == ["json_schema", "json_object", "none", "none"]
    assert backend.adaptations == [
        "response_format json_object: the server rejected json_schema",
        "json mode off: the server rejected response_format",
    ]
    assert backend.response_format_level == "none"
    assert backend.json_mode_supported is False


def test_rejected_schema_limits_are_dropped_before_the_schema() -> None:
    with FakeOpenAIServer(schema_limits=False) as srv:
        backend = make(srv)
        run(backend, SOCIAL_ZH, SOCIAL_ZH)
        sent = [r.json.get("response_format") for r in srv.chat_requests]
    assert [f["type"] for f in sent] == ["json_schema"] * 3
    assert sent[1]["json_schema"]["schema"] == platform_schema("social", limits=False)
    assert sent[2] == sent[1]
    assert backend.adaptations == [
        "json_schema sent without maxLength/minItems/maxItems: the server rejected them"
    ]


def test_concurrent_rejections_are_learnt_once() -> None:
    with FakeOpenAIServer(json_schema=False, latency=0.05) as srv:
        backend = make(srv)

        async def many() -> None:
            try:
                await asyncio.gather(
                    *(backend.complete(MESSAGES, {}, context=SOCIAL_ZH) for _ in range(6))
                )
            finally:
                await backend.aclose()

        asyncio.run(many())
        kinds = formats(srv)
    assert kinds.count("json_object") == 6
    assert backend.adaptations == ["response_format json_object: the server rejected json_schema"]


def test_an_unrelated_400_still_fails(server: FakeOpenAIServer) -> None:
    from copygen.errors import BackendError

    server.script(Behavior.error(400, "temperature must be between 0 and 2"))
    with pytest.raises(BackendError, match="temperature"):
        run(make(server), SOCIAL_ZH)
    assert len(server.chat_requests) == 1


# --- remembered across runs ------------------------------------------------------------------


def test_a_new_instance_reads_what_the_last_one_learnt(tmp_path: Path) -> None:
    caps = tmp_path / "caps" / CAPS_FILE
    with FakeOpenAIServer(json_schema=False) as srv:
        first = make(srv, caps_file=caps, profile="local")
        run(first, SOCIAL_ZH)
        assert formats(srv) == ["json_schema", "json_object"]
        data = json.loads(caps.read_text(encoding="utf-8"))
        entry = data["servers"][server_key(srv.url, "fake-model")]
        assert entry["response_format"] == "json_object"
        assert entry["profile"] == "local" and entry["model"] == "fake-model"

        srv.clear()
        second = make(srv, caps_file=caps)
        assert second.response_format_level == "json_object"
        run(second, SOCIAL_ZH)
        assert formats(srv) == ["json_object"]  # straight to what works
        assert "remembered" in second.adaptations[0]

        srv.clear()
        # An explicit setting is not overridden by what was remembered.
        run(make(srv, caps_file=caps, response_format="json_schema"), SOCIAL_ZH)
        assert formats(srv) == ["json_schema", "json_object"]


def test_the_profile_backend_uses_the_caps_file_in_the_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-caps-SECRET-0123456789"
    monkeypatch.setenv("LOCAL_KEY", key)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.chdir(tmp_path)
    caps = tmp_path / "xdg-cache" / "copygen" / CAPS_FILE
    with FakeOpenAIServer(json_schema=False, json_object=False, api_key=key) as srv:
        (tmp_path / "copygen.yaml").write_text(
            f"backends:\n  local:\n    type: openai\n    base_url: {srv.url}\n"
            "    model: fake-model\n    api_key_env: LOCAL_KEY\n",
            encoding="utf-8",
        )
        backend = create_backend(load_settings(cli={"backend": "local"}))
        assert isinstance(backend, OpenAIBackend)
        run(backend, SOCIAL_ZH, SOCIAL_ZH)
        assert formats(srv) == ["json_schema", "json_object", "none", "none"]
        text = caps.read_text(encoding="utf-8")
        entry = json.loads(text)["servers"][server_key(srv.url, "fake-model")]
        assert entry["response_format"] == "none" and entry["profile"] == "local"
        assert key not in text and "SECRET" not in text

        srv.clear()
        again = create_backend(load_settings(cli={"backend": "local"}))
        assert isinstance(again, OpenAIBackend)
        run(again, SOCIAL_ZH)
        assert formats(srv) == ["none"]  # the next run starts with what works


def test_caps_honour_cache_dir_ttl_and_strip_credentials(tmp_path: Path) -> None:
    from copygen.backends.server_caps import caps_path

    settings = load_settings(cli={"cache_dir": str(tmp_path / "c")}, env={}, cwd=tmp_path)
    assert caps_path(settings) == tmp_path / "c" / CAPS_FILE
    store = CapsStore(tmp_path / CAPS_FILE)
    url = "http://user:pa55word@127.0.0.1:8000/v1/"
    assert server_key(url, "m") == "http://127.0.0.1:8000/v1 m"
    assert store.update(url, "m", response_format="json_object")
    assert "pa55word" not in (tmp_path / CAPS_FILE).read_text(encoding="utf-8")
    caps = store.get("http://127.0.0.1:8000/v1", "m")
    assert caps is not None and caps.response_format == "json_object"
    assert CapsStore(tmp_path / CAPS_FILE, ttl=0.0).get(url, "m") is None  # out of date
    (tmp_path / CAPS_FILE).write_text("{not json", encoding="utf-8")
    assert store.get(url, "m") is None
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    assert CapsStore(blocked / CAPS_FILE).update(url, "m", response_format="none") is False


def test_an_unwritable_caps_file_does_not_stop_the_run(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("", encoding="utf-8")
    with FakeOpenAIServer(json_schema=False) as srv:
        backend = make(srv, caps_file=blocked / CAPS_FILE)
        run(backend, SOCIAL_ZH, SOCIAL_ZH)
        assert formats(srv) == ["json_schema", "json_object", "json_object"]


# --- max_tokens --------------------------------------------------------------------------------


def test_auto_max_tokens_per_platform_and_language() -> None:
    assert tokens_per_char("zh-CN") == 1.0 and tokens_per_char("en_US") == 0.3
    for platform in PLATFORM_SPECS:
        zh, en = auto_max_tokens(platform, "zh"), auto_max_tokens(platform, "en")
        assert zh is not None and en is not None
        assert 256 <= en < zh
        # Room for the longest text the platform allows, and not much more.
        limit = PLATFORM_SPECS[platform].max_total_chars
        assert zh <= limit * 1.1
    assert auto_max_tokens("social", "zh") == 1244
    assert auto_max_tokens("social", "en") == 418
    assert auto_max_tokens("livestream", "zh") == 1564
    assert auto_max_tokens("detail", "en") == 418
    assert auto_max_tokens(None, "zh") is None


def test_max_tokens_sized_per_request_unless_given(server: FakeOpenAIServer) -> None:
    run(make(server), SOCIAL_ZH, SOCIAL_EN, None)
    sent = [r.json.get("max_tokens") for r in server.chat_requests]
    assert sent == [1244, 418, None]

    server.clear()
    # generate passes max_tokens: None when the user set none: still auto.
    run(make(server), SOCIAL_ZH, params={"max_tokens": None})
    assert server.chat_requests[0].json["max_tokens"] == 1244

    server.clear()
    run(make(server, max_tokens=700), SOCIAL_ZH)  # the user's value stands
    run(make(server), SOCIAL_ZH, params={"max_tokens": 300})
    assert [r.json["max_tokens"] for r in server.chat_requests] == [700, 300]


def test_settings_max_tokens_auto_and_explicit(tmp_path: Path) -> None:
    auto = load_settings(env={"COPYGEN_MAX_TOKENS": "auto"}, cwd=tmp_path, home=tmp_path)
    assert auto.max_tokens is None
    explicit = load_settings(env={"COPYGEN_MAX_TOKENS": "900"}, cwd=tmp_path, home=tmp_path)
    assert explicit.max_tokens == 900
    assert load_settings(env={}, cwd=tmp_path, home=tmp_path).max_tokens is None


def test_a_looping_model_is_cut_at_the_sized_max_tokens() -> None:
    with FakeOpenAIServer(looping=True) as srv:
        # JSON mode only: the list repeats until max_tokens.
        (looped,) = run(make(srv, response_format="json_object"), SOCIAL_EN)
        assert looped.finish_reason == "length"
        assert looped.usage.completion_tokens <= 418
        assert srv.chat_requests[0].json["max_tokens"] == 418
        srv.clear()
        # The schema's maxItems ends the list: complete JSON, within the platform's limit.
        (bounded,) = run(make(srv), SOCIAL_EN)
        assert bounded.finish_reason == "stop"
        assert len(json.loads(bounded.text)["hashtags"]) == 8


def test_a_reply_starved_by_the_sized_max_tokens_is_asked_again_without() -> None:
    def reasoning_model(request: dict[str, Any]) -> str | Behavior:
        if "max_tokens" in request:
            return Behavior.ok("", finish_reason="length")  # all spent on thinking
        return '{"title": "t", "body": "b", "hashtags": ["a", "b", "c"]}'

    with FakeOpenAIServer(responder=reasoning_model) as srv:
        backend = make(srv)
        completions = run(backend, SOCIAL_ZH, SOCIAL_ZH)
        sent = ["max_tokens" in r.json for r in srv.chat_requests]
    assert sent == [True, False, False]
    assert all(c.text.startswith("{") for c in completions)
    assert len(backend.adaptations) == 1 and "max_tokens" in backend.adaptations[0]


def test_a_sized_max_tokens_is_fitted_to_the_context_window() -> None:
    def small_context(request: dict[str, Any]) -> str | Behavior:
        if request.get("max_tokens", 0) > 1000:
            return Behavior.error(
                400,
                "This model's maximum context length is 2048 tokens. However, you requested "
                f"{1100 + request['max_tokens']} tokens (1100 in the messages, "
                f"{request['max_tokens']} in the completion).",
            )
        return '{"title": "t", "body": "b", "hashtags": ["a", "b", "c"]}'

    with FakeOpenAIServer(responder=small_context) as srv:
        backend = make(srv)
        run(backend, SOCIAL_ZH)
        assert [r.json["max_tokens"] for r in srv.chat_requests] == [1244, 2048 - 1100 - 8]
    assert backend.adaptations == [
        "max_tokens lowered to fit the server's context window for long prompts"
    ]

    with FakeOpenAIServer(responder=small_context) as srv:
        from copygen.errors import BackendError

        # A max_tokens the user set is theirs: the error is reported, not worked around.
        with pytest.raises(BackendError, match="maximum context length"):
            run(make(srv, max_tokens=1500), SOCIAL_ZH)


def test_caps_entries_expire(tmp_path: Path) -> None:
    path = tmp_path / CAPS_FILE
    key = server_key("http://127.0.0.1:1/v1", "m")
    old = time.time() - 30 * 24 * 3600
    path.write_text(
        json.dumps({"version": 1, "servers": {key: {"response_format": "none", "updated": old}}}),
        encoding="utf-8",
    )
    assert CapsStore(path).get("http://127.0.0.1:1/v1", "m") is None
    backend = OpenAIBackend(model="m", base_url="http://127.0.0.1:1/v1", caps_file=path)
    assert backend.response_format_level == "json_schema"
