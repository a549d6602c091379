"""How the offline backend's copy reads: frames, repeats, scenes, style, length, pass rate.

    .venv/bin/python bench/offline_quality.py [--json] [--variants N] [--show N]

Generates with the offline backend (``OfflineBackend.compose``, checked by the same
``Checker`` the pipeline uses) over three sheets, every platform, variants 1..N:

* ``../shared/data/cn_product_rows_streamer_sales.csv`` (248 Chinese rows, no SKU);
* ``../shared/data/en_amazon_products_sample10.csv`` (10 Amazon listings);
* ``examples/products.csv``.

and prints, per sheet:

* **frame reuse** — a sentence's frame is the sentence with the row's data masked
  (title and its words, brand, selling points and their parts, attributes, audience,
  prices, numbers, and the lexicons' scene and audience words); sentences that are
  row data alone have no frame. Reported: the most used frame's share of texts, overall
  and per platform (target: at most 5%);
* **repeated sentences** — texts in which one sentence occurs twice;
* **scene mismatches** — texts that put the product in a scene that contradicts it,
  from ``FORBIDDEN_SCENES`` below (product matcher x scene words), written before the
  composer was tuned against it; searched in the text with the row's data masked, so a
  row that itself says 健身 is not counted;
* **emoji and hashtags** per platform, and the share of hashtags that are generic
  (the same for any product);
* **length** per platform (all fields, characters): min / median / max;
* **invented audiences** — texts naming an audience (上班族, students …) when the row has
  none;
* **English titles** — share of English texts that carry the full title;
* **prices** — texts quoting a row price without the currency mark the sheet wrote;
* **pass rate** — items the checker passes.

Sheets are read with ``copygen.inputs.product_files.read_products``; where it refuses a
sheet (copygen before issue 13: no SKU column, other column names) rows are mapped here,
so the same bench measures the code before the change.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
STREAMER = DATA / "cn_product_rows_streamer_sales.csv"
AMAZON = DATA / "en_amazon_products_sample10.csv"
EXAMPLES = REPO / "examples" / "products.csv"
PLATFORMS = ("livestream", "social", "detail")

#: the sheet's first-level categories -> copygen's (for readers that do not map them)
STREAMER_CATEGORIES = {
    "个人护理与美妆": "beauty",
    "食品": "food",
    "饮料": "food",
    "服装": "apparel",
    "电子产品": "electronics",
    "家居用品": "home",
    "宠物用品": "pet",
    "汽车": "auto",
}

# -- product x scene pairs that contradict each other ----------------------------------
#
# (name, category or None, product words in title/category text or None, scene words).
# A text about a matching product that names one of the scene words (outside the row's
# own data) is a mismatch.

SKIN = ("精华", "面霜", "面膜", "爽肤水", "洁面", "乳液", "眼霜", "serum", "cream", "lotion")
MAKEUP = ("口红", "眼影", "睫毛膏", "粉底", "腮红", "lipstick", "mascara", "foundation")
STAPLE = ("大米", "燕麦", "玉米", "面条", "面粉", "rice", "oats", "flour", "pasta")
RAW_MEAT = ("牛肉", "猪肉", "羊肉", "鸡肉", "鸭肉", "beef", "pork", "lamb", "chicken")
KIDS = ("儿童", "童装", "婴儿", "宝宝", "学龄前", "kids", "child", "toddler", "baby")
POINTER = ("鼠标", "键盘", "mouse", "keyboard")
SCREEN = ("电视", "显示器", "投影仪", "一体机", "台式机", "tv", "monitor", "projector")
BIG_HOME = ("床垫", "沙发", "衣柜", "书桌", "餐桌", "床", "mattress", "sofa", "wardrobe")
CLEANER = ("洗洁精", "消毒液", "洗衣液", "垃圾袋", "拖把", "detergent", "disinfectant")
KITCHEN_APPL = ("微波炉", "电饭煲", "榨汁机", "电水壶", "炒锅", "炖锅", "microwave")
CAR_FLUID = ("润滑油", "防冻液", "玻璃水", "机油", "清洗剂", "轮胎蜡", "antifreeze")
CAR_PART = ("刹车片", "火花塞", "滤芯", "雨刮", "brake", "spark plug", "wiper")
FITNESS_BIG = ("跑步机", "动感单车", "treadmill")
CAMP = ("帐篷", "睡袋", "tent", "sleeping bag")
PET_FOOD = ("粮", "罐头", "零食", "饼干", "冻干", "饲料", "鸟食")

FORBIDDEN_SCENES: tuple[tuple[str, str | None, tuple[str, ...] | None, tuple[str, ...]], ...] = (
    ("skin care x gym", "beauty", SKIN, ("健身", "gym", "workout")),
    ("skin care x sports", "beauty", SKIN, ("运动后", "跑步")),
    ("makeup x gym", "beauty", MAKEUP, ("健身", "gym", "workout")),
    ("face mask x commute", "beauty", ("面膜", "face mask"), ("通勤", "上班路上", "commute")),
    ("perfume x gym", "beauty", ("香水", "古龙水", "香精", "perfume"), ("健身", "gym")),
    ("oral care x gym", "beauty", ("漱口水", "牙膏", "牙线", "牙刷"), ("健身", "gym")),
    ("staple x office drawer", "food", STAPLE, ("办公室", "抽屉", "office", "desk drawer")),
    ("staple x snack time", "food", STAPLE, ("追剧", "下午茶", "解馋", "snack time")),
    ("raw meat x office", "food", RAW_MEAT, ("办公室", "抽屉", "office")),
    ("raw meat x snacking", "food", RAW_MEAT, ("追剧", "下午茶", "解馋", "零嘴")),
    ("raw meat x travel bag", "food", RAW_MEAT, ("出差", "通勤", "随身", "commute")),
    ("dairy x drawer", "food", ("牛奶", "酸奶", "黄油", "奶酪", "冰淇淋"), ("抽屉", "drawer")),
    ("fresh produce x office drawer", "food", ("西红柿", "黄瓜", "香蕉"), ("抽屉", "drawer")),
    ("kids apparel x date", "apparel", KIDS, ("约会", "date night", "dating")),
    ("kids apparel x work", "apparel", KIDS, ("通勤", "上班", "职场", "面试", "commute")),
    ("baby goods x date", "mother_baby", None, ("约会", "date night")),
    ("baby goods x gym", "mother_baby", None, ("健身", "gym", "workout")),
    ("suit/leather shoes x gym", "apparel", ("西装", "皮鞋", "suit"), ("健身", "gym", "跑步")),
    ("mouse/keyboard x workout", "electronics", POINTER, ("健身", "运动", "workout", "gym")),
    ("screen x commute", "electronics", SCREEN, ("通勤", "出差", "commute", "露营")),
    ("screen x workout", "electronics", SCREEN, ("健身", "workout", "gym", "跑步")),
    ("kitchen appliance x commute", None, KITCHEN_APPL, ("通勤", "出差", "户外", "commute")),
    ("furniture x travel", "home", BIG_HOME, ("出差", "通勤", "旅行", "露营", "commute")),
    ("cleaner x date", "home", CLEANER, ("约会", "送礼", "date")),
    ("cleaner x food time", "home", CLEANER, ("下午茶", "早餐", "追剧")),
    ("pet x date", "pet", None, ("约会", "date night")),
    ("pet x commute/office", "pet", None, ("通勤", "上班", "办公室", "commute", "office")),
    ("pet x gym", "pet", None, ("健身", "gym", "workout")),
    ("pet food x human meals", "pet", PET_FOOD, ("早餐", "下午茶", "追剧")),
    ("car fluid x home", "auto", CAR_FLUID, ("卧室", "厨房", "居家", "约会", "bedroom")),
    ("car part x date", "auto", CAR_PART, ("约会", "送礼", "date")),
    ("car goods x gym", "auto", None, ("健身", "gym", "workout")),
    ("car goods x kitchen", "auto", None, ("厨房", "kitchen")),
    ("fitness machine x travel", None, FITNESS_BIG, ("出差", "通勤", "旅行", "commute")),
    ("camping gear x office", None, CAMP, ("办公室", "通勤", "office", "commute")),
    ("book x gym", None, ("小说", "散文", "诗歌", "传记", "剧本", "杂志"), ("健身", "gym")),
    ("toy x office", None, ("puzzle", "dinosaur", "costume", "toy"), ("office", "commute")),
    ("window film x gym", None, ("window film",), ("gym", "workout")),
)

# Audience words: naming any of these when the row has no audience is inventing one.
AUDIENCE_WORDS_ZH = (
    "上班族",
    "学生党",
    "学生",
    "宝妈",
    "新手爸妈",
    "白领",
    "打工人",
    "护肤新手",
    "成分党",
    "精致派",
    "通勤族",
    "健身人群",
    "送礼人群",
    "年轻人",
    "中老年",
    "老人",
    "家长",
    "铲屎官",
    "车主",
    "新手司机",
    "懒人",
)
AUDIENCE_WORDS_EN = (
    "office workers",
    "students",
    "commuters",
    "moms",
    "parents",
    "beginners",
    "busy people",
    "gamers",
    "travelers",
    "travellers",
    "professionals",
    "pet parents",
    "drivers",
    "seniors",
    "teens",
)
GENERIC_TAGS = {
    "好物分享",
    "种草",
    "好物推荐",
    "生活好物",
    "购物分享",
    "日常分享",
    "宝藏好物",
    "今日分享",
    "shopping",
    "musthave",
    "dailyfinds",
    "recommended",
    "goodfinds",
    "shoppinghaul",
    "newin",
}

_EMOJI = re.compile(
    "[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2b55\u2728\u2705\u274c\u203c\u2049\u2764]"
)
_ZH_SENT = re.compile(r"(?<=[。！？!?…；;])|\n+")
_EN_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_MASK = "\u2592"


@dataclass
class Row:
    product: Any
    lang: str
    price_cells: tuple[str, ...] = ()  # the price cells as the sheet wrote them
    detail: str = ""  # category path / second-level category (for scene matching)
    category: str = ""  # the sheet's category in copygen's names ("" = the product's)


@dataclass
class Item:
    row: Row
    platform: str
    variant: int
    fields: Mapping[str, Any]
    status: str


@dataclass
class SheetReport:
    name: str
    rows: int = 0
    items: list[Item] = field(default_factory=list)
    seconds: float = 0.0


# -- reading the sheets ----------------------------------------------------------------


def _read_with_copygen(path: Path) -> list[Any] | None:
    """The sheet read by copygen itself, or None while its reader refuses the sheet."""
    from copygen.errors import CopygenError
    from copygen.inputs.product_files import read_products

    try:
        return list(read_products(path, on_warning=lambda _msg: None))
    except CopygenError:
        return None


def streamer_rows() -> list[Row]:
    from copygen.inputs.product import Product

    with STREAMER.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    products = _read_with_copygen(STREAMER)
    if products is None or len(products) != len(raw):
        products = [
            Product.from_mapping(
                {
                    "sku": f"ROW-{i:04d}",
                    "title": r["product"],
                    "category": STREAMER_CATEGORIES.get(r["category_l1"], r["category_l1"]),
                    "selling_points": r["selling_points"],
                },
                row=i,
            )
            for i, r in enumerate(raw, start=1)
        ]
    return [
        Row(
            p,
            "zh",
            detail=f"{r['category_l1']} {r['category_l2']}",
            category=STREAMER_CATEGORIES.get(r["category_l1"], ""),
        )
        for p, r in zip(products, raw, strict=True)
    ]


def amazon_rows() -> list[Row]:
    from copygen.inputs.product import Product

    with AMAZON.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    products = _read_with_copygen(AMAZON)
    if products is None or len(products) != len(raw):
        products = [
            Product.from_mapping(
                {
                    "sku": r["uniq_id"],
                    "title": r["product_name"],
                    "category": r["category"],
                    "selling_points": r["about_product"],
                    "price": r["selling_price"],
                    "lang": "en",
                },
                row=i,
            )
            for i, r in enumerate(raw, start=1)
        ]
    return [
        Row(p, "en", price_cells=(r["selling_price"].strip(),), detail=r["category"])
        for p, r in zip(products, raw, strict=True)
    ]


def example_rows() -> list[Row]:
    from copygen.inputs.product_files import read_products

    with EXAMPLES.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    products = list(read_products(EXAMPLES))
    return [
        Row(
            p,
            p.lang or "zh",
            price_cells=tuple(c.strip() for c in (r["price"], r["promo_price"]) if c.strip()),
            detail=r.get("category", ""),
        )
        for p, r in zip(products, raw, strict=True)
    ]


# -- generating ------------------------------------------------------------------------


def generate(rows: Sequence[Row], variants: int, backend: Any, checker: Any) -> list[Item]:
    items: list[Item] = []
    for row in rows:
        product = row.product
        for platform in PLATFORMS:
            for variant in range(1, variants + 1):
                fields = backend.compose(product, platform=platform, lang=row.lang, variant=variant)
                result = checker.check(
                    fields,
                    lang=row.lang,
                    category=product.category,
                    platform=platform,
                    product=product,
                )
                items.append(Item(row, platform, variant, fields, result.status))
    return items


# -- measuring -------------------------------------------------------------------------


def texts_of(fields: Mapping[str, Any], *, hashtags: bool = True) -> list[str]:
    out: list[str] = []
    for name, value in fields.items():
        if name == "hashtags" and not hashtags:
            continue
        out.extend(value if isinstance(value, list) else [value])
    return [t for t in out if t]


def sentences(fields: Mapping[str, Any], lang: str) -> list[str]:
    splitter = _ZH_SENT if lang.startswith("zh") else _EN_SENT
    out: list[str] = []
    for text in texts_of(fields, hashtags=False):
        out.extend(s.strip() for s in splitter.split(text) if s and s.strip())
    return out


def _row_pieces(row: Row, lexicon_words: Iterable[str]) -> list[str]:
    """Every piece of row data (and lexicon scene/audience word) to mask, longest first."""
    p = row.product
    pieces: set[str] = set()
    for text in (p.title, p.brand, p.audience, *p.selling_points, *row.price_cells):
        text = (text or "").strip()
        if not text:
            continue
        pieces.add(text)
        # Parts a writer may use alone: the label and the sentences of a long bullet,
        # clauses of a Chinese point, words of a title.
        for part in re.split(r"[:：;；,，。.!?！？|｜()（）\[\]【】\s]+(?=\S)", text):
            part = part.strip(" .,;:，。；：")
            if len(part) >= 2:
                pieces.add(part)
    words = [w for w in re.split(r"[\s|｜/,，()（）\[\]【】\-–]+", p.title) if w]
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            gram = " ".join(words[i:j])
            if len(gram) >= 2:
                pieces.add(gram)
    # Chinese titles are also named by their tail (精华液 for 水润保湿精华液).
    for word in words:
        if any("\u4e00" <= ch <= "\u9fff" for ch in word):
            for k in range(2, len(word)):
                pieces.add(word[-k:])
    for key, value in p.attributes.items():
        pieces.update(x for x in (key.strip(), value.strip()) if x)
    pieces.update(w for w in lexicon_words if w)
    return sorted(pieces, key=len, reverse=True)


def masked(text: str, pieces: Sequence[str]) -> str:
    out = text
    for piece in pieces:
        if piece.isascii():
            # whole words: "and" from a title is not masked inside "standout"
            pattern = rf"(?<![A-Za-z0-9]){re.escape(piece)}(?![A-Za-z0-9])"
            out = re.sub(pattern, _MASK, out, flags=re.IGNORECASE)
        else:
            out = out.replace(piece, _MASK)
    out = _NUM.sub(_MASK, out)
    out = re.sub(f"{_MASK}+", _MASK, out)
    return re.sub(r"\s+", " ", out).strip()


def frame_of(sentence: str, pieces: Sequence[str]) -> str | None:
    """The sentence's frame, or None when it is row data alone."""
    frame = masked(sentence, pieces)
    literal = re.sub(rf"[{_MASK}\W_]+", "", frame)
    return frame if len(literal) >= 2 else None


def _lexicon_words(slots: Sequence[str] = ("scenes", "audiences"), lang: str = "") -> list[str]:
    """Words of these slots in every lexicon (of ``lang``, or all): scenes, audiences."""
    from copygen.writing.lexicons import load_lexicon_files

    words: set[str] = set()
    for lex in load_lexicon_files().values():
        if lang and lex.lang != lang:
            continue
        for slot in slots:
            words.update(lex.phrases.get(slot, ()))
    return sorted(words)


def _matches(row: Row, category: str | None, words: tuple[str, ...] | None) -> bool:
    p = row.product
    if category is not None and (row.category or p.category) != category:
        return False
    if words is None:
        return True
    where = f"{p.title} {row.detail}".lower()
    for w in words:
        if w.isascii():
            if re.search(rf"\b{re.escape(w)}s?\b", where):
                return True
        elif w in where:
            return True
    return False


def _has_word(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}\b", text, flags=re.IGNORECASE) is not None
    return word in text


def _amount_without_mark(text: str, cell: str) -> bool:
    """The cell has a currency mark and the text quotes its number without it."""
    number = _NUM.search(cell)
    if number is None or re.fullmatch(r"[\d.,\s]+", cell):
        return False
    count_bare = len(re.findall(rf"(?<![\d.,]){re.escape(number.group())}(?![\d,]|\.\d)", text))
    return count_bare > text.count(cell)


def measure(report: SheetReport, lexicon_words: Sequence[str], show: int) -> dict[str, Any]:
    items = report.items
    n = len(items)
    per_platform: dict[str, list[Item]] = collections.defaultdict(list)
    for item in items:
        per_platform[item.platform].append(item)

    frames: collections.Counter[str] = collections.Counter()
    frames_pf: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    repeated: list[tuple[Item, str]] = []
    scene_hits: list[tuple[Item, str, str]] = []
    audience_hits: list[tuple[Item, str]] = []
    price_hits: list[Item] = []
    title_whole = title_total = 0
    audiences = {
        "zh": (*AUDIENCE_WORDS_ZH, *_lexicon_words(("audiences",), "zh")),
        "en": (*AUDIENCE_WORDS_EN, *_lexicon_words(("audiences",), "en")),
    }
    piece_cache: dict[int, list[str]] = {}
    data_cache: dict[int, list[str]] = {}
    for item in items:
        row = item.row
        pieces = piece_cache.setdefault(id(row), _row_pieces(row, lexicon_words))
        # Scenes and audiences are searched with the row's data masked, not the lexicons'.
        data = data_cache.setdefault(id(row), _row_pieces(row, ()))
        sents = sentences(item.fields, row.lang)
        seen_frames = {f for f in (frame_of(s, pieces) for s in sents) if f}
        frames.update(seen_frames)
        frames_pf[item.platform].update(seen_frames)
        counts = collections.Counter(s for s in sents if len(s) >= 4)
        dup = [s for s, c in counts.items() if c > 1]
        if dup:
            repeated.append((item, dup[0]))
        all_text = "\n".join(texts_of(item.fields))
        masked_text = masked(all_text, data)
        for name, category, words, scenes in FORBIDDEN_SCENES:
            if not _matches(row, category, words):
                continue
            for scene in scenes:
                if _has_word(masked_text, scene):
                    scene_hits.append((item, name, scene))
                    break
        if not row.product.audience.strip():
            words = audiences["zh" if row.lang.startswith("zh") else "en"]
            found = [w for w in words if _has_word(masked_text, w)]
            if found:
                audience_hits.append((item, found[0]))
        if any(_amount_without_mark(all_text, cell) for cell in row.price_cells):
            price_hits.append(item)
        if row.lang == "en":
            title_total += 1
            title_whole += row.product.title in all_text

    def top(counter: collections.Counter[str], total: int) -> list[dict[str, Any]]:
        return [
            {"frame": f, "texts": c, "share": round(c / total, 4)}
            for f, c in counter.most_common(show)
        ]

    platforms: dict[str, Any] = {}
    for platform, group in per_platform.items():
        lengths = [sum(len(t) for t in texts_of(i.fields)) for i in group]
        emoji = [len(_EMOJI.findall("\n".join(texts_of(i.fields)))) for i in group]
        entry: dict[str, Any] = {
            "texts": len(group),
            "length": {
                "min": min(lengths),
                "median": statistics.median(lengths),
                "max": max(lengths),
            },
            "emoji_per_text": round(sum(emoji) / len(group), 2),
            "texts_with_emoji": round(sum(1 for e in emoji if e) / len(group), 3),
            "top_frames": top(frames_pf[platform], len(group)),
        }
        if platform == "social":
            tags = [t for i in group for t in i.fields.get("hashtags", [])]
            entry["hashtags_per_text"] = round(len(tags) / len(group), 2)
            entry["generic_hashtag_share"] = round(
                sum(1 for t in tags if t.lower() in GENERIC_TAGS) / max(len(tags), 1), 3
            )
        if platform == "livestream":
            scripts = ["\n".join(texts_of(i.fields)) for i in group]
            entry["with_interaction"] = round(
                sum(1 for s in scripts if "扣" in s or "？" in s or "?" in s) / len(group), 3
            )
            zh = [n for n, i in zip(lengths, group, strict=True) if i.row.lang.startswith("zh")]
            if zh:
                entry["zh_in_250_600"] = round(sum(1 for x in zh if 250 <= x <= 600) / len(zh), 3)
        platforms[platform] = entry

    top_all = frames.most_common(1)
    return {
        "sheet": report.name,
        "rows": report.rows,
        "texts": n,
        "seconds": round(report.seconds, 2),
        "pass_rate": round(sum(1 for i in items if i.status == "pass") / n, 4),
        "top_frame_share": round(top_all[0][1] / n, 4) if top_all else 0.0,
        "top_frame_share_per_platform": {
            p: round(c.most_common(1)[0][1] / len(per_platform[p]), 4) if c else 0.0
            for p, c in frames_pf.items()
        },
        "frames_over_5pct": sum(1 for c in frames.values() if c / n > 0.05),
        "top_frames": top(frames, n),
        "texts_with_repeated_sentence": len(repeated),
        "repeated_examples": [
            f"{i.row.product.title[:30]}/{i.platform}/v{i.variant}: {s}" for i, s in repeated[:show]
        ],
        "scene_mismatches": len(scene_hits),
        "scene_examples": [
            f"{i.row.product.title[:30]}/{i.platform}/v{i.variant}: {name} ({scene})"
            for i, name, scene in scene_hits[:show]
        ],
        "invented_audiences": len(audience_hits),
        "audience_examples": [
            f"{i.row.product.title[:30]}/{i.platform}/v{i.variant}: {w}"
            for i, w in audience_hits[:show]
        ],
        "price_without_currency": len(price_hits),
        "english_title_whole": round(title_whole / title_total, 3) if title_total else None,
        "platforms": platforms,
    }


def run(variants: int, show: int, sheets: Sequence[str]) -> list[dict[str, Any]]:
    from copygen.backends.offline import OfflineBackend
    from copygen.compliance.engine import Checker

    checker = Checker()
    backend = OfflineBackend(checker=checker)
    loaders: dict[str, tuple[Path, Callable[[], list[Row]]]] = {
        "streamer-sales": (STREAMER, streamer_rows),
        "amazon-sample": (AMAZON, amazon_rows),
        "examples": (EXAMPLES, example_rows),
    }
    words = _lexicon_words()
    out = []
    for name in sheets:
        path, loader = loaders[name]
        if not path.is_file():
            print(f"{name}: {path} not found, skipped", file=sys.stderr)
            continue
        rows = loader()
        started = time.perf_counter()
        report = SheetReport(name, len(rows), generate(rows, variants, backend, checker))
        report.seconds = time.perf_counter() - started
        out.append(measure(report, words, show))
    return out


def _print(result: Mapping[str, Any]) -> None:
    print(f"== {result['sheet']}: {result['rows']} rows, {result['texts']} texts")
    print(f"  pass rate                      {result['pass_rate']:.1%}")
    pf = result["top_frame_share_per_platform"]
    print(
        f"  top frame share (all texts)    {result['top_frame_share']:.1%}   per platform: "
        + ", ".join(f"{p} {v:.1%}" for p, v in pf.items())
    )
    print(f"  frames in >5% of texts         {result['frames_over_5pct']}")
    for f in result["top_frames"]:
        print(f"      {f['share']:6.1%}  {f['frame'][:70]}")
    print(f"  texts with a repeated sentence {result['texts_with_repeated_sentence']}")
    for line in result["repeated_examples"]:
        print(f"      {line[:100]}")
    print(f"  scene mismatches               {result['scene_mismatches']}")
    for line in result["scene_examples"]:
        print(f"      {line[:100]}")
    print(f"  invented audiences             {result['invented_audiences']}")
    for line in result["audience_examples"]:
        print(f"      {line[:100]}")
    print(f"  price without its currency     {result['price_without_currency']}")
    if result["english_title_whole"] is not None:
        print(f"  English texts with whole title {result['english_title_whole']:.1%}")
    for platform, entry in result["platforms"].items():
        length = entry["length"]
        extra = ""
        if "hashtags_per_text" in entry:
            extra = (
                f", hashtags/text {entry['hashtags_per_text']}"
                f" (generic {entry['generic_hashtag_share']:.0%})"
            )
        if "with_interaction" in entry:
            extra = f", interaction {entry['with_interaction']:.0%}"
            if "zh_in_250_600" in entry:
                extra += f", zh 250-600 chars {entry['zh_in_250_600']:.0%}"
        print(
            f"  {platform:<10} length {length['min']}/{length['median']}/{length['max']}"
            f", emoji/text {entry['emoji_per_text']}"
            f" (texts with emoji {entry['texts_with_emoji']:.0%}){extra}"
        )
    print(f"  ({result['seconds']}s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--variants", type=int, default=2, help="variants per item (default 2)")
    parser.add_argument("--show", type=int, default=5, help="examples per finding (default 5)")
    parser.add_argument(
        "--sheet",
        action="append",
        choices=("streamer-sales", "amazon-sample", "examples"),
        help="only these sheets (repeatable; default all three)",
    )
    args = parser.parse_args(argv)
    sheets = args.sheet or ["streamer-sales", "amazon-sample", "examples"]
    results = run(args.variants, args.show, sheets)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        for result in results:
            _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
