"""Lexicons: loading, strict validation, merging, and the compliance of every phrase."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from copygen.errors import ConfigError
from copygen.inputs.product import CATEGORIES, Product
from copygen.platforms import PLATFORM_NAMES
from copygen.writing.lexicons import (
    ATTRIBUTE_KINDS,
    KIND_SLOTS,
    LANGS,
    SLOTS,
    clear_cache,
    fill,
    iter_phrases,
    lexicon_lang,
    load_lexicon,
    load_lexicon_files,
    parse_lexicon_file,
    placeholders,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


# -- the built-in lexicons -------------------------------------------------------------


def test_every_category_platform_and_language_has_a_file() -> None:
    files = load_lexicon_files()
    for lang in LANGS:
        for name in (*CATEGORIES, *PLATFORM_NAMES, "common"):
            assert (name, lang) in files, f"{name}.{lang}.yaml missing"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("platform", PLATFORM_NAMES)
def test_merged_slots_have_dozens_of_phrases(platform: str, lang: str) -> None:
    # Enough variety for several distinct variants per product.
    needed = {
        "livestream": {"hooks": 20, "point_phrases": 30, "transitions": 20, "ctas": 12},
        "social": {"titles": 15, "hooks": 12, "point_phrases": 30, "hashtag_stems": 20},
        "detail": {"headlines": 8, "description_points": 8, "intros": 8},
    }[platform]
    for category in CATEGORIES:
        lex = load_lexicon(category=category, platform=platform, lang=lang)
        for slot, minimum in needed.items():
            assert len(lex.phrases(slot)) >= minimum, (category, platform, lang, slot)
        assert len(lex.kind_phrases("attribute_phrases", "default")) >= 5
        assert lex.phrases("care_tips")
        # "other" has no usage scenes: too broad a category to suggest where to use it.
        assert bool(lex.phrases("scenes")) == (category != "other")
        for slot in ("noun_points", "state_points", "action_points"):
            assert lex.phrases(slot), (category, platform, lang, slot)


def test_category_vocabulary_classifies_attribute_keys() -> None:
    zh = load_lexicon(category="apparel", platform="detail", lang="zh")
    assert zh.attribute_kind("面料") == "material"
    assert zh.attribute_kind("主要面料") == "material"  # a vocabulary word inside the key
    assert zh.attribute_kind("工艺") == "craft"
    assert zh.attribute_kind("适用场景") == "scene"
    assert zh.attribute_kind("适用人群") == "audience"
    assert zh.attribute_kind("口感") == "sense"
    assert zh.attribute_kind("尺码") == "spec"
    assert zh.attribute_kind("货号后缀") == "default"
    en = load_lexicon(category="electronics", platform="social", lang="en-US")
    assert en.attribute_kind("Battery life") == "spec"
    assert en.attribute_kind("fabric content") == "material"
    # English vocabulary matches whole words only: "for" is not inside "comfort".
    assert en.attribute_kind("comfort level") == "default"


def test_merge_order_and_language_choice() -> None:
    lex = load_lexicon(category="food", platform="livestream", lang="zh-Hans")
    assert lex.lang == "zh"
    assert [s.name for s in lex.sources] == ["food", "livestream", "common"]
    points = lex.phrases("point_phrases")
    food = load_lexicon_files()[("food", "zh")].phrases["point_phrases"]
    assert points[: len(food)] == food  # category phrases come first
    assert load_lexicon(category="nonsense", platform="social", lang="fr").category == "other"
    assert load_lexicon(category="beauty", platform="social", lang="fr").lang == "en"
    assert lexicon_lang(None) == "zh" and lexicon_lang("ZH_tw") == "zh"
    assert lexicon_lang("ja") == "en"
    with pytest.raises(KeyError):
        load_lexicon(category="food", platform="radio", lang="zh")
    with pytest.raises(KeyError):
        lex.phrases("no_such_slot")
    with pytest.raises(KeyError):
        lex.phrases("attribute_phrases")  # keyed by kind


def test_load_is_cached() -> None:
    a = load_lexicon(category="home", platform="detail", lang="zh")
    b = load_lexicon(category="home", platform="detail", lang="zh")
    assert a is b


def test_fill_inserts_values_literally() -> None:
    text = fill("今天讲{product}，{point}", {"product": "{{ 7*7 }}", "point": "{title}"})
    assert text == "今天讲{{ 7*7 }}，{title}"
    assert placeholders("主打{point}，{brand}") == {"point", "brand"}
    with pytest.raises(ValueError):
        placeholders("{point.upper}")
    with pytest.raises(ValueError):
        placeholders("{point!r}")


# -- strict validation -----------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("food.zh.yaml", "phrases:\n  hookz: [a]\n", "phrases.hookz"),
        ("food.zh.yaml", "phrases:\n  hooks: []\n", "phrases.hooks"),
        ("food.zh.yaml", "phrases:\n  hooks: ['讲{pont}']\n", "{pont}"),
        ("food.zh.yaml", "phrases:\n  transitions: ['讲{point}']\n", "phrases.transitions[0]"),
        ("food.zh.yaml", "phrases:\n  hooks: ['a', 'a']\n", "duplicate"),
        ("food.zh.yaml", "phrases:\n  hooks: [1]\n", "phrases.hooks[0]"),
        ("food.zh.yaml", "phrases:\n  attribute_phrases: {colour: ['x']}\n", "colour"),
        ("food.zh.yaml", "phrases:\n  attribute_phrases: ['x']\n", "attribute kind"),
        ("food.zh.yaml", "vocabulary:\n  smell: [气味]\nphrases:\n  hooks: [a]\n", "smell"),
        ("food.zh.yaml", "vocabulary:\n  sense: []\nphrases:\n  hooks: [a]\n", "sense"),
        ("food.zh.yaml", "extra: 1\nphrases:\n  hooks: [a]\n", "extra"),
        ("food.zh.yaml", "phrases: {}\n", "phrases"),
        ("food.zh.yaml", "phrases:\n  hooks: [a\n", "invalid YAML"),
        ("food.fr.yaml", "phrases:\n  hooks: [a]\n", "language"),
        ("drinks.zh.yaml", "phrases:\n  hooks: [a]\n", "drinks"),
        ("food.yaml", "phrases:\n  hooks: [a]\n", "<name>.<lang>.yaml"),
    ],
)
def test_invalid_files_name_file_and_key(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        parse_lexicon_file(path)
    message = str(info.value)
    assert expected in message
    assert str(path) in message


def test_missing_file_in_a_folder_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "food.zh.yaml", "phrases:\n  hooks: ['{product}来了']\n")
    _write(tmp_path, "common.zh.yaml", "phrases:\n  ctas: ['点击下方小黄车']\n")
    with pytest.raises(ConfigError, match=r"livestream\.zh\.yaml is missing"):
        load_lexicon(category="food", platform="livestream", lang="zh", directory=tmp_path)


def test_a_small_custom_folder_merges(tmp_path: Path) -> None:
    _write(tmp_path, "food.zh.yaml", "vocabulary:\n  sense: [回味]\nphrases:\n  hooks: [甲]\n")
    _write(tmp_path, "livestream.zh.yaml", "phrases:\n  hooks: [乙, 甲]\n")
    _write(tmp_path, "common.zh.yaml", "phrases:\n  hooks: [丙]\n")
    lex = load_lexicon(category="food", platform="livestream", lang="zh", directory=tmp_path)
    assert lex.phrases("hooks") == ("甲", "乙", "丙")  # merged, de-duplicated, in order
    assert lex.phrases("ctas") == ()
    assert lex.attribute_kind("回味") == "sense"
    assert lex.kind_phrases("attribute_phrases", "sense") == ()


def test_slot_tables_are_consistent() -> None:
    assert set(SLOTS) >= KIND_SLOTS
    assert "default" in ATTRIBUTE_KINDS
    for lex, slot, kind, _phrase in iter_phrases(load_lexicon_files().values()):
        assert slot in SLOTS
        assert (kind is None) == (slot not in KIND_SLOTS), (lex.path, slot)


#: the live room's "type 1 in the chat" (扣1) is a vote, not a number about the product
VOTE = re.compile(r"扣个?[12]|\b(?:type|drop) an? [12]\b|\btype [12]\b", re.IGNORECASE)


def test_phrases_state_no_numbers() -> None:
    # Numbers come only from the product row: a lexicon phrase never invents one.
    for lex, slot, kind, phrase in iter_phrases(load_lexicon_files().values()):
        text = VOTE.sub("", phrase) if slot == "interactions" else phrase
        assert not any(ch.isdigit() for ch in text), (lex.path.name, slot, kind, phrase)


def test_live_stream_calls_to_action_stay_on_platform() -> None:
    for lang, words in (("zh", ("小黄车", "购物车")), ("en", ("cart",))):
        ctas = load_lexicon_files()[("livestream", lang)].phrases["ctas"]
        for cta in ctas:
            assert any(w in cta for w in words), cta


# -- compliance of every phrase --------------------------------------------------------

SAMPLE = {
    "zh": {
        "title": "示例商品",
        "product": "示例商品",
        "brand": "示例品牌",
        "point": "做工细致",
        "attr_key": "材质",
        "attr_value": "棉",
        "price": "99",
        "promo_price": "79",
        "audience": "上班族",
    },
    "en": {
        "title": "Sample Product",
        "product": "Sample Product",
        "brand": "Samplebrand",
        "point": "neat stitching",
        "attr_key": "material",
        "attr_value": "cotton",
        "price": "99",
        "promo_price": "79",
        "audience": "office workers",
    },
}


def _sample_product(lang: str, category: str) -> Product:
    s = SAMPLE[lang]
    return Product(
        sku="LEXICON-SAMPLE",
        title=s["title"],
        category=category,
        brand=s["brand"],
        selling_points=(s["point"],),
        attributes={s["attr_key"]: s["attr_value"]},
        price=Decimal(s["price"]),
        promo_price=Decimal(s["promo_price"]),
        audience=s["audience"],
        lang=lang,
    )


def lexicon_failures(checker: Any, directory: Path | None = None) -> tuple[int, list[str]]:
    """(phrases checked, findings) over every category x platform x language view."""
    failures: list[str] = []
    checked = 0
    for lang in LANGS:
        for category in CATEGORIES:
            product = _sample_product(lang, category)
            for platform in PLATFORM_NAMES:
                lex = load_lexicon(
                    category=category, platform=platform, lang=lang, directory=directory
                )
                values = dict(SAMPLE[lang])
                scenes = lex.phrases("scenes")
                values["scene"] = scenes[0] if scenes else SAMPLE[lang]["audience"]
                texts: list[str] = []
                for slot in lex.slots():
                    if slot in KIND_SLOTS:
                        for kind in ATTRIBUTE_KINDS:
                            texts.extend(lex.kind_phrases(slot, kind))
                    else:
                        texts.extend(lex.phrases(slot))
                filled = [fill(phrase, values) for phrase in dict.fromkeys(texts)]
                # One call per lexicon view: each phrase is its own field, so findings
                # name the phrase (p12), and the checker's per-call work is shared.
                batch = {f"p{i}": text for i, text in enumerate(filled)}
                result = checker.check(
                    batch, lang=lang, category=category, platform=platform, product=product
                )
                checked += len(batch)
                for finding in result.findings:
                    if finding.severity not in ("block", "warn"):
                        continue
                    # A lone phrase (a hashtag stem, "然后") is too short to identify its
                    # language, and the batch is not a platform's output (no hook...):
                    # whole composed texts get those checks in test_offline.py.
                    if finding.category in ("language_mismatch", "format"):
                        continue
                    text = batch.get(finding.field, finding.field)
                    failures.append(
                        f"{lang}/{category}/{platform}: {text!r} -> {finding.rule} {finding.text!r}"
                    )
    return checked, failures


def test_every_phrase_passes_the_checker() -> None:
    """Each phrase, filled from a neutral sample product, under every category/platform."""
    from copygen.compliance.engine import Checker

    checked, failures = lexicon_failures(Checker())
    print(f"\nlexicon phrases checked: {checked}, flagged: {len(failures)}")
    assert checked > 5000
    assert not failures, "\n".join(failures[:400])


def test_the_phrase_check_catches_a_banned_phrase(tmp_path: Path) -> None:
    """The check above can fail: one banned phrase in a copied lexicon folder is reported."""
    import shutil

    from copygen.compliance.engine import Checker

    for source in load_lexicon_files().values():
        shutil.copy(source.path, tmp_path / source.path.name)
    path = tmp_path / "livestream.zh.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  ctas:\n", '  ctas:\n    - "全网最低价，加微信私信领取{product}"\n', 1),
        encoding="utf-8",
    )
    _checked, failures = lexicon_failures(Checker(), tmp_path)
    assert failures and all("全网最低价" in f for f in failures)
