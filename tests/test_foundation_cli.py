"""The CLI skeleton: version, usage errors, config show/init, and the error contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from copygen import __version__
from copygen.cli.main import app
from copygen.errors import ExitCode

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"copygen {__version__}"


def test_python_dash_m_runs_the_same_app() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "copygen", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"copygen {__version__}"


def test_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["--bogus"])
    assert result.exit_code == ExitCode.USAGE
    assert "--bogus" in result.output
    assert "Traceback" not in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["frobnicate"])
    assert result.exit_code == ExitCode.USAGE


def test_unknown_config_key_names_key_and_line(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text("backend: offline\nvariants: 2\nmodle: gpt-4o\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == ExitCode.USAGE
    assert f"{config}:3" in result.stderr
    assert "unknown key 'modle'" in result.stderr
    assert "did you mean 'model'" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_unknown_nested_key_names_the_dotted_path(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text(
        "backends:\n  mine:\n    type: openai\n    base_ur1: http://127.0.0.1:9/v1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == ExitCode.USAGE
    assert "backends.mine.base_ur1" in result.stderr
    assert f"{config}:4" in result.stderr


def test_bad_value_names_key_and_line(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text("variants: 2\nconcurrency: many\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == ExitCode.USAGE
    assert f"{config}:2" in result.stderr
    assert "concurrency" in result.stderr


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text("backend: offline\nplatforms: [social\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert result.exit_code == ExitCode.USAGE
    assert "invalid YAML" in result.stderr


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "nope.yaml"), "config", "show"])
    assert result.exit_code == ExitCode.USAGE
    assert "nope.yaml" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text("modle: x\n", encoding="utf-8")
    quiet = runner.invoke(app, ["--config", str(config), "config", "show"])
    loud = runner.invoke(app, ["--debug", "--config", str(config), "config", "show"])
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr
    assert loud.exit_code == ExitCode.USAGE


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = "sk-test-abcdefghijklmnopqrstuvwxyz0123"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    config = tmp_path / "copygen.yaml"
    config.write_text(
        "extra_headers: {Authorization: Bearer abc123secret, X-Team: growth}\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["--config", str(config), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    assert "abc123secret" not in result.output
    data = json.loads(result.output)
    assert data["api_key"] == "***" + secret[-4:]
    assert data["extra_headers"] == {"Authorization": "***", "X-Team": "growth"}


def test_config_show_reports_data_dirs() -> None:
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    dirs = json.loads(result.output)["data_dirs"]
    for name in ("templates", "lexicons", "rules"):
        assert Path(dirs[name]).is_dir()


def test_init_writes_a_config_that_loads_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "copygen.yaml"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.count("#") > 20  # commented for people
    shown = runner.invoke(app, ["--config", str(target), "config", "show"])
    assert shown.exit_code == 0, shown.output
    data = yaml.safe_load(shown.output)
    assert data["backend"] == "offline"
    assert "deepseek-chat" in data["prices"]


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "copygen.yaml"
    target.write_text("backend: offline\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == ExitCode.USAGE
    assert "--force" in result.stderr
    assert target.read_text(encoding="utf-8") == "backend: offline\n"
    assert runner.invoke(app, ["init", str(target), "--force"]).exit_code == 0


def test_example_config_loads() -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    result = runner.invoke(app, ["--config", str(examples / "copygen.yaml"), "config", "show"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["variants"] == 2
