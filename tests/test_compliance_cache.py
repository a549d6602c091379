"""The compiled-rules cache and Checker.from_settings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from copygen.compliance.engine import Checker
from copygen.config import load_settings

PACK = """
pack: t.cache
rules:
  - id: t.term
    category: absolute_term
    severity: block
    law: 第九条
    message: {zh: 绝对化, en: absolute}
    terms: [TERM]
    examples: {match: [TERM, a TERM], no_match: [x, y]}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("COPYGEN_RULES_CACHE", str(directory))
    return directory


def write(path: Path, term: str) -> None:
    path.write_text(PACK.replace("TERM", term), encoding="utf-8")


def test_cache_is_used_and_invalidated_by_edits(tmp_path: Path, cache_dir: Path) -> None:
    pack = tmp_path / "p.yaml"
    write(pack, "最好")
    first = Checker(rules=[pack], builtin=False)
    assert [f.text for f in first.check("最好的").findings] == ["最好"]
    assert len(list(cache_dir.glob("*.pickle"))) == 1
    second = Checker(rules=[pack], builtin=False)
    assert second.rules_hash == first.rules_hash
    assert [f.text for f in second.check("最好的").findings] == ["最好"]
    # An edit (new size and mtime) must never be served from the cache.
    write(pack, "最佳")
    stamp = time.time() + 5
    os.utime(pack, (stamp, stamp))
    third = Checker(rules=[pack], builtin=False)
    assert third.rules_hash != first.rules_hash
    assert [f.text for f in third.check("最好的最佳").findings] == ["最佳"]
    # Allowlist and disabled rules are part of the key.
    assert Checker(rules=[pack], builtin=False, allow=["最佳"]).check("最佳").findings == []
    assert Checker(rules=[pack], builtin=False, disabled=["t.term"]).check("最佳").findings == []


def test_corrupt_cache_falls_back(tmp_path: Path, cache_dir: Path) -> None:
    pack = tmp_path / "p.yaml"
    write(pack, "最好")
    Checker(rules=[pack], builtin=False)
    for entry in cache_dir.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert [f.text for f in Checker(rules=[pack], builtin=False).check("最好").findings] == ["最好"]


def test_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYGEN_RULES_CACHE", "0")
    pack = tmp_path / "p.yaml"
    write(pack, "最好")
    Checker(rules=[pack], builtin=False)
    assert not (tmp_path / "0").exists()


def test_from_settings(tmp_path: Path, cache_dir: Path) -> None:
    pack = tmp_path / "p.yaml"
    write(pack, "最好")
    allow = tmp_path / "allow.txt"
    allow.write_text("最好牌\n", encoding="utf-8")
    config = tmp_path / "copygen.yaml"
    config.write_text(
        f"rules: [{pack}]\nallow: [{allow}]\ndisable: [pii.email]\n", encoding="utf-8"
    )
    settings = load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    checker = Checker.from_settings(settings)
    assert checker.ruleset.get("t.term") is not None
    assert checker.ruleset.get("pii.email") is None
    found = checker.check("最好牌，最好").findings
    assert [(f.text, f.start) for f in found if f.rule == "t.term"] == [("最好", 4)]
