"""Language mismatch, platform format checks and prompt guidance."""

from __future__ import annotations

from pathlib import Path

import pytest

from copygen import Checker
from copygen.compliance.guidance import guidance_for
from copygen.compliance.language import detect_language, mismatch, script_guess
from copygen.compliance.rules import load_rules


@pytest.mark.parametrize(
    ("text", "lang", "found"),
    [
        ("这款面霜很好用，适合干皮", "en", "zh"),
        ("这款面霜很好用，适合干皮", "zh", None),
        ("这款面霜很好用，适合干皮", "zh-CN", None),
        ("This cream is great for dry skin", "zh", "en"),
        ("This cream is great for dry skin", "en", None),
        ("Cette crème est parfaite pour la peau sèche et sensible", "en", "fr"),
        ("Apple iPhone 15 Pro 256GB 钛金属 超长续航 全新体验", "zh", None),
        ("この化粧水はとても良いです", "zh", "ja"),
        ("OOTD", "zh", None),
        ("", "en", None),
    ],
)
def test_mismatch(text: str, lang: str, found: str | None) -> None:
    assert mismatch(text, lang) == found


def test_script_test_decides_without_langdetect() -> None:
    assert script_guess("这款面霜很好用") == "zh"
    assert script_guess("a great cream for you") == "latin"
    assert detect_language("这款面霜很好用，适合干皮") == "zh"
    assert detect_language("This cream is great for dry skin") == "en"


def test_checker_language_finding() -> None:
    result = Checker(builtin=False).check(
        {"title": "好物", "body": "这款面霜很好用，适合干皮"}, lang="en"
    )
    finding = next(f for f in result.findings if f.rule == "language.mismatch")
    assert finding.field == "body" and finding.text == "这款面霜很好用，适合干皮"
    assert finding.severity == "warn"
    assert not [
        f
        for f in Checker(builtin=False).check("这款面霜很好用").findings
        if f.rule == "language.mismatch"
    ]


def test_format_checks() -> None:
    fields = {
        "title": "一二三四五六七八九十一二三四五六七八九十超出",
        "body": "",
        "hashtags": ["护肤", "好物"],
    }
    result = Checker(builtin=False).check(fields, platform="social")
    by_rule = {(f.rule, f.field): f for f in result.findings if f.category == "format"}
    too_long = by_rule[("format.too_long", "title")]
    assert too_long.text == "超出" and (too_long.start, too_long.end) == (20, 22)
    assert ("format.missing_field", "body") in by_rule
    assert ("format.item_count", "hashtags") in by_rule
    assert result.status == "blocked"
    # No platform, or a plain text: no format findings.
    assert not [f for f in Checker(builtin=False).check(fields).findings if f.category == "format"]
    detail = {"headline": "好标题", "bullets": ["一", "二", "三"], "description": "描述"}
    assert not [f for f in Checker(builtin=False).check(detail, platform="detail").findings]


GUIDANCE_PACK = """
pack: t.guidance
rules:
  - id: g.abs
    category: absolute_term
    severity: block
    law: 第九条
    message: {zh: 绝对化, en: absolute}
    suggestion: {zh: 换说法, en: rephrase}
    terms: [最好, 最佳, 第一, 顶级, 极致]
    examples: {match: [最好, 最佳], no_match: [好, 佳]}
  - id: g.abs2
    category: absolute_term
    severity: warn
    law: 第九条
    message: {zh: 绝对化2, en: absolute2}
    terms: [唯一]
    examples: {match: [唯一, 唯一的], no_match: [一, 二]}
  - id: g.whitening
    category: cosmetics_claim
    severity: warn
    law: 条例
    message: {zh: 特证, en: special use}
    terms: [美白]
    scope: {categories: [beauty]}
    examples: {match: [美白, 美白霜], no_match: [白, 白色]}
  - id: g.en
    category: absolute_term
    severity: block
    law: FTC
    message: {zh: 英文绝对化, en: superlative}
    terms: [best, "#1"]
    examples: {match: [best, "#1"], no_match: [good, fine]}
"""


def test_guidance_ranks_and_interleaves(tmp_path: Path) -> None:
    pack = tmp_path / "g.yaml"
    pack.write_text(GUIDANCE_PACK, encoding="utf-8")
    ruleset = load_rules(paths=[pack], builtin=False)
    items = guidance_for(ruleset, category="beauty", platform="social", lang="zh", limit=12)
    # scoped to the category first, then one per category, then the rest
    assert [i.rule for i in items] == ["g.whitening", "g.abs", "g.abs2"]
    assert items[1].term == "最好/最佳/第一/顶级"
    assert items[1].reason == "绝对化" and items[1].suggestion == "换说法"
    assert [i.rule for i in guidance_for(ruleset, category="food", platform=None, lang="zh")] == [
        "g.abs",
        "g.abs2",
    ]
    english = guidance_for(ruleset, category=None, platform=None, lang="en")
    assert [(i.rule, i.term, i.reason) for i in english] == [("g.en", "best/#1", "superlative")]
    assert len(guidance_for(ruleset, category="beauty", platform=None, lang="zh", limit=1)) == 1
