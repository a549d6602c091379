"""``copygen rules list | explain | test``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.resources import data_dir

PACK = """
pack: t.rcli
rules:
  - id: t.one
    category: absolute_term
    severity: block
    law: 《广告法》第九条第三项
    message: {zh: 绝对化用语, en: absolute term}
    terms: [最好]
    unless: [最好在]
    scope: {langs: [zh]}
    examples:
      match: [最好的, {text: 真的最好, lang: zh}]
      no_match: [最好在阴凉处, 很好]
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import copygen.compliance.rules as rules

    monkeypatch.setattr(
        rules, "builtin_pack_files", lambda: [data_dir("rules") / "personal_data.yaml"]
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("COPYGEN_CONFIG", raising=False)


runner = CliRunner()


def write(tmp_path: Path, text: str = PACK) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_list_filters(tmp_path: Path) -> None:
    pack = write(tmp_path)
    result = runner.invoke(app, ["rules", "list", "--rules", str(pack)])
    assert result.exit_code == 0
    assert "t.one" in result.stdout and "pii.mobile_phone" in result.stdout
    result = runner.invoke(
        app, ["rules", "list", "--rules", str(pack), "--category", "absolute_term", "--json"]
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["t.one"]
    result = runner.invoke(app, ["rules", "list", "--rules", str(pack), "--lang", "en"])
    assert "t.one" not in result.stdout
    result = runner.invoke(app, ["rules", "list", "--category", "nope"])
    assert result.exit_code == 2


def test_explain(tmp_path: Path) -> None:
    pack = write(tmp_path)
    result = runner.invoke(app, ["rules", "explain", "t.one", "--rules", str(pack)])
    assert result.exit_code == 0
    for needle in (
        "《广告法》第九条第三项",
        "绝对化用语",
        "absolute term",
        "最好在",
        "最好在阴凉处",
    ):
        assert needle in result.stdout
    data = json.loads(
        runner.invoke(app, ["rules", "explain", "t.one", "--rules", str(pack), "--json"]).stdout
    )
    assert data["examples"]["match"][1] == {"text": "真的最好", "lang": "zh"}
    result = runner.invoke(app, ["rules", "explain", "pii.mobile"])
    assert result.exit_code == 2 and "pii.mobile_phone" in result.stderr


def test_rules_test_passes_and_fails_like_a_test_runner(tmp_path: Path) -> None:
    pack = write(tmp_path)
    result = runner.invoke(app, ["rules", "test", str(pack), "-v"])
    assert result.exit_code == 0, result.stdout
    assert "0 failed" in result.stdout and f"{pack}: 1 rules, 4 examples ... ok" in result.stdout
    broken = write(
        tmp_path, PACK.replace("no_match: [最好在阴凉处, 很好]", "no_match: [最好的东西, 很好]")
    )
    result = runner.invoke(app, ["rules", "test", str(broken)])
    assert result.exit_code == 1
    assert f"FAIL {broken}:14: t.one: no_match example flagged ('最好')" in result.stdout
    assert "1 failed" in result.stdout
    result = runner.invoke(app, ["rules", "test", str(broken), "--rule", "pii.email"])
    assert result.exit_code == 0


def test_rules_test_invalid_pack_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, PACK.replace("category: absolute_term", "category: nope"))
    result = runner.invoke(app, ["rules", "test", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:5: rule 't.one': unknown category" in result.stderr
