"""Evasive spellings: the normalised view (normalize.py) and the term variants
(evasions.py) catch a listed term however it is disguised, and every finding still
maps to the exact original characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copygen.compliance.engine import Checker
from copygen.compliance.evasions import term_variants
from copygen.compliance.normalize import normalize
from copygen.compliance.pii import find_pii

PACK = """\
pack: t.evasions
rules:
  - id: t.best
    category: absolute_term
    severity: block
    law: x
    message: {zh: x, en: x}
    terms: [最好, 全网最低价, 唯一, 降噪, best, cured, whatsapp, telegram, blood sugar, no.1,
            降血压, 疗效, 第一, 智商税, 减肥茶, 治疗, 祛斑, 加微信, 保过, safest]
    examples:
      match: ["最好", "best"]
      no_match: ["最近", "bestow"]
"""


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    path = tmp_path_factory.mktemp("packs") / "evasions.yaml"
    path.write_text(PACK, encoding="utf-8")
    return Checker(rules=[path], builtin=False, cache=False)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("降🩸压神器", "降🩸压"),  # an emoji for a character
        ("减🔥肥🔥茶不节食", "减🔥肥🔥茶"),  # emoji as separators
        ("全网zui好用的面霜", "zui好"),  # pinyin for one character
        ("用了三天就能zhi liao", "zhi liao"),  # pinyin syllables apart
        ("祛ban精华", "祛ban"),
        ("q斑精华来啦", "q斑"),  # an initial among characters
        ("想要的加薇信领券", "加薇信"),  # a homophone
        ("艾灸贴冶疗颈椎", "冶疗"),  # a look-alike
        ("這款酵素療效顯著", "療效"),  # Traditional
        ("全網銷量第壹", "第壹"),  # a financial numeral
        ("【智】【商】【税】别交了", "智】【商】【税"),  # bracketed characters
        ("全·网·唯·一授权", "唯·一"),
        ("保_过班开课", "保_过"),
        ("全全全网最最最低价", "全全全网最最最低价"),  # repeats
        ("The b-e-s-t moisturizer", "b-e-s-t"),  # spaced-out letters
        ("This balm c.u.r.e.d my eczema", "c.u.r.e.d"),
        ("Hit me up on W h a t s A p p now", "W h a t s A p p"),
        ("DM me on t3l3gram", "t3l3gram"),  # digits for letters
        ("Lowers bl00d sugar fast", "bl00d sugar"),
        ("Rated N0.1 car mount", "N0.1"),
        ("The Ѕаfеst formula", "Ѕаfеst"),  # Cyrillic look-alikes
        ("全网🥇的奶粉", "🥇"),
        ("ＢＥＳＴ　ｃｈｏｉｃｅ", "ＢＥＳＴ"),  # full width
    ],
)
def test_disguised_terms_are_found_at_their_original_span(
    checker: Checker, text: str, found: str
) -> None:
    result = checker.check(text)
    assert found in [f.text for f in result.findings], result.findings
    for finding in result.findings:
        assert finding.text == text[finding.start : finding.end]


@pytest.mark.parametrize(
    "text",
    [
        "最近很忙，最后一步",
        "低一点的价格",  # two-character homophones are not generated (低一 is not 第一)
        "a1c test, u003c code, x3c model, iphone15pro",  # leet only inside real words
        "维新变法的历史",
        "bestow the medal",
        "whats app-like",
        "z h i liao",  # not a pinyin pair: single letters
        "Gu An 先生",
    ],
)
def test_ordinary_text_is_left_alone(checker: Checker, text: str) -> None:
    assert checker.check(text).findings == []


def test_the_normalised_view_keeps_the_way_back() -> None:
    norm = normalize("降🩸压 療效 b-e-s-t 全全全网")
    assert norm.text == "降血压疗效best全网"  # separators next to Chinese go too
    start = norm.text.index("best")
    begin, end = norm.span(start, start + 4)
    assert norm.original[begin:end] == "b-e-s-t"


def test_variants_of_a_term() -> None:
    variants = set(term_variants("加微信"))
    assert ("加weixin", "pinyin") in variants
    assert ("jiaweixin", "pinyin") in variants
    assert ("加w信", "initial") in variants
    assert ("加威信", "homophone") in variants
    assert ("加徽信", "look-alike") in variants
    assert dict(term_variants("第一")).get("低一") is None  # no homophones for two characters
    assert list(term_variants("best")) == []


def test_chinese_numeral_and_spaced_phone_numbers_are_personal_data() -> None:
    assert [m.text for m in find_pii("直接打 幺三八 零零七七 六六五五 上门")] == [
        "幺三八 零零七七 六六五五"
    ]
    assert [m.kind for m in find_pii("电话 1 5 8 - 2 7 3 6 - 9 9 0 1")] == ["mobile"]
    assert [m.kind for m in find_pii("Call １３９５７６８２２１０")] == ["mobile"]
    assert find_pii("一二三四五六七八九十") == []


_ALPHABET = "最好🩸降压療效b-e.s t0l3最最全网【】·_😀𠀀\u200b\ufe0f"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_spans_stay_exact_on_any_mix(checker: Checker, text: str) -> None:
    norm = normalize(text)
    assert len(norm.offsets or range(len(norm.text))) == len(norm.text)
    for finding in checker.check(text).findings:
        assert finding.text == text[finding.start : finding.end]
        assert finding.text.strip()


def test_rules_explain_shows_what_a_normalisation_matched(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from copygen.cli.main import app

    pack = tmp_path / "evasions.yaml"
    pack.write_text(PACK, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["rules", "explain", "t.best", "--rules", str(pack), "--text", "全网zui好用，降🩸压"],
    )
    assert result.exit_code == 0, result.output
    assert "zui好" in result.output and "最好" in result.output and "pinyin" in result.output
