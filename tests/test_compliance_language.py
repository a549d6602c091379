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


# Short copy people write: never a mismatch in its own language (langdetect alone
# calls several of these Danish, Swedish or Portuguese).
ENGLISH_SNIPPETS = [
    "Ideal for sensitive skin, fragrance-free",
    "100% natural, no side effects",
    "Gentle daily cleanser for all skin types",
    "Lightweight, breathable cotton tee",
    "Waterproof Bluetooth speaker with deep bass",
    "Dermatologist tested. Hypoallergenic. Non-comedogenic.",
    "Vitamin C serum brightens dull skin",
    "Say hello to glowing skin",
    "Organic matcha latte mix",
    "Anti-aging retinol night cream",
    "Perfect gift for mom",
    "Crème brûlée scented candle",
    "Ideal for sensitive skin, fragrance-free, paraben-free and dermatologist tested",
    "Vegan, cruelty-free, paraben-free, sulfate-free, silicone-free formula",
    "Hyaluronic acid, niacinamide, ceramides, peptides, squalane, panthenol",
    "Soft touch matte finish, long wear, transfer proof, buildable coverage",
    "Stainless steel tumbler, double wall vacuum insulated, leak proof lid",
    "Ultra slim design, USB-C fast charging, 20 hours playtime, IPX7 waterproof",
    "Handmade in Portugal, premium cork, natural latex, eco friendly materials",
    "Brightening eye cream, reduces puffiness, dark circles, fine lines",
    "Gluten free, non GMO, keto friendly, no added sugar, high protein snack",
    "Machine washable, tumble dry low, imported, relaxed fit, crew neck",
    "Salon quality results at home, frizz control, heat protection up to 450F",
    "Bamboo charcoal toothbrush, soft bristles, biodegradable handle",
    "Limited edition holiday gift set",
    "New arrival",
    "Best seller",
    "#skincare #selfcare #glowingskin",
    "Shop now",
    "Free shipping",
    "Buy 2 get 1 free",
    "Made in Italy",
    "Fresh, clean, confident",
    "Summer essentials",
    "Rose water toner, alcohol free, pH balanced, refreshing mist spray",
    "Unisex adjustable baseball cap, cotton twill, embroidered logo, one size",
    "Portable mini blender, rechargeable, BPA free, smoothies on the go",
    "Cozy knit cardigan, oversized fit, chunky cable knit, dropped shoulders",
    "Sea salt caramel dark chocolate, fair trade cocoa, single origin Peru",
    "Collagen peptides powder, unflavored, grass fed, pasture raised bovine",
    "Memory foam pillow, cervical support, cooling gel, hypoallergenic cover",
    "Tinted lip balm, SPF 15, shea butter, vitamin E, jojoba oil, coconut oil",
    "Natural deodorant, aluminum free, baking soda free, lavender sage scent",
    "Premium Arabica coffee beans, medium roast, notes of chocolate and caramel",
    "Kids water bottle, spill proof straw lid, dishwasher safe, BPA free plastic",
    "Wireless earbuds, active noise cancelling, transparency mode, wireless charging case",
    "Linen blend wide leg trousers, elastic waist, side pockets, ankle length",
    "Matte liquid lipstick, velvet texture, highly pigmented, all day wear",
    "Eau de parfum, notes of bergamot, jasmine, sandalwood and vanilla",
    "Pure castile soap, unscented, organic oils, plastic free packaging",
]

CHINESE_SNIPPETS = [
    "好物",
    "面霜",
    "新品",
    "爆款",
    "干皮",
    "OOTD穿搭",
    "#护肤",
    "SK-II神仙水",
    "YSL小金条",
    "Dior迪奥真我香水 100ml",
    "Apple iPhone 15 Pro 256GB 钛金属",
    "资生堂アネッサ防晒霜，清爽不油腻",
    "MUJI无印良品",
    "小米Redmi K70 Pro",
    "UNIQLO优衣库 U系列",
    "La Mer海蓝之谜精华面霜 60ml",
    "Nike Air Force 1 小白鞋",
    "CPB肌肤之钥 光采洁面",
    "Lululemon Align 瑜伽裤",
    "雅诗兰黛小棕瓶 Advanced Night Repair",
    "日系ナチュラル风格",
    "TWS蓝牙耳机 ANC主动降噪 30h续航",
    "#夏日穿搭 #OOTD #每日穿搭",
    "面霜 cream",
    "100% cotton纯棉",
]


@pytest.mark.parametrize("text", ENGLISH_SNIPPETS)
def test_short_english_passes(text: str) -> None:
    assert mismatch(text, "en") is None
    assert mismatch(text, "en-US") is None


@pytest.mark.parametrize("text", CHINESE_SNIPPETS)
def test_short_chinese_passes(text: str) -> None:
    assert mismatch(text, "zh") is None
    assert mismatch(text, "zh-CN") is None


@pytest.mark.parametrize("text", ["面霜", "好物", "新品", "面霜好"])
def test_few_han_characters_are_chinese_never_korean(text: str) -> None:
    assert detect_language(text) == "zh"
    assert mismatch(text, "zh") is None
    assert mismatch(text, "ko") is None  # too short to judge
    assert mismatch(text, "ja") is None


@pytest.mark.parametrize(
    ("text", "lang", "found"),
    [
        ("这款面霜很好用，适合干皮，温和不刺激", "en", "zh"),
        ("全新升级配方，深层补水保湿，让肌肤水润一整天", "en-US", "zh"),
        ("新品上市", "en", "zh"),
        ("This lightweight moisturizer keeps your skin hydrated all day", "zh", "en"),
        ("Perfect for dry skin and easy to use every day", "zh-CN", "en"),
        ("This cream is great for dry skin 面霜", "zh", "en"),
        ("この化粧水はとても良いです", "zh", "ja"),
        ("肌にやさしい化粧水で、毎日のスキンケアに", "zh", "ja"),
        ("スキンケアセット限定版プレゼント", "zh", "ja"),
        ("이 크림은 건조한 피부에 좋습니다", "zh", "ko"),
        ("这款面霜很好用，适合干皮，温和不刺激", "ja", "zh"),
        ("全新升级配方，深层补水保湿，让肌肤水润一整天", "ko", "zh"),
        ("Cette crème hydrate la peau en profondeur et laisse un fini velouté", "en", "fr"),
        (
            "Diese Creme spendet intensive Feuchtigkeit für trockene Haut und ist ohne Parfum",
            "en",
            "de",
        ),
        ("This lightweight moisturizer keeps your skin hydrated all day long", "fr", "en"),
        ("Эта крем очень хороший для сухой кожи", "en", "ru"),
    ],
)
def test_clear_mismatches_are_flagged(text: str, lang: str, found: str) -> None:
    assert mismatch(text, lang) == found


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("敏感肌用化粧水", "ja"),  # kanji-only Japanese looks Chinese: too short to say
        ("敏感肌専用保湿化粧水限定販売中新発売品", "ja"),  # no simplified characters
        ("资生堂アネッサ防晒霜，清爽不油腻", "zh"),  # a katakana brand in Chinese copy
        ("宝宝の早餐，营养又美味", "zh"),  # の borrowed by Chinese copy
        ("#skincare #glowup #ootd", "zh"),
        ("Great for dry skin", "zh"),  # a few English words: too short to judge
        ("Ideal for sensitive skin", "fr"),  # langdetect is unreliable this short
        ("This cream is great for dry skin", "xx"),  # a language we cannot verify
    ],
)
def test_undecidable_texts_are_not_flagged(text: str, lang: str) -> None:
    assert mismatch(text, lang) is None


def test_mismatch_is_deterministic() -> None:
    text = "Diese Creme spendet intensive Feuchtigkeit für trockene Haut und ist ohne Parfum"
    assert {mismatch(text, "en") for _ in range(5)} == {"de"}


def test_checker_judges_the_whole_item() -> None:
    checker = Checker(builtin=False)
    short_fields = {
        "title": "Fragrance-free",
        "body": "Ideal for sensitive skin, fragrance-free",
        "hashtags": ["#skincare", "#cleanbeauty"],
    }
    assert not checker.check(short_fields, lang="en").findings
    chinese = {"title": "好物推荐", "body": "面霜很好用", "hashtags": ["#护肤", "#好物"]}
    assert not checker.check(chinese, lang="zh").findings
    # Chinese copy under lang=en: one finding, on the longest field.
    result = checker.check(chinese, lang="en")
    assert [(f.rule, f.field, f.text) for f in result.findings] == [
        ("language.mismatch", "body", "面霜很好用")
    ]
    japanese = {"title": "新作", "body": "肌にやさしい化粧水で、毎日のスキンケアに"}
    found = checker.check(japanese, lang="zh").findings
    assert [(f.rule, f.field) for f in found] == [("language.mismatch", "body")]
    assert "ja" in found[0].message


def test_langdetect_loads_only_where_statistics_are_needed() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from copygen.compliance.language import mismatch\n"
        "assert mismatch('这款面霜很好用，适合干皮', 'en') == 'zh'\n"
        "assert mismatch('This lightweight cream is great for dry skin and keeps your face "
        "soft all day', 'en') is None\n"
        "assert mismatch('Ideal for sensitive skin', 'en') is None\n"
        "print('langdetect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
