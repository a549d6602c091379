"""The matching engine: normalisation, offsets, boundaries, exceptions, allowlist, scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copygen import Checker, check
from copygen.compliance.findings import CheckResult, Finding
from copygen.compliance.normalize import normalize
from copygen.compliance.rules import load_rules

PACK = r"""
pack: test.engine
rules:
  - id: t.superlative
    category: absolute_term
    severity: block
    law: 《广告法》第九条第三项
    message: {zh: 使用了绝对化用语, en: absolute term}
    suggestion: {zh: 删去最高级, en: drop the superlative}
    terms: [最好, 最佳, 第一, best, 最]
    patterns: ['销量\s*(第一|冠军)', 'no\.\s*1\b']
    boundary: word
    unless: [最好在, 最佳食用期, 第一时间]
    unless_patterns: ['最(近|后|初|终)']
    examples:
      match: [这是最好的面霜, 销量第一, 第一品牌, the best cream, 最漂亮]
      no_match: [最好在阴凉处保存, 第一次用, 最近很火, bestow, 第一时间发货]
  - id: t.diversion
    category: platform_diversion
    severity: block
    law: 平台规则
    message: {zh: 站外导流, en: off-platform diversion}
    terms: [微信, vx, 加v]
    examples:
      match: [加微 信领取, 加VX, 加ｖ领券]
      no_match: [微博同款, vxyz]
  - id: t.whitening
    category: cosmetics_claim
    severity: warn
    law: 《化妆品监督管理条例》
    message: {zh: 特殊用途功效, en: special-use claim}
    terms: [美白]
    scope: {categories: [beauty]}
    examples:
      match: [{text: 美白精华, category: beauty}, 美白淡斑]
      no_match: [{text: 美白色T恤, category: apparel}, 白色]
  - id: t.english
    category: medical_claim
    severity: info
    law: FTC
    message: {zh: 疾病宣称, en: disease claim}
    terms: [cure]
    scope: {langs: [en], platforms: [detail]}
    examples:
      match: [{text: it will cure acne, lang: en, platform: detail}, cures nothing? cure!]
      no_match: [{text: it will cure acne, lang: zh}, secure]
"""


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    path = tmp_path_factory.mktemp("packs") / "engine.yaml"
    path.write_text(PACK, encoding="utf-8")
    return Checker(rules=load_rules(paths=[path], builtin=False))


def hits(result: CheckResult, rule: str | None = None) -> list[str]:
    return [f.text for f in result.findings if rule is None or f.rule == rule]


def test_examples_of_the_fixture_pack(checker: Checker) -> None:
    from copygen.compliance.selftest import run_examples

    report = run_examples(checker.ruleset)
    assert report.ok, [f.describe() for f in report.failures]
    assert report.examples == 23


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这是最好的面霜", ["最好"]),
        ("最好在阴凉处保存", []),
        ("销量第一的第一品牌", ["销量第一", "第一"]),
        ("第一次用就爱上", []),
        ("最近很火，最后一件", []),
        ("最漂亮的裙子", ["最"]),
        ("THE BEST cream", ["BEST"]),
        ("bestow a gift", []),
        ("ＢＥＳＴ ever", ["ＢＥＳＴ"]),
        ("销量 NO. 1", ["NO. 1"]),
        ("第一时间发货", []),
    ],
)
def test_superlatives(checker: Checker, text: str, expected: list[str]) -> None:
    assert hits(checker.check(text), "t.superlative") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("加微 信领取", ["微 信"]),
        ("加微-信领取", ["微-信"]),
        ("加 V X", ["加 V"]),  # 加 V is 加V; the space inside "V X" stays
        ("加Ｖ领券", ["加Ｖ"]),
        ("加VX", ["VX"]),
        ("vxyz", []),
        ("微\u200b信", ["微\u200b信"]),
    ],
)
def test_evasions_map_back_to_original(checker: Checker, text: str, expected: list[str]) -> None:
    result = checker.check(text)
    assert hits(result, "t.diversion") == expected
    for finding in result.findings:
        assert text[finding.start : finding.end] == finding.text


def test_scope(checker: Checker) -> None:
    assert hits(checker.check("美白精华", category="beauty"), "t.whitening") == ["美白"]
    assert hits(checker.check("美白精华"), "t.whitening") == ["美白"]  # unknown -> applies
    assert hits(checker.check("美白色T恤", category="apparel"), "t.whitening") == []
    assert hits(checker.check("cure acne", lang="en", platform="detail"), "t.english") == ["cure"]
    assert hits(checker.check("cure acne", lang="zh-CN"), "t.english") == []
    assert hits(checker.check("cure acne", platform="social"), "t.english") == []
    product = {"sku": "1", "title": "T恤", "category": "服饰"}
    assert hits(checker.check("美白色", product=product), "t.whitening") == []


def test_allowlist_terms_and_files(tmp_path: Path, checker: Checker) -> None:
    allow = tmp_path / "allow.txt"
    allow.write_text("# brands\n第一坊\n\nBest Buy\n", encoding="utf-8")
    allowed = Checker(rules=checker.ruleset, allow=[allow])
    assert hits(allowed.check("第一坊出品，Best Buy 有售")) == []
    assert hits(allowed.check("第一坊的最好产品")) == ["最好"]
    assert hits(Checker(rules=checker.ruleset, allow=["第一坊"]).check("第一坊")) == []
    assert hits(checker.check("第一坊")) == ["第一"]


def test_status_and_fields(checker: Checker) -> None:
    result = checker.check(
        {"title": "美白精华", "body": "很好用", "bullets": ["最好的", "安全", "最佳体验"]}
    )
    assert result.status == "blocked"
    assert [(f.field, f.text, f.start) for f in result.findings] == [
        ("title", "美白", 0),
        ("bullets[0]", "最好", 0),
        ("bullets[2]", "最佳", 0),
    ]
    assert checker.check("美白").status == "review"
    assert checker.check("cure it", lang="en", platform="detail").status == "pass"  # info only
    assert checker.check("普通的文案").status == "pass"


def test_json_shape(checker: Checker) -> None:
    data = checker.check("最好的").to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    finding = data["findings"][0]
    assert list(finding) == [
        "rule",
        "category",
        "severity",
        "field",
        "start",
        "end",
        "text",
        "message",
        "law",
        "suggestion",
    ]
    assert finding["message"] == "使用了绝对化用语"
    assert checker.check("the best").findings[0].message == "absolute term"
    assert Checker(rules=checker.ruleset, locale="zh").check("the best").findings[0].message == (
        "使用了绝对化用语"
    )


def test_disabled_and_only(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PACK, encoding="utf-8")
    c = Checker(rules=[path], builtin=False, disabled=["t.superlative"])
    assert hits(c.check("最好的微信")) == ["微信"]
    c = Checker(rules=[path], builtin=False, only_categories=["absolute_term"])
    assert hits(c.check("最好的微信")) == ["最好"]


def test_one_shot_check_and_lazy_exports() -> None:
    result = check("联系我 13812345678")
    assert isinstance(result, CheckResult)
    assert isinstance(result.findings[0], Finding)
    assert result.findings[0].rule == "pii.mobile_phone"


def test_jieba_loads_only_when_a_word_boundary_hit_needs_it(tmp_path: Path) -> None:
    """With the rules cache, word edges come from its table and from jieba's dictionary
    kept beside it (copygen/compliance/word_edges.py): jieba is never imported. Without
    the cache, jieba is, on the first hit that needs word edges."""
    import os
    import subprocess
    import sys

    pack = tmp_path / "p.yaml"
    pack.write_text(PACK, encoding="utf-8")
    code = (
        "import sys; from copygen import Checker; "
        f"c = Checker(rules=[{str(pack)!r}], builtin=False); "
        "c.check('the best cream, 很好用, 13812345678'); print('jieba' in sys.modules); "
        "print(len(c.check('第一次用').findings), len(c.check('他是第一').findings)); "
        "print('jieba' in sys.modules)"
    )

    def run(cache: str) -> list[str]:
        env = {**os.environ, "COPYGEN_RULES_CACHE": cache}
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout.split()

    assert run("0") == ["False", "0", "1", "True"]
    cache = str(tmp_path / "cache")
    assert run(cache) == ["False", "0", "1", "False"]  # builds the cache
    assert run(cache) == ["False", "0", "1", "False"]  # uses it


def test_normalize_offsets() -> None:
    norm = normalize("Ａ微 信ﬁ")
    assert norm.text == "a微信fi"
    assert norm.span(1, 3) == (1, 4)
    assert norm.span(3, 5) == (4, 5)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
def test_never_raises_and_spans_are_exact(checker: Checker, text: str) -> None:
    first = checker.check(text)
    for finding in first.findings:
        assert 0 <= finding.start <= finding.end <= len(text)
        assert finding.text == text[finding.start : finding.end]
        assert finding.text in text
    assert checker.check(text) == first


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet="最好第一微信 -_.*ＶVXx在次近ﬁ\u200b销量", max_size=40))
def test_dense_texts_keep_exact_spans(checker: Checker, text: str) -> None:
    for finding in checker.check(text).findings:
        assert finding.text == text[finding.start : finding.end]
        assert finding.end > finding.start


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_builtin_rules_never_raise(text: str) -> None:
    result = check({"title": text, "tags": [text, text[:3]]}, lang="zh", platform="social")
    for finding in result.findings:
        source = text if finding.field in ("title", "tags[0]") else text[:3]
        assert finding.text == source[finding.start : finding.end]


def test_cjk_ideographs_fold_to_themselves() -> None:
    import unicodedata

    for low, high in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)):
        for code in range(low, high + 1):
            ch = chr(code)
            assert unicodedata.normalize("NFKC", ch).lower() == ch, hex(code)


ANCHOR_PATTERNS = [
    r"销量\s*(第一|冠军)",
    r"(?:最|第一)[好佳]?",
    r"(\d+|[一二三]+)(万|千)?(人|个人|位)(正在|在)(抢|看)",
    r"(a|)b",
    r"x(a|b*)y{2}",
    r"(?i)no\.?\s*1\b",
    r"[ab]c(d|e)",
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ANCHOR_PATTERNS),
    st.text(alphabet="销量 第一冠军最好佳人个位正在抢看一二三万千12abcdexyNO.", max_size=30),
)
def test_anchor_covers_are_sound(pattern: str, text: str) -> None:
    import re

    from copygen.compliance.anchors import required_covers, required_literals

    covers = [required_literals(pattern), *(required_covers(pattern) or ())]
    if re.search(pattern, text, re.IGNORECASE):
        for cover in covers:
            if cover is not None:
                # every match holds a literal of every cover the regex is gated on
                assert any(literal.lower() in text.lower() for literal in cover)


def test_several_required_covers_gate_a_regex() -> None:
    from copygen.compliance.anchors import required_covers

    covers = required_covers("(高血压|血糖|失眠)[^。]{0,24}(吃了|喝了|自从)[^。]{0,12}(之后|现在)")
    assert covers is not None and len(covers) == 3
    assert frozenset({"高血压", "血糖", "失眠"}) in covers
    # a long alternation of words (a pack's set) is a cover too
    words = "|".join(f"词{i:03d}" for i in range(300))
    found = required_covers(f"(?:{words})好了") or ()
    assert frozenset(f"词{i:03d}" for i in range(300)) in found


def test_builtin_pattern_covers_hold_on_their_examples() -> None:
    import re

    from copygen.compliance.anchors import required_covers

    for rule in load_rules().rules:
        for pattern in rule.patterns:
            for cover in required_covers(pattern) or ():
                folded = {normalize(c).text for c in cover}
                for example in rule.match_examples:
                    text = normalize(example.text).text
                    if re.search(pattern, text, re.IGNORECASE):
                        assert any(c in text for c in folded), (rule.id, pattern)


OVERLAP_PACK = r"""
pack: test.overlap
rules:
  - id: o.lowest
    category: price_fraud
    severity: block
    law: 《明码标价和禁止价格欺诈规定》
    message: {zh: 最低价, en: lowest price}
    terms: [全网最低, 最低价]
    examples: {match: [全网最低, 最低价], no_match: [最低温度, 全网]}
  - id: o.wechat
    category: platform_diversion
    severity: block
    law: 平台规则
    message: {zh: 导流, en: diversion}
    terms: [加微信]
    examples: {match: [加微信, 加 微信], no_match: [微信, 加油]}
  - id: o.wechat_mention
    category: platform_diversion
    severity: warn
    law: 平台规则
    message: {zh: 提及微信, en: mentions WeChat}
    terms: [微信]
    examples: {match: [微信, 微 信], no_match: [微博, 信用]}
  - id: o.wechat_info
    category: platform_diversion
    severity: info
    law: 平台规则
    message: {zh: 信息, en: info}
    terms: [信]
    examples: {match: [信, 来信], no_match: [微, 加]}
  - id: o.price_warn
    category: price_fraud
    severity: warn
    law: 价格
    message: {zh: 价格用语, en: price wording}
    terms: [价]
    examples: {match: [价, 原价], no_match: [介, 份]}
"""


@pytest.fixture(scope="module")
def overlap_checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    path = tmp_path_factory.mktemp("packs") / "overlap.yaml"
    path.write_text(OVERLAP_PACK, encoding="utf-8")
    return Checker(rules=load_rules(paths=[path], builtin=False))


def spans(result: CheckResult) -> list[tuple[str, str, int, int, str]]:
    return [(f.field, f.rule, f.start, f.end, f.text) for f in result.findings]


def test_overlapping_hits_of_one_rule_merge(overlap_checker: Checker) -> None:
    text = "今天全网最低价！"
    result = overlap_checker.check(text)
    lowest = [f for f in result.findings if f.rule == "o.lowest"]
    assert [(f.start, f.end, f.text) for f in lowest] == [(2, 7, "全网最低价")]
    assert lowest[0].text == text[lowest[0].start : lowest[0].end]
    # Separate occurrences stay separate findings.
    apart = overlap_checker.check("全网最低，还是最低价")
    assert [(f.start, f.end) for f in apart.findings if f.rule == "o.lowest"] == [(0, 4), (7, 10)]


def test_warn_inside_a_block_of_its_category_is_dropped(overlap_checker: Checker) -> None:
    result = overlap_checker.check("加微信领取")
    assert spans(result) == [("text", "o.wechat", 0, 3, "加微信")]
    # The price warn on 价 is inside the block 最低价: dropped; elsewhere it stays.
    assert spans(overlap_checker.check("最低价，原价")) == [
        ("text", "o.lowest", 0, 3, "最低价"),
        ("text", "o.price_warn", 5, 6, "价"),
    ]
    # A mention apart from the block stays, and findings stay sorted by start.
    assert spans(overlap_checker.check("微信好友 加微信，来信")) == [
        ("text", "o.wechat_mention", 0, 2, "微信"),
        ("text", "o.wechat", 5, 8, "加微信"),
        ("text", "o.wechat_info", 10, 11, "信"),
    ]
    # A warn outranks an info of its category on the same place.
    assert spans(overlap_checker.check("微信")) == [("text", "o.wechat_mention", 0, 2, "微信")]


def test_outranking_stays_within_field_and_category(overlap_checker: Checker) -> None:
    result = overlap_checker.check({"title": "加微信", "body": ["微信", "最低价加微信"]})
    assert spans(result) == [
        ("title", "o.wechat", 0, 3, "加微信"),
        ("body[0]", "o.wechat_mention", 0, 2, "微信"),
        ("body[1]", "o.lowest", 0, 3, "最低价"),
        ("body[1]", "o.wechat", 3, 6, "加微信"),
    ]


def test_builtin_wechat_block_hides_the_mention() -> None:
    result = check("加微信详聊")
    assert [f.category for f in result.findings] == ["platform_diversion"]
    assert result.findings[0].severity == "block"


ASTRAL_PACK = r"""
pack: test.astral
rules:
  - id: a.pill
    category: medical_claim
    severity: block
    law: 《广告法》第十七条
    message: {zh: 药效, en: drug effect}
    terms: [💊治病, 最好, 𠀀字]
    examples: {match: [💊治病, 最好], no_match: [治病, 💊]}
"""


@pytest.fixture(scope="module")
def astral_checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    path = tmp_path_factory.mktemp("packs") / "astral.yaml"
    path.write_text(ASTRAL_PACK, encoding="utf-8")
    return Checker(rules=load_rules(paths=[path], builtin=False))


def test_characters_outside_the_bmp_keep_offsets(astral_checker: Checker) -> None:
    # The automaton scans UTF-16 code units: astral characters take two of them.
    text = "😀𠀀最好，💊治病😀𠀀字"
    result = astral_checker.check(text)
    assert [(f.start, f.end, f.text) for f in result.findings] == [
        (2, 4, "最好"),
        (5, 8, "💊治病"),
        (9, 11, "𠀀字"),
    ]
    assert [f.text for f in astral_checker.check("\ud800最好\udfff💊治病").findings] == [
        "最好",
        "💊治病",
    ]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet="最好💊治病𠀀字😀\u4e00\ud800a", max_size=30))
def test_astral_texts_keep_exact_spans(astral_checker: Checker, text: str) -> None:
    found = astral_checker.check(text).findings
    for finding in found:
        assert finding.text == text[finding.start : finding.end]
    expected = sum(text.count(term) for term in ("最好", "💊治病", "𠀀字"))
    # an emoji between two characters is a separator (𠀀😀字 is 𠀀字): it can only add hits
    assert len(found) >= expected
    if "😀" not in text:
        assert len(found) == expected
