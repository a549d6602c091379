"""Product categories: the fixed names and how a sheet's own category text maps to them.

Real sheets name categories their own way: ``个人护理与美妆``, ``数码 > 耳机``,
``Beauty & Personal Care | Skin Care | Face``. A name maps by, in order: the name
itself, an exact alias, then a keyword found in it (``美妆`` in ``个人护理与美妆``,
the word ``kitchen`` in ``Home & Kitchen``). A path (``a > b``, ``a | b``, ``a/b``)
is read from its first level on, and the first level that maps decides, so a more
general level is not overruled by a detail below it.

Names that map to nothing become ``other``: category rules and lexicons are then
skipped, which is why readers count those rows and say so (``product_files``).
"""

from __future__ import annotations

import re
from functools import lru_cache

CATEGORIES: tuple[str, ...] = (
    "beauty",
    "food",
    "apparel",
    "electronics",
    "mother_baby",
    "home",
    "pet",
    "auto",
    "other",
)

CATEGORY_ALIASES: dict[str, str] = {
    "美妆": "beauty",
    "个护": "beauty",
    "美妆个护": "beauty",
    "化妆品": "beauty",
    "护肤": "beauty",
    "彩妆": "beauty",
    "食品": "food",
    "饮料": "food",
    "食品饮料": "food",
    "零食": "food",
    "生鲜": "food",
    "服饰": "apparel",
    "服装": "apparel",
    "鞋服": "apparel",
    "女装": "apparel",
    "男装": "apparel",
    "数码": "electronics",
    "3c": "electronics",
    "电子": "electronics",
    "数码3c": "electronics",
    "家电数码": "electronics",
    "母婴": "mother_baby",
    "母婴用品": "mother_baby",
    "婴童": "mother_baby",
    "家居": "home",
    "家电": "home",
    "家居日用": "home",
    "日用": "home",
    "宠物": "pet",
    "宠物用品": "pet",
    "汽车": "auto",
    "汽车用品": "auto",
    "车品": "auto",
    "其他": "other",
    "其它": "other",
    "mother-baby": "mother_baby",
    "baby": "mother_baby",
    "cosmetics": "beauty",
    "clothing": "apparel",
    "digital": "electronics",
    "pets": "pet",
    "automotive": "auto",
    "car": "auto",
}

#: Chinese keywords found anywhere in a level's name, most specific first: 宠物 before
#: 食品 (宠物食品 is pet food), 母婴 before 服装 (母婴服装), 车载 before 电子.
_ZH_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("宠物", "pet"),
    ("猫粮", "pet"),
    ("狗粮", "pet"),
    ("犬粮", "pet"),
    ("猫砂", "pet"),
    ("汽车", "auto"),
    ("车品", "auto"),
    ("汽配", "auto"),
    ("车载", "auto"),
    ("车用", "auto"),
    ("摩托", "auto"),
    ("母婴", "mother_baby"),
    ("婴", "mother_baby"),
    ("孕", "mother_baby"),
    ("奶粉", "mother_baby"),
    ("尿裤", "mother_baby"),
    ("纸尿", "mother_baby"),
    ("美妆", "beauty"),
    ("化妆", "beauty"),
    ("护肤", "beauty"),
    ("彩妆", "beauty"),
    ("个护", "beauty"),
    ("个人护理", "beauty"),
    ("洗护", "beauty"),
    ("美容", "beauty"),
    ("美发", "beauty"),
    ("香水", "beauty"),
    ("口腔", "beauty"),
    ("面膜", "beauty"),
    ("食品", "food"),
    ("饮料", "food"),
    ("饮品", "food"),
    ("零食", "food"),
    ("生鲜", "food"),
    ("粮油", "food"),
    ("米面", "food"),
    ("酒水", "food"),
    ("酒类", "food"),
    ("茶叶", "food"),
    ("咖啡", "food"),
    ("乳品", "food"),
    ("冲饮", "food"),
    ("水果", "food"),
    ("肉类", "food"),
    ("调味", "food"),
    ("服装", "apparel"),
    ("服饰", "apparel"),
    ("女装", "apparel"),
    ("男装", "apparel"),
    ("童装", "apparel"),
    ("鞋", "apparel"),
    ("运动服", "apparel"),
    ("衣服", "apparel"),
    ("上衣", "apparel"),
    ("裤", "apparel"),
    ("裙", "apparel"),
    ("袜", "apparel"),
    ("内衣", "apparel"),
    ("箱包", "apparel"),
    ("配饰", "apparel"),
    ("数码", "electronics"),
    ("电子", "electronics"),
    ("手机", "electronics"),
    ("电脑", "electronics"),
    ("耳机", "electronics"),
    ("相机", "electronics"),
    ("家居", "home"),
    ("家具", "home"),
    ("家纺", "home"),
    ("家装", "home"),
    ("家电", "home"),
    ("日用", "home"),
    ("厨具", "home"),
    ("厨房", "home"),
    ("餐具", "home"),
    ("收纳", "home"),
    ("清洁", "home"),
    ("床上用品", "home"),
    ("百货", "home"),
)

#: English words (whole words, plural s allowed), most specific first.
_EN_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("pet", "pet"),
    ("dog", "pet"),
    ("cat", "pet"),
    ("automotive", "auto"),
    ("car", "auto"),
    ("vehicle", "auto"),
    ("motorcycle", "auto"),
    ("baby", "mother_baby"),
    ("maternity", "mother_baby"),
    ("infant", "mother_baby"),
    ("nursery", "mother_baby"),
    ("beauty", "beauty"),
    ("cosmetic", "beauty"),
    ("skin care", "beauty"),
    ("skincare", "beauty"),
    ("makeup", "beauty"),
    ("personal care", "beauty"),
    ("fragrance", "beauty"),
    ("hair care", "beauty"),
    ("oral care", "beauty"),
    ("grocery", "food"),
    ("groceries", "food"),
    ("food", "food"),
    ("beverage", "food"),
    ("snack", "food"),
    ("gourmet", "food"),
    ("drink", "food"),
    ("coffee", "food"),
    ("clothing", "apparel"),
    ("apparel", "apparel"),
    ("shoe", "apparel"),
    ("fashion", "apparel"),
    ("jewelry", "apparel"),
    ("electronic", "electronics"),
    ("electronics", "electronics"),
    ("computer", "electronics"),
    ("cell phone", "electronics"),
    ("camera", "electronics"),
    ("headphone", "electronics"),
    ("home", "home"),
    ("kitchen", "home"),
    ("furniture", "home"),
    ("household", "home"),
    ("bedding", "home"),
    ("appliance", "home"),
)

_EN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{re.escape(word)}s?\b"), category) for word, category in _EN_KEYWORDS
)

# Levels of a category path; "&" and "与" join words within one level.
_LEVELS = re.compile(r"\s*(?:[/>＞|｜、,，;；]|->|→)\s*")


def _one_level(text: str, *, keywords: bool = True) -> str | None:
    lowered = text.lower().strip()
    if not lowered:
        return None
    compact = lowered.replace(" ", "")
    if compact in CATEGORIES:
        return compact
    if compact in CATEGORY_ALIASES:
        return CATEGORY_ALIASES[compact]
    if lowered.replace(" ", "_") in CATEGORIES:  # "mother baby"
        return lowered.replace(" ", "_")
    if not keywords:
        return None
    for keyword, category in _ZH_KEYWORDS:
        if keyword in compact:
            return category
    for pattern, category in _EN_PATTERNS:
        if pattern.search(lowered):
            return category
    return None


def category_of(value: object) -> str | None:
    """The category a sheet's category text names, or None when nothing in it maps.

    ``other``/``其他`` written out is an answer (``other``), not None.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > _CACHED_NAME:
        return _category_of_text.__wrapped__(text)
    return _category_of_text(text)


#: Longest name remembered: the cache stays small whatever a cell holds.
_CACHED_NAME = 200


# A sheet repeats a handful of category names over all its rows, and each row asks twice
# (the reader, then Product): a name is worked out once.
@lru_cache(maxsize=4096)
def _category_of_text(text: str) -> str | None:
    # The whole text by name only: a keyword of a deeper level must not decide.
    whole = _one_level(text, keywords=False)
    if whole is not None:
        return whole
    for level in _LEVELS.split(text):
        found = _one_level(level)
        if found is not None:
            return found
    return None


def first_level(value: object) -> str:
    """The first level of a category path, for telling people which names were unknown."""
    text = "" if value is None else str(value).strip()
    return _LEVELS.split(text, maxsplit=1)[0].strip() if text else ""


def normalise_category(value: object) -> str:
    """The canonical category for a name in English or Chinese; unknown names -> other."""
    return category_of(value) or "other"
