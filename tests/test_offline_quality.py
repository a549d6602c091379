"""How the offline copy reads, measured with bench/offline_quality.py's own code.

Over the 248 Streamer-Sales rows (one variant each, every platform) and the Amazon
sample: sentence frames spread out, nothing said twice, no scene that contradicts the
product, live-stream scripts of a speakable length with the room in them, social notes
with a few emoji and tags about the product, no invented audience, English titles whole,
prices quoted with their currency, and every item passing the checker.
"""

from __future__ import annotations

import collections
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from copygen.backends.offline import OfflineBackend
from copygen.inputs.product import Product
from copygen.writing.phrasing import en_point_kind, en_split_point, first_sentence, zh_point_kind

REPO = Path(__file__).resolve().parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "offline_quality", REPO / "bench" / "offline_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["offline_quality"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture(scope="module")
def checker() -> Any:
    from copygen.compliance.engine import Checker

    return Checker()


@pytest.fixture(scope="module")
def streamer(checker: Any) -> dict[str, Any]:
    if not bench.STREAMER.is_file():
        pytest.skip(f"shared data not found at {bench.STREAMER}")
    rows = bench.streamer_rows()
    assert len(rows) == 248
    backend = OfflineBackend(checker=checker)
    items = bench.generate(rows, 1, backend, checker)
    report = bench.SheetReport("streamer-sales", len(rows), items)
    return {"items": items, "result": bench.measure(report, bench._lexicon_words(), 5)}


@pytest.fixture(scope="module")
def amazon(checker: Any) -> dict[str, Any]:
    if not bench.AMAZON.is_file():
        pytest.skip(f"shared data not found at {bench.AMAZON}")
    rows = bench.amazon_rows()
    backend = OfflineBackend(checker=checker)
    items = bench.generate(rows, 2, backend, checker)
    report = bench.SheetReport("amazon-sample", len(rows), items)
    return {"items": items, "result": bench.measure(report, bench._lexicon_words(), 5)}


def test_every_streamer_item_passes(streamer: dict[str, Any]) -> None:
    assert streamer["result"]["pass_rate"] == 1.0


def test_no_sentence_frame_in_more_than_five_percent_of_texts(streamer: dict[str, Any]) -> None:
    result = streamer["result"]
    assert result["top_frame_share"] <= 0.05, result["top_frames"]


def test_no_sentence_is_said_twice_in_one_text(streamer: dict[str, Any]) -> None:
    result = streamer["result"]
    assert result["texts_with_repeated_sentence"] == 0, result["repeated_examples"]


def test_no_scene_contradicts_the_product(streamer: dict[str, Any]) -> None:
    result = streamer["result"]
    assert len(bench.FORBIDDEN_SCENES) >= 30
    assert result["scene_mismatches"] == 0, result["scene_examples"]


def test_no_audience_is_invented(streamer: dict[str, Any], amazon: dict[str, Any]) -> None:
    for data in (streamer, amazon):
        assert data["result"]["invented_audiences"] == 0, data["result"]["audience_examples"]


def test_live_stream_scripts_are_speakable_and_talk_with_the_room(
    streamer: dict[str, Any],
) -> None:
    for item in streamer["items"]:
        if item.platform != "livestream":
            continue
        script = "\n".join(bench.texts_of(item.fields))
        title = item.row.product.title
        assert 250 <= len(script) <= 600, (title, len(script), script)
        assert re.search(r"扣个?[12]|？|公屏", script), (title, script)  # the room is asked
        assert (
            "小黄车" in item.fields["call_to_action"] or "购物车" in item.fields["call_to_action"]
        )


def test_social_notes_have_a_few_emoji_and_tags_about_the_product(
    streamer: dict[str, Any],
) -> None:
    generic = bench.GENERIC_TAGS
    for item in streamer["items"]:
        if item.platform != "social":
            continue
        body = item.fields["body"]
        emoji = bench._EMOJI.findall(f"{item.fields['title']}\n{body}")
        assert 1 <= len(emoji) <= 5, (item.row.product.title, body)
        tags = item.fields["hashtags"]
        specific = [t for t in tags if t.lower() not in generic]
        assert len(specific) >= 3, (item.row.product.title, tags)
    result = streamer["result"]["platforms"]["social"]
    assert result["generic_hashtag_share"] <= 0.1


def test_detail_bullets_are_the_row_points_plainly(streamer: dict[str, Any]) -> None:
    for item in streamer["items"]:
        if item.platform != "detail":
            continue
        points = set(item.row.product.selling_points)
        for bullet in item.fields["bullets"]:
            assert not re.match(r"^[【★◆✓✔]", bullet), bullet  # one plain style
        assert any(b in points for b in item.fields["bullets"]), item.fields["bullets"]


def test_english_titles_are_whole_and_bullets_are_not_cut(amazon: dict[str, Any]) -> None:
    result = amazon["result"]
    assert result["pass_rate"] == 1.0
    assert result["price_without_currency"] == 0
    for item in amazon["items"]:
        product = item.row.product
        text = "\n".join(bench.texts_of(item.fields))
        words = product.title.split()
        # Either the whole title or none of its tail: never "the Music Box Set of."
        data = " ".join(product.selling_points)
        for cut in range(2, len(words)):
            fragment = " ".join(words[:cut])
            if len(fragment) > 12 and fragment in text and fragment not in data:
                assert product.title in text, (fragment, text)
        assert "Make sure this fits" not in text
        # A bullet used in the copy is its label and/or a whole first sentence.
        for point in product.selling_points:
            _label, body = en_split_point(point)
            sentence = first_sentence(body).rstrip(" .")
            head = " ".join(sentence.split()[:5])
            if len(head) > 15 and head in text:
                assert sentence in text, (sentence, text)


def test_scenes_follow_the_product_type() -> None:
    backend = OfflineBackend(self_check=False)
    rice = Product(sku="R-1", title="五常大米", category="food", selling_points=("颗粒饱满",))
    serum = Product(sku="S-1", title="保湿精华液", category="beauty", selling_points=("质地清爽",))
    kids = Product(sku="K-1", title="儿童T恤", category="apparel", selling_points=("纯棉面料",))
    mouse = Product(sku="M-1", title="Wireless Mouse", category="electronics", lang="en")
    unknown = Product(sku="U-1", title="神秘小物", category="food", selling_points=("包装精美",))
    cases = [
        (rice, "zh", ("办公室", "追剧", "下午茶")),
        (serum, "zh", ("健身", "运动")),
        (kids, "zh", ("约会", "通勤", "上班")),
        (mouse, "en", ("workout", "gym")),
        (unknown, "zh", ("办公室", "追剧", "露营", "下午茶")),
    ]
    for product, lang, forbidden in cases:
        for platform in ("livestream", "social", "detail"):
            for variant in range(1, 6):
                fields = backend.compose(product, platform=platform, lang=lang, variant=variant)
                text = "\n".join(bench.texts_of(fields))
                for word in forbidden:
                    assert word.lower() not in text.lower(), (product.title, word, text)


def test_point_kinds() -> None:
    assert zh_point_kind("软毛设计") == "noun"
    assert zh_point_kind("防滑手柄") == "noun"
    assert zh_point_kind("口感舒适") == "state"
    assert zh_point_kind("营养价值高") == "state"
    assert zh_point_kind("便于携带") == "state"
    assert zh_point_kind("补充水分") == "action"
    assert zh_point_kind("含有电解质，适合运动后补充水分") == "any"
    label, body = en_split_point(
        "RESPONSIVE FLEX: The Crossbow features a bamboo core. Pumping has never been so fun!"
    )
    assert label == "Responsive flex"
    assert first_sentence(body) == "The Crossbow features a bamboo core."
    assert en_point_kind("Keeps drinks cold for 24 hours") == "action"
    assert en_point_kind("Leak-proof lid") == "noun"
    assert en_point_kind("Puzzle has 500 pieces") == "sentence"
    assert en_point_kind("Made in the USA") == "state"


def test_noun_and_state_points_get_frames_that_fit(checker: Any) -> None:
    """The frames a kind's point lands in read as a sentence with that kind of phrase."""
    from copygen.writing.lexicons import load_lexicon

    broken = re.compile(r"考虑了|具备.{0,12}这一特点|这款正好有|它有")
    for platform in ("livestream", "social", "detail"):
        lex = load_lexicon(category="food", platform=platform, lang="zh")
        for slot in ("state_points", "point_phrases", "description_points"):
            if slot == "description_points" and platform != "detail":
                continue
            pool = lex.phrases(slot) if slot != "point_phrases" or platform != "detail" else ()
            for phrase in pool:
                assert not broken.search(phrase.replace("{point}", "营养价值高")), phrase


def test_frame_reuse_counts_frames_not_row_data() -> None:
    """The bench's frame: row data masked; a sentence of row data alone has none."""
    row = bench.Row(Product(sku="x", title="漱口水", selling_points=("口感舒适",)), "zh")
    pieces = bench._row_pieces(row, ())
    assert bench.frame_of("口感舒适。", pieces) is None
    assert bench.frame_of("这款漱口水口感舒适。", pieces) == "这款▒▒。".replace("▒▒", "▒")
    counter = collections.Counter([bench.frame_of("它主打口感舒适。", pieces)])
    assert counter["它主打▒。"] == 1
