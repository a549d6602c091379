"""A model server on this machine: a long timeout and few requests in flight by default.

A CPU server generates one reply at a time; more requests only wait in its queue, and
the wait counts against the client's timeout. So when the user set neither, a loopback
base URL gets 600 s and concurrency 2; a remote one keeps 60 s and 8; a value the user
gave (flag, environment, config, profile) always stands.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from copygen.backends.openai_compat import OpenAIBackend
from copygen.backends.registry import create_backend
from copygen.cli.main import app
from copygen.config import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    LOCAL_SERVER_CONCURRENCY,
    LOCAL_SERVER_TIMEOUT,
    Settings,
    is_loopback_url,
    load_settings,
)
from copygen.errors import BackendError
from copygen.testing.fake_openai import FakeOpenAIServer

LOCAL = "http://127.0.0.1:8000/v1"
REMOTE = "https://api.deepseek.com/v1"
PRODUCTS_CSV = """sku,title,category,selling_points,attributes,price
A-1,保湿面霜 50g,美妆,清爽不黏腻,净含量:50g,99
B-2,全麦吐司 400g,食品,低糖配方,净含量:400g,19.9
C-3,纯棉T恤,服饰,100%纯棉,面料:纯棉,59
"""


def settings(tmp_path: Path, env: dict[str, str] | None = None, **cli: Any) -> Settings:
    return load_settings(cli=cli, env=env or {}, cwd=tmp_path, home=tmp_path)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://127.3.4.5/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8080/v1", True),
        ("https://api.openai.com/v1", False),
        ("http://192.168.1.20:8000/v1", False),
        ("http://localhost.example.com/v1", False),
        (None, False),
        ("not a url", False),
    ],
)
def test_loopback_detection(url: str | None, local: bool) -> None:
    assert is_loopback_url(url) is local


def test_loopback_server_gets_600_s_and_concurrency_2(tmp_path: Path) -> None:
    local = settings(tmp_path, backend="openai", base_url=LOCAL, model="m")
    assert local.timeout == LOCAL_SERVER_TIMEOUT == 600
    assert local.concurrency == LOCAL_SERVER_CONCURRENCY == 2
    assert local.local_server is True
    assert local.sources["timeout"] == "default for a server on this machine"
    assert local.sources["concurrency"] == "default for a server on this machine"

    remote = settings(tmp_path, backend="openai", base_url=REMOTE, model="m")
    assert remote.timeout == DEFAULT_TIMEOUT == 60
    assert remote.concurrency == DEFAULT_CONCURRENCY == 8
    assert "timeout" not in remote.sources and remote.local_server is False
    # OpenAI itself (no base URL) is remote; the offline backend keeps the defaults.
    assert settings(tmp_path, backend="openai", model="m").timeout == 60
    offline = settings(tmp_path, base_url=LOCAL)
    assert (offline.timeout, offline.concurrency) == (60, 8)


def test_values_the_user_gave_win(tmp_path: Path) -> None:
    flagged = settings(
        tmp_path, backend="openai", base_url=LOCAL, model="m", timeout=5, concurrency=6
    )
    assert (flagged.timeout, flagged.concurrency) == (5, 6)
    assert flagged.sources["timeout"] == "option"
    env = {"COPYGEN_TIMEOUT": "30", "COPYGEN_CONCURRENCY": "3", "OPENAI_BASE_URL": LOCAL}
    from_env = settings(tmp_path, env=env, backend="openai", model="m")
    assert (from_env.timeout, from_env.concurrency) == (30, 3)
    # "auto" is the same as not setting it.
    auto = settings(
        tmp_path,
        env={"COPYGEN_TIMEOUT": "auto", "COPYGEN_CONCURRENCY": "auto"},
        backend="openai",
        base_url=LOCAL,
        model="m",
    )
    assert (auto.timeout, auto.concurrency) == (600, 2)


def test_profile_timeout_and_concurrency(tmp_path: Path) -> None:
    (tmp_path / "copygen.yaml").write_text(
        "timeout: auto\nconcurrency: auto\n"
        "backends:\n"
        "  cpu:\n    type: openai\n    base_url: http://127.0.0.1:8080/v1\n    model: m\n"
        "  gpu:\n    type: openai\n    base_url: http://127.0.0.1:8000/v1\n    model: m\n"
        "    timeout: 120\n    concurrency: 16\n",
        encoding="utf-8",
    )
    cpu = settings(tmp_path, backend="cpu")
    assert (cpu.timeout, cpu.concurrency) == (600, 2)
    gpu = settings(tmp_path, backend="gpu")
    assert (gpu.timeout, gpu.concurrency) == (120, 16)
    assert "backend 'gpu'" in gpu.sources["timeout"]
    flag = settings(tmp_path, backend="gpu", timeout=5)
    assert flag.timeout == 5


def test_template_leaves_the_defaults_to_the_server(tmp_path: Path) -> None:
    from importlib.resources import files

    text = files("copygen").joinpath("config_template.yaml").read_text(encoding="utf-8")
    (tmp_path / "copygen.yaml").write_text(text, encoding="utf-8")
    local = settings(tmp_path, backend="local-vllm")
    assert (local.timeout, local.concurrency, local.max_tokens) == (600, 2, None)
    remote = settings(tmp_path, backend="deepseek")
    assert (remote.timeout, remote.concurrency, remote.max_tokens) == (60, 8, None)
    assert remote.response_format == "auto"


def test_backend_timeout_follows_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert OpenAIBackend(model="m", base_url=LOCAL).timeout == 600
    assert OpenAIBackend(model="m", base_url=REMOTE, api_key="sk-x-123456").timeout == 60
    assert OpenAIBackend(model="m", base_url=LOCAL, timeout=5).timeout == 5
    backend = create_backend(settings(tmp_path, backend="openai", base_url=LOCAL, model="m"))
    assert isinstance(backend, OpenAIBackend) and backend.timeout == 600
    backend = create_backend(
        settings(tmp_path, backend="openai", base_url=LOCAL, model="m", timeout=7)
    )
    assert isinstance(backend, OpenAIBackend) and backend.timeout == 7


def test_generate_timeout_and_model_flags_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Settings] = []

    def fake_generate(**kwargs: Any) -> None:
        seen.append(kwargs["settings"])
        raise typer.Exit(0)

    monkeypatch.setattr("copygen.generate.run.generate", fake_generate)
    args = ["generate", "in.csv", "-o", str(tmp_path / "out"), "--backend", "openai"]
    args += ["--model", "m", "--base-url", LOCAL]
    result = CliRunner().invoke(app, [*args, "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert seen[-1].timeout == 5.0 and seen[-1].concurrency == 2
    assert seen[-1].max_tokens is None and seen[-1].response_format == "auto"

    more = ["--max-tokens", "300", "--response-format", "json_object", "-j", "4"]
    result = CliRunner().invoke(app, [*args, *more])
    assert result.exit_code == 0, result.output
    assert (seen[-1].timeout, seen[-1].max_tokens) == (600, 300)
    assert (seen[-1].response_format, seen[-1].concurrency) == ("json_object", 4)

    bad = CliRunner().invoke(app, [*args, "--response-format", "yaml"])
    assert bad.exit_code == 2
    assert "response_format" in bad.output or "response-format" in bad.output


def test_a_slow_queue_outlasts_a_short_timeout_but_not_the_local_default() -> None:
    """Four requests to a one-at-a-time server: the last waits three service times."""

    async def four(backend: OpenAIBackend) -> list[Any]:
        try:
            return await asyncio.gather(
                *(backend.complete([{"role": "user", "content": "hi"}], {}) for _ in range(4)),
                return_exceptions=True,
            )
        finally:
            await backend.aclose()

    from copygen.backends.retry import RetryPolicy

    once = RetryPolicy(max_retries=0)
    with FakeOpenAIServer(service_time=0.15) as srv:
        # A timeout shorter than the queue: the requests at the back fail.
        short = OpenAIBackend(model="m", base_url=srv.url, timeout=0.35, policy=once)
        results = asyncio.run(four(short))
        failures = [r for r in results if isinstance(r, BackendError)]
        assert failures and "lower --concurrency or raise --timeout" in str(failures[0])
        assert srv.peak_in_flight == 4
    with FakeOpenAIServer(service_time=0.15) as srv:
        backend = OpenAIBackend(model="m", base_url=srv.url, policy=once)
        assert backend.timeout == 600
        results = asyncio.run(four(backend))
        assert not [r for r in results if isinstance(r, BaseException)]


def test_generate_keeps_two_requests_in_flight_for_a_local_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copygen.generate.run import generate

    products = tmp_path / "products.csv"
    products.write_text(PRODUCTS_CSV, encoding="utf-8")
    with FakeOpenAIServer(service_time=0.05) as srv:
        cli = {"backend": "openai", "model": "m", "base_url": srv.url, "platforms": "social"}
        cli["cache"] = "false"
        local = load_settings(cli=cli)
        assert local.concurrency == 2
        summary = generate(input_path=products, outdir=tmp_path / "out", settings=local)
        assert summary.exit_code == 0
        assert srv.peak_in_flight <= 2
        assert all(r.json["max_tokens"] == 1244 for r in srv.chat_requests)

        srv.clear()
        chosen = load_settings(cli={**cli, "concurrency": 3})
        generate(input_path=products, outdir=tmp_path / "out3", settings=chosen)
        assert srv.peak_in_flight == 3  # the user's concurrency stands
