"""Build the wheel, install it in a fresh virtual environment outside the repository,
and run the installed `copygen` there: the data folders must ship inside the wheel.

Slow (it installs the dependencies into a new environment), so it carries the `wheel`
marker; `.ci/run` runs it after the main suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        cwd=work,
    )
    wheels = list(dist.glob("copygen-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", str(wheels[0])], cwd=work)
    outside = work / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPYGEN_", "PYTHON"))}
    env["HOME"] = str(work / "home")
    return env_dir, outside, env


def test_installed_copygen_runs_from_the_wheel(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    env_dir, outside, env = installed
    copygen = str(env_dir / "bin" / "copygen")
    assert run([copygen, "--version"], cwd=outside, env=env).startswith("copygen ")
    where = run(
        [str(env_dir / "bin" / "python"), "-c", "import copygen; print(copygen.__file__)"],
        cwd=outside,
        env=env,
    )
    assert str(env_dir) in where and str(REPO) not in where


def test_installed_data_folders_are_found(installed: tuple[Path, Path, dict[str, str]]) -> None:
    env_dir, outside, env = installed
    shown = json.loads(
        run([str(env_dir / "bin" / "copygen"), "config", "show", "--json"], cwd=outside, env=env)
    )
    for name in ("templates", "lexicons", "rules"):
        folder = Path(shown["data_dirs"][name])
        assert folder.is_dir()
        assert str(env_dir) in str(folder), folder
        assert any(folder.iterdir())


def test_installed_commands_use_the_installed_data(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    env_dir, outside, env = installed
    copygen = str(env_dir / "bin" / "copygen")
    rules = run([copygen, "rules", "list"], cwd=outside, env=env)
    assert "zh.absolute" in rules
    templates = run([copygen, "templates", "list"], cwd=outside, env=env)
    assert "social.zh.j2" in templates
    assert " 0 failed" in run([copygen, "rules", "test"], cwd=outside, env=env)


def test_installed_offline_generate(installed: tuple[Path, Path, dict[str, str]]) -> None:
    env_dir, outside, env = installed
    copygen = str(env_dir / "bin" / "copygen")
    products = REPO / "examples" / "products.csv"
    out = outside / "out"
    run(
        [copygen, "generate", str(products), "-o", str(out), "--fail-on", "warn"],
        cwd=outside,
        env=env,
    )
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    assert len(items) == 15 * 3
    assert {item["status"] for item in items} == {"pass"}
    run([copygen, "audit", "verify", str(out / "audit.jsonl")], cwd=outside, env=env)


def test_installed_review_desk_ships_its_assets(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    """The desk's page, script and stylesheet ship in the wheel (no build step, no CDN)."""
    env_dir, outside, env = installed
    script = (
        "from importlib import resources\n"
        "names = sorted(p.name for p in (resources.files('copygen.serve') / 'static').iterdir())\n"
        "print(','.join(names))\n"
    )
    names = run([str(env_dir / "bin" / "python"), "-c", script], cwd=outside, env=env)
    assert names.split() == ["desk.css,desk.js,index.html"]
    shown = run([str(env_dir / "bin" / "copygen"), "serve", "--help"], cwd=outside, env=env)
    assert "--reviewer" in shown
