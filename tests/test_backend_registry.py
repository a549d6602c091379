"""The backend registry, entry-point plugins and ``copygen backends list``."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copygen.backends import registry
from copygen.backends.base import Backend
from copygen.backends.openai_compat import OpenAIBackend
from copygen.cli.main import app
from copygen.config import load_settings
from copygen.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

PLUGIN_MODULE = '''
from copygen.backends.base import Backend, Completion


class EchoBackend(Backend):
    """Echoes the last message back."""

    name = "echo"
    remote = False

    @classmethod
    def from_settings(cls, settings):
        backend = cls()
        backend.settings = settings
        return backend

    async def complete(self, messages, params, *, context=None):
        return Completion(text=messages[-1]["content"], model="echo-1")


class NotABackend:
    pass
'''

ENTRY_POINTS = """
[copygen.backends]
echo = copygen_fakeplugin:EchoBackend
broken = copygen_fakeplugin_missing:Nope
openai = copygen_fakeplugin:EchoBackend
wrongtype = copygen_fakeplugin:NotABackend
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real installed distribution (a .dist-info on sys.path) declaring four entry points."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "copygen_fakeplugin.py").write_text(textwrap.dedent(PLUGIN_MODULE), encoding="utf-8")
    info = site / "copygen_fakeplugin-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: copygen-fakeplugin\nVersion: 1.2.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    return site


def settings_for(tmp_path: Path, **cli: object):  # type: ignore[no-untyped-def]
    return load_settings(cli=cli, env={}, cwd=tmp_path, home=tmp_path)


def test_builtins_are_listed() -> None:
    infos = {info.name: info for info in registry.backend_infos()}
    assert set(registry.BUILTINS) <= set(infos)
    openai_info = infos["openai"]
    assert openai_info.cls is OpenAIBackend
    assert openai_info.source == "built-in"
    assert openai_info.remote is True
    assert "OpenAI-compatible" in openai_info.description
    assert registry.available_backends()["openai"] is OpenAIBackend
    offline = infos["offline"]
    # The offline backend is another module: loaded, or reported with its import error.
    assert offline.cls is not None or offline.error


def test_a_broken_builtin_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BUILTINS, "ghost", "copygen.backends.no_such_module:Ghost")
    infos = {info.name: info for info in registry.backend_infos()}
    assert infos["ghost"].cls is None
    assert "ModuleNotFoundError" in (infos["ghost"].error or "")
    assert "ghost" not in registry.available_backends()
    assert "openai" in registry.available_backends()


def test_entry_point_plugins_load_and_problems_are_reported(plugin: Path) -> None:
    infos: dict[str, registry.BackendInfo] = {}
    for item in registry.backend_infos():
        infos.setdefault(item.name, item)
    echo = infos["echo"]
    assert echo.cls is not None and issubclass(echo.cls, Backend)
    assert echo.source == "copygen-fakeplugin 1.2.0"
    assert echo.remote is False
    assert echo.description == "Echoes the last message back."
    assert "ModuleNotFoundError" in (infos["broken"].error or "")
    assert "not a subclass" in (infos["wrongtype"].error or "")
    # A plugin cannot take over a built-in name.
    assert infos["openai"].cls is OpenAIBackend
    taken = [i for i in registry.backend_infos() if i.name == "openai" and i.cls is None]
    assert taken and "already taken" in (taken[0].error or "")
    assert set(registry.available_backends()) >= {"openai", "echo"}
    assert "broken" not in registry.available_backends()


def test_create_backend_builds_a_plugin_from_settings(plugin: Path, tmp_path: Path) -> None:
    backend = registry.create_backend(settings_for(tmp_path, backend="echo"))
    reply = asyncio.run(backend.complete([{"role": "user", "content": "hi"}], {}))
    assert reply.text == "hi"
    with pytest.raises(ConfigError, match=r"'broken' .*cannot be loaded.*ModuleNotFoundError"):
        registry.create_backend(settings_for(tmp_path, backend="broken"))


def test_create_backend_unknown_name_lists_the_available(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        registry.create_backend(settings_for(tmp_path, backend="gpt9000"))
    message = str(info.value)
    assert "unknown backend 'gpt9000'" in message
    assert "openai" in message


def test_create_backend_openai(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, backend="openai", model="qwen2.5:7b", base_url="http://127.0.0.1:11434/v1"
    )
    backend = registry.create_backend(settings)
    assert isinstance(backend, OpenAIBackend)
    assert backend.model == "qwen2.5:7b"
    with pytest.raises(ConfigError, match="needs a model"):
        registry.create_backend(settings_for(tmp_path, backend="openai"))


def test_create_backend_from_a_config_profile(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text(
        "backends:\n  ollama:\n    type: openai\n    base_url: http://127.0.0.1:11434/v1\n"
        "    model: qwen2.5:7b\n    json_mode: false\n",
        encoding="utf-8",
    )
    settings = load_settings(cli={"backend": "ollama"}, env={}, cwd=tmp_path, home=tmp_path)
    backend = registry.create_backend(settings)
    assert isinstance(backend, OpenAIBackend)
    assert backend.base_url == "http://127.0.0.1:11434/v1"
    assert backend.request_params({})["json_mode"] is False


def test_entry_point_discovery_failure_is_not_fatal() -> None:
    def broken_metadata() -> list[object]:
        raise RuntimeError("bad metadata")

    infos = registry.backend_infos(entry_points=broken_metadata)  # type: ignore[arg-type]
    assert any(i.cls is OpenAIBackend for i in infos)
    assert any("bad metadata" in (i.error or "") for i in infos)


# --- the CLI -------------------------------------------------------------------------------


def test_cli_backends_list(plugin: Path) -> None:
    result = CliRunner().invoke(app, ["backends", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "SOURCE", "DESCRIPTION"]
    openai_line = next(line for line in lines if line.startswith("openai "))
    assert "remote" in openai_line and "built-in" in openai_line
    echo_line = next(line for line in lines if line.startswith("echo "))
    assert "local" in echo_line and "copygen-fakeplugin 1.2.0" in echo_line
    broken_line = next(line for line in lines if line.startswith("broken "))
    assert "error: ModuleNotFoundError" in broken_line
    assert "Current: offline" in result.output


def test_cli_backends_list_json_with_profiles(tmp_path: Path) -> None:
    template = (REPO / "copygen" / "config_template.yaml").read_text(encoding="utf-8")
    config = tmp_path / "copygen.yaml"
    config.write_text(template, encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "backends", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = {b["name"]: b for b in data["backends"]}
    assert names["openai"]["kind"] == "remote"
    profiles = {p["name"]: p for p in data["profiles"]}
    assert profiles["deepseek"]["api_key_env"] == "DEEPSEEK_API_KEY"
    assert profiles["ollama"]["base_url"] == "http://127.0.0.1:11434/v1"

    text = CliRunner().invoke(app, ["--config", str(config), "backends", "list"])
    assert text.exit_code == 0
    assert "Profiles (" in text.output
    deepseek = next(line for line in text.output.splitlines() if line.startswith("deepseek "))
    assert "$DEEPSEEK_API_KEY" in deepseek and "https://api.deepseek.com/v1" in deepseek


def test_cli_backends_test_against_a_server() -> None:
    from copygen.testing.fake_openai import FakeOpenAIServer

    with FakeOpenAIServer(responder=lambda request: '{"ok": true}') as server:
        args = ["backends", "test", "--backend", "openai", "--model", "tiny"]
        result = CliRunner().invoke(app, [*args, "--base-url", server.url])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"ok: openai model tiny at {server.url}, ")
        assert "JSON reply: yes" in result.output and "JSON mode: yes" in result.output
        (request,) = server.chat_requests
        assert request.json["max_tokens"] == 20
        as_json = CliRunner().invoke(app, [*args, "--base-url", server.url, "--json"])
        assert json.loads(as_json.output)["json_reply"] is True


def test_backends_test_sends_a_schema_and_remembers_what_the_server_took(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copygen.backends.server_caps import CAPS_FILE
    from copygen.testing.fake_openai import FakeOpenAIServer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = ["backends", "test", "--backend", "openai", "--model", "tiny"]
    with FakeOpenAIServer(responder=lambda request: '{"ok": true}') as server:
        result = CliRunner().invoke(app, [*args, "--base-url", server.url])
        assert result.exit_code == 0, result.output
        assert "response format: json_schema" in result.output
        sent = server.last_response_format
        assert sent["type"] == "json_schema"
        assert sent["json_schema"]["schema"] == registry.PROBE_SCHEMA["schema"]
    assert not (tmp_path / "cache" / "copygen" / CAPS_FILE).exists()  # nothing to remember

    with FakeOpenAIServer(responder=lambda request: '{"ok": true}', json_schema=False) as server:
        result = CliRunner().invoke(app, [*args, "--base-url", server.url, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["response_format"] == "json_object" and data["json_mode"] is True
        assert data["adaptations"] == [
            "response_format json_object: the server rejected json_schema"
        ]
        assert [r.behavior for r in server.chat_requests] == ["status:400", "ok"]
        # The next run (a new backend from the same settings) starts with json_object.
        settings = load_settings(cli={"backend": "openai", "model": "tiny", "base_url": server.url})
        backend = registry.create_backend(settings)
        assert isinstance(backend, OpenAIBackend)
        assert backend.response_format_level == "json_object"
        server.clear()
        result = CliRunner().invoke(app, [*args, "--base-url", server.url])
        assert "response format: json_object" in result.output
        assert [r.json["response_format"]["type"] for r in server.chat_requests] == ["json_object"]


def test_cli_backends_test_reports_a_failing_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from copygen.testing.fake_openai import Behavior, FakeOpenAIServer

    monkeypatch.setenv("COPYGEN_MAX_RETRIES", "1")
    with FakeOpenAIServer() as server:
        server.script(*[Behavior.error(503, "model is loading")] * 2)
        result = CliRunner().invoke(
            app, ["backends", "test", "-b", "openai", "-m", "m", "--base-url", server.url]
        )
    assert result.exit_code == 3
    assert "HTTP 503" in result.output and "model is loading" in result.output
    assert "gave up after 2 attempts" in result.output


def test_cli_backends_test_refuses_a_key_over_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdef")
    args = ["backends", "test", "-b", "openai", "-m", "m", "--base-url", "http://10.1.2.3/v1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "plain http" in result.output and "--allow-insecure" in result.output
    assert "sk-test-abcdef" not in result.output
