"""The offline backend: deterministic, varied, within limits, and passing the checker."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copygen.backends.base import Completion, RequestContext
from copygen.backends.offline import OfflineBackend
from copygen.config import Settings
from copygen.errors import BackendError
from copygen.inputs.product import Product
from copygen.platforms import PLATFORM_NAMES, PLATFORM_SPECS
from copygen.writing.phrasing import format_price, item_seed, short_name

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "products.csv"
SHARED = REPO.parent / "shared" / "data"
VARIANTS = (1, 2, 3)
#: the live room's "type 1 in the chat" (扣1) is a vote, not a number about the product
VOTE = re.compile(r"扣个?[12]|\b(?:type|drop) an? [12]\b|\btype [12]\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def checker() -> Any:
    from copygen.compliance.engine import Checker

    return Checker()


@pytest.fixture(scope="module")
def backend(checker: Any) -> OfflineBackend:
    return OfflineBackend(checker=checker)


@pytest.fixture(scope="module")
def examples() -> list[Product]:
    from copygen.inputs.product_files import read_products

    rows = list(read_products(EXAMPLES))
    assert len(rows) >= 12
    return rows


def _lang(product: Product) -> str:
    return product.lang or "zh"


def assert_within_limits(fields: Mapping[str, Any], platform: str) -> None:
    spec = PLATFORM_SPECS[platform]
    assert set(fields) == set(spec.field_names)
    for fs in spec.fields:
        value = fields[fs.name]
        if fs.kind == "list":
            assert isinstance(value, list), fs.name
            assert fs.min_items is None or len(value) >= fs.min_items, (fs.name, value)
            assert fs.max_items is None or len(value) <= fs.max_items, (fs.name, value)
            items = value
        else:
            assert isinstance(value, str), fs.name
            items = [value]
        for item in items:
            assert item.strip(), (fs.name, value)
            assert fs.max_chars is None or len(item) <= fs.max_chars, (fs.name, len(item), item)
    total = sum(len(v) if isinstance(v, str) else sum(map(len, v)) for v in fields.values())
    assert total <= spec.max_total_chars


def _prices_stated(text: str) -> list[Decimal]:
    return [Decimal(m) for m in re.findall(r"(\d+(?:\.\d+)?)元", text)]


def _all_text(fields: Mapping[str, Any]) -> str:
    return "\n".join(v if isinstance(v, str) else "\n".join(v) for v in fields.values())


# -- examples/products.csv -------------------------------------------------------------


def test_examples_pass_respect_limits_and_vary(
    backend: OfflineBackend, checker: Any, examples: list[Product]
) -> None:
    total = passed = 0
    for product in examples:
        lang = _lang(product)
        for platform in PLATFORM_NAMES:
            outputs = []
            for variant in VARIANTS:
                fields = backend.compose(product, platform=platform, lang=lang, variant=variant)
                total += 1
                assert_within_limits(fields, platform)
                result = checker.check(
                    fields,
                    lang=lang,
                    category=product.category,
                    platform=platform,
                    product=product,
                )
                found = [(f.rule, f.field, f.text) for f in result.findings]
                assert result.status == "pass", (product.sku, platform, variant, found)
                passed += 1
                # Prices: the row's, exactly, or none.
                allowed = {p for p in (product.price, product.promo_price) if p is not None}
                for value in _prices_stated(_all_text(fields)):
                    assert value in allowed, (product.sku, platform, value)
                outputs.append(fields)
            # Variants differ, and open differently.
            texts = [json.dumps(o, ensure_ascii=False, sort_keys=True) for o in outputs]
            assert len(set(texts)) == len(VARIANTS), (product.sku, platform)
            first = {"livestream": "hook", "social": "title", "detail": "bullets"}[platform]
            openings = [json.dumps(o[first], ensure_ascii=False) for o in outputs]
            assert len(set(openings)) >= 2, (product.sku, platform, openings)
    print(f"\nexamples/products.csv: {passed}/{total} items pass (100%)")


def test_english_rows_are_written_in_english(
    backend: OfflineBackend, examples: list[Product]
) -> None:
    english = [p for p in examples if (p.lang or "").startswith("en")]
    assert len(english) >= 2
    for product in english:
        for platform in PLATFORM_NAMES:
            text = _all_text(backend.compose(product, platform=platform, lang="en"))
            assert not re.search(r"[\u4e00-\u9fff]", text), text
    # A Chinese row asked for in English: its Chinese texts are left out, not mixed in.
    chinese = next(p for p in examples if re.search(r"[\u4e00-\u9fff]", p.title))
    for platform in PLATFORM_NAMES:
        fields = backend.compose(chinese, platform=platform, lang="en", variant=2)
        assert_within_limits(fields, platform)
        assert not re.search(r"[\u4e00-\u9fff]", _all_text(fields)), fields
    # Other non-Chinese languages fall back to English lexicons.
    text = _all_text(backend.compose(english[0], platform="social", lang="fr"))
    assert not re.search(r"[\u4e00-\u9fff]", text)


def test_deterministic_for_the_same_inputs(checker: Any, examples: list[Product]) -> None:
    a, b = OfflineBackend(checker=checker), OfflineBackend(checker=checker)
    for product in examples[:4]:
        for platform in PLATFORM_NAMES:
            kwargs: dict[str, Any] = {"platform": platform, "lang": _lang(product), "variant": 2}
            assert a.compose(product, **kwargs) == b.compose(product, **kwargs)
            assert a.compose(product, **kwargs, seed=7) == a.compose(product, **kwargs, seed=7)
    product = examples[0]
    seeded = {
        json.dumps(a.compose(product, platform="livestream", lang="zh", seed=s), ensure_ascii=False)
        for s in (None, 1, 2, 3)
    }
    assert len(seeded) >= 3  # the seed changes the draw


def test_seed_is_sha256_not_python_hash() -> None:
    # Fixed value: a salted hash() would differ between processes.
    assert item_seed("SKU-1", "social", "zh", 1, None) == 480408105263447786
    assert item_seed("a", "b") != item_seed("a", "c")


def test_same_output_in_processes_with_different_hash_seeds() -> None:
    """No choice depends on Python's salted hash(): other processes write the same copy."""
    import os
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from copygen.inputs.product_files import read_products\n"
        "from copygen.backends.offline import OfflineBackend\n"
        "b = OfflineBackend(self_check=False)\n"
        "rows = list(read_products(sys.argv[1]))[:3]\n"
        "out = [b.compose(r, platform=p, lang=r.lang or 'zh', variant=2)\n"
        "       for r in rows for p in ('livestream', 'social', 'detail')]\n"
        "print(json.dumps(out, ensure_ascii=False, sort_keys=True))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(EXAMPLES)],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


# -- merchant data with banned wording -------------------------------------------------


def _product(**overrides: Any) -> Product:
    data: dict[str, Any] = {
        "sku": "MW-1",
        "title": "薄荷漱口水 500ml",
        "category": "美妆",
        "brand": "清新派",
        "selling_points": "深度清洁|抗菌消炎|提神醒齿|旅行装方便|口感舒适",
        "attributes": "净含量:500ml; 口味:薄荷",
        "price": "39.9",
        "promo_price": "29.9",
        "audience": "上班族",
    }
    data.update(overrides)
    return Product.from_mapping(data)


def test_banned_selling_points_are_not_copied(backend: OfflineBackend, checker: Any) -> None:
    product = _product(selling_points="抗菌消炎|最好用的漱口水|根治口臭|深度清洁|提神醒齿")
    for point in ("抗菌消炎", "最好用的漱口水", "根治口臭"):
        assert checker.check(point, lang="zh", category="beauty").status != "pass", point
    for platform in PLATFORM_NAMES:
        for variant in VARIANTS:
            fields = backend.compose(product, platform=platform, lang="zh", variant=variant)
            text = _all_text(fields)
            for banned in ("抗菌消炎", "最好用", "根治"):
                assert banned not in text, (platform, variant, banned)
            result = checker.check(
                fields, lang="zh", category="beauty", platform=platform, product=product
            )
            assert result.status == "pass", [(f.rule, f.text) for f in result.findings]
            assert "深度清洁" in text or "提神醒齿" in text  # the clean points are used


def test_a_flagged_title_is_replaced_by_a_neutral_name(
    backend: OfflineBackend, checker: Any
) -> None:
    product = _product(title="消炎漱口水", selling_points="深度清洁|口感舒适")
    assert checker.check(product.title, lang="zh", category="beauty").status != "pass"
    for platform in PLATFORM_NAMES:
        fields = backend.compose(product, platform=platform, lang="zh")
        assert "消炎" not in _all_text(fields)
        result = checker.check(
            fields, lang="zh", category="beauty", platform=platform, product=product
        )
        assert result.status == "pass", [(f.rule, f.text) for f in result.findings]


def test_rows_without_points_attributes_or_price_still_fill_every_field(
    backend: OfflineBackend, checker: Any
) -> None:
    bare = Product(sku="BARE-1", title="帆布收纳篮", category="home")
    bare_en = Product(sku="BARE-2", title="Canvas Storage Basket", category="home", lang="en")
    for product, lang in ((bare, "zh"), (bare_en, "en")):
        for platform in PLATFORM_NAMES:
            for variant in VARIANTS:
                fields = backend.compose(product, platform=platform, lang=lang, variant=variant)
                assert_within_limits(fields, platform)
                # nothing invented (扣1 / type 1 is the live room's vote, not a number)
                text = VOTE.sub("", _all_text(fields))
                assert not re.search(r"\d", text), fields
                result = checker.check(
                    fields, lang=lang, category="home", platform=platform, product=product
                )
                assert result.status == "pass", [(f.rule, f.text) for f in result.findings]


def test_prices_are_stated_exactly_or_not_at_all(backend: OfflineBackend) -> None:
    # A bare number is quoted with 元; a cell with a currency mark exactly as written
    # (the promo cell takes the price's mark when it has none: ¥1099.50).
    product = _product(price="1299.00", promo_price="1099.50")
    assert format_price(product.price) == "1299.00"
    seen: set[str] = set()
    for platform in PLATFORM_NAMES:
        for variant in range(1, 9):
            text = _all_text(
                backend.compose(product, platform=platform, lang="zh", variant=variant)
            )
            for m in re.findall(r"(\d[\d.]*)元", text):
                assert m in ("1299.00", "1099.50"), m
                seen.add(m)
    assert seen  # the price does get mentioned somewhere
    marked = _product(price="¥1,299.00", promo_price="1099.50")
    quoted: set[str] = set()
    for platform in PLATFORM_NAMES:
        for variant in range(1, 9):
            text = _all_text(backend.compose(marked, platform=platform, lang="zh", variant=variant))
            assert not re.search(r"\d元", text), text  # the sheet's ¥, not an added 元
            for m in re.findall(r"¥[\d,]+(?:\.\d+)?", text):
                assert m in ("¥1,299.00", "¥1099.50"), m
                quoted.add(m)
            assert not re.search(r"(?<![¥\d,.])1,?299\.00|(?<![¥\d,.])1099\.50", text), text
    assert quoted
    no_promo = _product(promo_price="")
    for variant in range(1, 9):
        text = _all_text(
            backend.compose(no_promo, platform="livestream", lang="zh", variant=variant)
        )
        assert "到手价" not in text and "活动价" not in text


@pytest.mark.parametrize(
    ("cell", "lang"), [("$237.68", "en"), ("US$ 8", "en"), ("€19.99", "en"), ("12.5美元", "zh")]
)
def test_a_price_with_a_currency_is_quoted_as_written(
    backend: OfflineBackend, checker: Any, cell: str, lang: str
) -> None:
    product = Product.from_mapping(
        {
            "sku": "CUR-1",
            "title": "Bamboo Longboard" if lang == "en" else "竹制滑板",
            "category": "other",
            "selling_points": "Flexible bamboo deck" if lang == "en" else "竹制板面",
            "price": cell,
            "lang": lang,
        }
    )
    amount = re.search(r"\d+(?:\.\d+)?", cell).group()  # type: ignore[union-attr]
    mentioned = 0
    for platform in PLATFORM_NAMES:
        for variant in range(1, 7):
            fields = backend.compose(product, platform=platform, lang=lang, variant=variant)
            text = _all_text(fields)
            bare = len(re.findall(rf"(?<![\d.]){re.escape(amount)}(?![\d])", text))
            assert bare == text.count(cell), (cell, text)  # every mention carries the mark
            mentioned += text.count(cell)
            result = checker.check(
                fields, lang=lang, category="other", platform=platform, product=product
            )
            assert result.status == "pass", [(f.rule, f.text) for f in result.findings]
    assert mentioned


def test_live_stream_call_to_action_points_to_the_cart(
    backend: OfflineBackend, examples: list[Product]
) -> None:
    for product in examples:
        lang = _lang(product)
        for variant in VARIANTS:
            cta = backend.compose(product, platform="livestream", lang=lang, variant=variant)[
                "call_to_action"
            ]
            assert ("小黄车" in cta or "购物车" in cta) if lang == "zh" else "cart" in cta.lower()


def test_values_are_data_not_templates(backend: OfflineBackend, checker: Any) -> None:
    product = _product(title="{{ 7*7 }} {point} 杯子", selling_points="{brand}设计|手感细腻")
    for platform in PLATFORM_NAMES:
        text = _all_text(backend.compose(product, platform=platform, lang="zh"))
        assert "49" not in text


def test_short_names() -> None:
    assert short_name("高山云雾绿茶 250g 礼盒装", "", "zh") == "高山云雾绿茶 礼盒装"
    assert short_name("20000mAh 快充移动电源", "", "zh") == "快充移动电源"
    assert short_name("澜朵水润精华液", "澜朵", "zh") == "水润精华液"
    name = short_name("Stainless Steel Insulated Water Bottle 750ml", "Trailmate", "en")
    assert name == "Water Bottle"
    assert len(short_name("氨基酸洗面奶温和清洁男女通用深层控油洁面乳", "", "zh")) <= 12


# -- repair ----------------------------------------------------------------------------


def test_repair_avoids_the_flagged_text(backend: OfflineBackend) -> None:
    product = _product()
    first = backend.compose(product, platform="livestream", lang="zh", variant=1)
    target = first["segments"][1]
    flagged = target[2:6]
    findings = (
        {"rule": "x", "category": "absolute_term", "field": "segments[1]", "text": flagged},
    )
    context = RequestContext(
        item_id="MW-1:livestream:zh:v1",
        platform="livestream",
        lang="zh",
        variant=1,
        product=product,
        attempt=2,
        findings=findings,
        previous_fields=first,
    )
    completion = asyncio.run(backend.complete([], {}, context=context))
    repaired = json.loads(completion.text)
    assert flagged not in _all_text(repaired)
    assert_within_limits(repaired, "livestream")


# -- the Backend interface -------------------------------------------------------------


def test_complete_returns_a_json_completion(
    backend: OfflineBackend, examples: list[Product]
) -> None:
    product = examples[0]
    context = RequestContext(
        item_id="x", platform="social", lang="zh", variant=2, product=product, seed=5
    )
    completion = asyncio.run(
        backend.complete([{"role": "user", "content": "hi"}], {}, context=context)
    )
    assert isinstance(completion, Completion)
    assert completion.model == "offline" and completion.raw is None
    assert completion.usage.total_tokens == 0
    assert completion.latency_ms >= 0
    fields = json.loads(completion.text)
    assert fields == backend.compose(product, platform="social", lang="zh", variant=2, seed=5)
    assert "\\u" not in completion.text  # ensure_ascii=False


def test_complete_needs_the_product() -> None:
    backend = OfflineBackend()
    with pytest.raises(BackendError):
        asyncio.run(backend.complete([], {}, context=None))
    context = RequestContext(item_id="x", platform="social", lang="zh", variant=1)
    with pytest.raises(BackendError):
        asyncio.run(backend.complete([], {}, context=context))


def test_from_settings_and_metadata() -> None:
    backend = OfflineBackend.from_settings(Settings(seed=42))
    assert backend.seed == 42
    assert OfflineBackend.name == "offline" and OfflineBackend.remote is False
    assert OfflineBackend.description
    assert backend.model == "offline"
    # The checker is built lazily, once.
    assert backend._checker is None
    assert backend.checker is backend.checker


def test_registry_builds_the_offline_backend() -> None:
    from copygen.backends.registry import available_backends

    assert available_backends()["offline"] is OfflineBackend


# -- real product rows (Streamer-Sales, 248 Chinese products) --------------------------


def _streamer_rows() -> Iterator[Product]:
    from copygen.inputs.product_files import read_products

    path = SHARED / "cn_product_rows_streamer_sales.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found at {path}")
    yield from read_products(path, on_warning=lambda _message: None)


def test_streamer_sales_rows_pass(backend: OfflineBackend, checker: Any) -> None:
    total = passed = 0
    failures: list[str] = []
    rows = list(_streamer_rows())
    for index, product in enumerate(rows):
        for platform in PLATFORM_NAMES:
            variant = 1 + index % 3
            fields = backend.compose(product, platform=platform, lang="zh", variant=variant)
            assert_within_limits(fields, platform)
            result = checker.check(
                fields, lang="zh", category=product.category, platform=platform, product=product
            )
            total += 1
            if result.status == "pass":
                passed += 1
            else:
                found = [(f.rule, f.field, f.text) for f in result.findings]
                failures.append(f"{product.title}/{platform}: {found}")
    rate = passed / total
    print(f"\nStreamer-Sales rows: {passed}/{total} items pass ({rate:.1%})")
    assert rate == 1.0, "\n".join(failures[:20])


# -- arbitrary rows (property-based) ---------------------------------------------------


_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_WORD = st.text(
    alphabet=st.one_of(_CJK, st.sampled_from("abcdefg hijk XYZ0123456789 .%-/")), max_size=24
)
_PRICE = st.one_of(st.none(), st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False))


@st.composite
def products(draw: Any) -> Product:
    title = draw(st.text(alphabet=st.one_of(_CJK, st.sampled_from("ab cd 12ml")), min_size=1))
    if not title.strip():
        title = "样品"
    attributes = draw(
        st.dictionaries(
            st.sampled_from(["材质", "容量", "口感", "产地", "颜色"]), _WORD, max_size=4
        )
    )
    return Product(
        sku=draw(st.text(alphabet="ABC123-", min_size=1, max_size=8)),
        title=title,
        category=draw(
            st.sampled_from(
                ["beauty", "food", "apparel", "electronics", "mother_baby", "home", "other"]
            )
        ),
        brand=draw(st.one_of(st.just(""), _WORD)),
        selling_points=tuple(draw(st.lists(_WORD, max_size=7))),
        attributes={k: v for k, v in attributes.items()},
        price=draw(_PRICE),
        promo_price=draw(_PRICE),
        audience=draw(st.one_of(st.just(""), _WORD)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    product=products(),
    platform=st.sampled_from(PLATFORM_NAMES),
    variant=st.integers(1, 5),
    lang=st.sampled_from(["zh", "en"]),
)
def test_any_row_gives_bounded_deterministic_passing_copy(
    product: Product, platform: str, variant: int, lang: str
) -> None:
    backend = _shared_backend()
    fields = backend.compose(product, platform=platform, lang=lang, variant=variant)
    assert_within_limits(fields, platform)
    assert fields == backend.compose(product, platform=platform, lang=lang, variant=variant)
    result = backend.checker.check(  # type: ignore[union-attr]
        fields, lang=lang, category=product.category, platform=platform, product=product
    )
    assert result.status == "pass", [(f.rule, f.field, f.text) for f in result.findings]


_BACKEND: list[OfflineBackend] = []


def _shared_backend() -> OfflineBackend:
    if not _BACKEND:
        _BACKEND.append(OfflineBackend())
    return _BACKEND[0]


def test_a_name_flagged_inside_every_phrase_falls_back_to_a_neutral_noun(
    checker: Any,
) -> None:
    """A name that trips a rule wherever it goes is replaced, and every field stays filled."""

    class NameFlagger:
        # Flags the row's own name in any composed field (not in the row data itself).
        def check(self, fields: Any, **kwargs: Any) -> Any:
            result = checker.check(fields, **kwargs)
            if kwargs.get("platform") is None:
                return result
            from copygen.compliance.findings import CheckResult, Finding

            extra = []
            for key, value in fields.items():
                items = value if isinstance(value, list) else [value]
                for index, text in enumerate(items):
                    name = f"{key}[{index}]" if isinstance(value, list) else key
                    start = text.find("星光杯")
                    if start >= 0:
                        extra.append(
                            Finding(
                                "test.name",
                                "vulgar",
                                "block",
                                name,
                                start,
                                start + 3,
                                "星光杯",
                                "m",
                                "law",
                                "s",
                            )
                        )
            return CheckResult.from_findings([*result.findings, *extra])

    backend = OfflineBackend(checker=NameFlagger())  # type: ignore[arg-type]
    product = Product(sku="N-1", title="星光杯", category="home", selling_points=("双层玻璃",))
    for platform in PLATFORM_NAMES:
        fields = backend.compose(product, platform=platform, lang="zh", variant=1)
        assert_within_limits(fields, platform)
        assert "星光杯" not in _all_text(fields)


def test_brand_voice_words_to_avoid_are_left_out(examples: list[Product]) -> None:
    from copygen.config import BrandVoice

    product = next(p for p in examples if p.lang in (None, "zh"))
    plain = OfflineBackend()
    used = _all_text(plain.compose(product, platform="livestream", lang="zh"))
    words = [w for w in ("家人们", "小黄车", "购物车", "今天") if w in used]
    assert words
    voiced = OfflineBackend.from_settings(Settings(brand_voice=BrandVoice(avoid=tuple(words))))
    for platform in PLATFORM_NAMES:
        text = _all_text(voiced.compose(product, platform=platform, lang="zh"))
        for word in words:
            assert word not in text, (platform, word)
