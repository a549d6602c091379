"""Settings precedence: flags > environment > backend profile > file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from copygen.config import Settings, load_settings
from copygen.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_source(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path, home=tmp_path)
    assert settings == Settings()
    assert settings.backend == "offline"
    assert settings.config_file is None


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path, home=tmp_path)
    with pytest.raises(AttributeError):
        settings.backend = "openai"  # type: ignore[misc]


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "concurrency: 3\nvariants: 2\nmodel: from-file\n")
    env = {"COPYGEN_CONCURRENCY": "5", "COPYGEN_MODEL": "from-env"}
    settings = load_settings(
        cli={"concurrency": 7, "variants": None},
        config_path=config,
        env=env,
        cwd=tmp_path,
        home=tmp_path,
    )
    assert settings.concurrency == 7  # flag
    assert settings.model == "from-env"  # env over file
    assert settings.variants == 2  # file; the None flag means "not given"
    assert settings.sources["concurrency"] == "option"
    assert settings.sources["model"] == "env COPYGEN_MODEL"


def test_config_file_search_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    user = home / ".config" / "copygen" / "config.yaml"
    user.parent.mkdir(parents=True)
    write(user, "variants: 4\n")
    cwd = tmp_path / "work"
    cwd.mkdir()
    assert load_settings(env={}, cwd=cwd, home=home).variants == 4
    write(cwd / "copygen.yaml", "variants: 3\n")
    assert load_settings(env={}, cwd=cwd, home=home).variants == 3
    named = write(tmp_path / "named.yaml", "variants: 2\n")
    assert load_settings(env={"COPYGEN_CONFIG": str(named)}, cwd=cwd, home=home).variants == 2
    explicit = write(tmp_path / "explicit.yaml", "variants: 1\n")
    settings = load_settings(
        config_path=explicit, env={"COPYGEN_CONFIG": str(named)}, cwd=cwd, home=home
    )
    assert settings.variants == 1


def test_openai_variables(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-123456789012", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}
    settings = load_settings(env=env, cwd=tmp_path, home=tmp_path)
    assert settings.api_key == "sk-123456789012"
    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert "sk-123456789012" not in repr(settings)
    assert "sk-123456789012" not in str(settings.public_dict())


def test_backend_profile_fills_backend_settings(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml",
        "backend: ds\nmodel: top-level\nbackends:\n  ds:\n    type: openai\n"
        "    base_url: https://api.deepseek.com/v1\n    model: deepseek-chat\n"
        "    api_key_env: DEEPSEEK_API_KEY\n",
    )
    env = {"DEEPSEEK_API_KEY": "sk-deepseek-000000", "OPENAI_API_KEY": "sk-other-0000000"}
    settings = load_settings(config_path=config, env=env, cwd=tmp_path, home=tmp_path)
    assert settings.backend == "openai"
    assert settings.backend_profile == "ds"
    assert settings.model == "deepseek-chat"
    assert settings.api_key == "sk-deepseek-000000"
    # a flag still wins over the profile
    flagged = load_settings(
        cli={"model": "deepseek-reasoner"},
        config_path=config,
        env=env,
        cwd=tmp_path,
        home=tmp_path,
    )
    assert flagged.model == "deepseek-reasoner"


def test_profile_selected_by_flag(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml", "backends:\n  local:\n    base_url: http://127.0.0.1:9/v1\n"
    )
    settings = load_settings(
        cli={"backend": "local"}, config_path=config, env={}, cwd=tmp_path, home=tmp_path
    )
    assert settings.backend == "openai"
    assert settings.base_url == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COPYGEN_CONCURRENCY": "zero"}, "COPYGEN_CONCURRENCY"),
        ({"COPYGEN_PLATFORMS": "social,tiktok"}, "tiktok"),
        ({"COPYGEN_FAIL_ON": "sometimes"}, "COPYGEN_FAIL_ON"),
        ({"COPYGEN_VARIANTS": "0"}, "at least 1"),
    ],
)
def test_bad_environment_values(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env, cwd=tmp_path, home=tmp_path)


def test_sections_are_parsed(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.yaml",
        "prices:\n  m1: {input: 1.5, output: 2, currency: CNY}\n"
        "brand_voice: {tone: calm, use: [a, b], avoid: [最]}\n"
        "aigc:\n  labels:\n    detail: {enabled: true, position: start}\n",
    )
    settings = load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    assert settings.price_for("m1") is not None
    assert settings.price_for("m1").currency == "CNY"  # type: ignore[union-attr]
    assert settings.price_for("unknown") is None
    assert settings.brand_voice.avoid == ("最",)
    assert settings.label_for("detail").enabled
    assert settings.label_for("detail").position == "start"
    assert settings.label_for("social").enabled  # default stays
    assert not settings.label_for("livestream").enabled


def test_bad_price_names_its_line(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "variants: 1\nprices:\n  m1: {input: cheap, output: 2}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    assert info.value.row == 3
    assert "prices.m1" in str(info.value)


def test_bad_flag_value_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="option --fail-on: expected one of"):
        load_settings(cli={"fail_on": "sometimes"}, env={}, cwd=tmp_path, home=tmp_path)
    with pytest.raises(ConfigError, match="option --max-repairs"):
        load_settings(cli={"max_repairs": -1}, env={}, cwd=tmp_path, home=tmp_path)


def test_response_format_from_file_profile_env_and_flag(tmp_path: Path) -> None:
    assert load_settings(env={}, cwd=tmp_path, home=tmp_path).response_format == "auto"
    config = write(
        tmp_path / "c.yaml",
        "response_format: json_object\nbackends:\n  llama:\n    type: openai\n"
        "    base_url: http://127.0.0.1:8080/v1\n    response_format: none\n",
    )
    top = load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    assert top.response_format == "json_object"
    profile = load_settings(
        cli={"backend": "llama"}, config_path=config, env={}, cwd=tmp_path, home=tmp_path
    )
    assert profile.response_format == "none"
    env = {"COPYGEN_RESPONSE_FORMAT": "JSON_SCHEMA"}
    from_env = load_settings(
        cli={"backend": "llama"}, config_path=config, env=env, cwd=tmp_path, home=tmp_path
    )
    assert from_env.response_format == "json_schema"
    assert from_env.sources["response_format"] == "env COPYGEN_RESPONSE_FORMAT"
    flag = load_settings(
        cli={"response_format": "auto"}, config_path=config, env=env, cwd=tmp_path, home=tmp_path
    )
    assert flag.response_format == "auto"
    with pytest.raises(ConfigError, match="COPYGEN_RESPONSE_FORMAT: expected one of auto"):
        load_settings(env={"COPYGEN_RESPONSE_FORMAT": "yaml"}, cwd=tmp_path, home=tmp_path)
    bad = write(tmp_path / "bad.yaml", "variants: 1\nresponse_format: xml\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config_path=bad, env={}, cwd=tmp_path, home=tmp_path)
    assert info.value.row == 2


def test_max_tokens_timeout_concurrency_accept_auto(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "max_tokens: auto\ntimeout: auto\nconcurrency: auto\n")
    settings = load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    assert (settings.max_tokens, settings.timeout, settings.concurrency) == (None, 60.0, 8)
    assert settings.public_dict()["max_tokens"] is None
    fixed = write(tmp_path / "f.yaml", "max_tokens: 1200\n")
    assert load_settings(config_path=fixed, env={}, cwd=tmp_path, home=tmp_path).max_tokens == 1200
    zero = write(tmp_path / "z.yaml", "max_tokens: 0\n")
    with pytest.raises(ConfigError, match="at least 1"):
        load_settings(config_path=zero, env={}, cwd=tmp_path, home=tmp_path)


def test_config_template_judge_section_works_uncommented(tmp_path: Path) -> None:
    """The judge block of `config init`'s template is valid once its lines are uncommented,
    and its profile resolves to the judge's server, model and key."""
    import re
    from importlib.resources import files

    from copygen.judge import judge_backend_settings

    text = files("copygen").joinpath("config_template.yaml").read_text(encoding="utf-8")
    text = re.sub(
        r"(?m)^# (judge:|  (?:enabled|backend|model|severity|on_error|all):)", r"\1", text
    )
    assert "\njudge:\n  enabled: false\n  backend: deepseek " in text
    config = write(tmp_path / "copygen.yaml", text)
    env = {"DEEPSEEK_API_KEY": "sk-judge", "OPENAI_API_KEY": "sk-run"}
    settings = load_settings(
        cli={"judge": True}, config_path=config, env=env, cwd=tmp_path, home=tmp_path
    )
    assert (settings.judge, settings.judge_backend, settings.judge_model) == (
        True,
        "deepseek",
        "deepseek-chat",
    )
    judge = judge_backend_settings(settings)
    assert judge.backend == "openai"
    assert judge.base_url == "https://api.deepseek.com/v1"
    assert judge.model == "deepseek-chat"
    assert judge.api_key == "sk-judge"
    assert judge.temperature == 0.0
    assert "sk-judge" not in repr(settings.public_dict())


def test_judge_keys_only_in_their_section(tmp_path: Path) -> None:
    config = write(tmp_path / "c.yaml", "judge_model: x\n")
    with pytest.raises(ConfigError, match="unknown key 'judge_model'"):
        load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    config = write(tmp_path / "c.yaml", "judge:\n  model: x\n  severity: fatal\n")
    with pytest.raises(ConfigError, match="severity") as caught:
        load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    assert caught.value.row == 3
