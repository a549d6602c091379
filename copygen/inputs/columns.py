"""Which column of a sheet holds which product field.

A header cell names a field by one of its aliases (``货号``, ``product_name``,
``uniq_id``; English names compared without case, spaces, ``_`` and ``-``), or by the
user's own mapping (``--map title=产品名称``, ``columns:`` in the config), which wins
over aliases: a column that would alias a field the user mapped elsewhere is then an
extra column under its own name.

A first-level category column (``category_l1``, ``一级类目`` …) is the category when
the sheet has no plain one; a second-level one (``category_l2``, ``二级类目`` …) is read
after it when the first level names nothing copygen knows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from copygen.config import PRODUCT_FIELDS

REQUIRED_COLUMNS: tuple[str, ...] = ("sku", "title")

# Canonical column -> names people use for it. English names are matched after
# header_key (case, spaces, '_' and '-' ignored); Chinese names exactly (after strip).
ALIASES: dict[str, tuple[str, ...]] = {
    "sku": (
        "sku",
        "货号",
        "商品货号",
        "商品编码",
        "商品编号",
        "款号",
        "SKU编码",
        "SKU编号",
        "商品ID",
        "商品id",
        "产品ID",
        "产品编号",
        "产品编码",
        "itemno",
        "itemid",
        "id",
        "productid",
        "uniqid",
        "asin",
        "skuid",
        "skucode",
    ),
    "title": (
        "title",
        "商品名称",
        "产品名称",
        "商品名",
        "产品名",
        "标题",
        "名称",
        "商品标题",
        "产品标题",
        "品名",
        "宝贝标题",
        "name",
        "productname",
        "producttitle",
        "product",
        "itemname",
        "itemtitle",
    ),
    "category": (
        "category",
        "类目",
        "品类",
        "商品类目",
        "分类",
        "类别",
        "商品分类",
        "productcategory",
    ),
    "brand": ("brand", "品牌", "品牌名称", "brandname"),
    "selling_points": (
        "sellingpoints",
        "卖点",
        "亮点",
        "商品卖点",
        "核心卖点",
        "产品卖点",
        "features",
        "highlights",
        "aboutproduct",
        "aboutthisitem",
        "bulletpoints",
        "keyfeatures",
    ),
    "attributes": ("attributes", "属性", "参数", "规格", "商品属性", "规格参数", "specs"),
    "price": (
        "price",
        "价格",
        "售价",
        "原价",
        "日常价",
        "零售价",
        "sellingprice",
        "listprice",
        "regularprice",
    ),
    "promo_price": (
        "promoprice",
        "活动价",
        "到手价",
        "促销价",
        "直播价",
        "saleprice",
        "dealprice",
        "discountprice",
        "discountedprice",
    ),
    "currency": ("currency", "币种", "货币", "currencycode"),
    "audience": ("audience", "人群", "目标人群", "适用人群", "targetaudience", "persona"),
    "platforms": ("platforms", "platform", "平台", "渠道"),
    "lang": ("lang", "语言", "language", "locale"),
}
assert tuple(ALIASES) == PRODUCT_FIELDS, "one alias list per product field, in order"

#: Generic names that stand for a field only when no other column does: a sheet with
#: both ``sku`` and ``id`` keeps ``id`` as an extra column instead of refusing the file.
WEAK_ALIASES: frozenset[str] = frozenset(
    {"id", "name", "product", "itemname", "itemtitle", "asin", "uniqid", "productid", "skuid"}
)

#: Secondary category columns: a first level that stands in for ``category``, and a
#: second level read when the first names nothing copygen knows.
CATEGORY_L1 = "category_l1"
CATEGORY_L2 = "category_l2"
_CATEGORY_LEVELS: dict[str, tuple[str, ...]] = {
    CATEGORY_L1: (
        "categoryl1",
        "category1",
        "maincategory",
        "topcategory",
        "一级类目",
        "类目一级",
        "一级分类",
        "一级品类",
        "大类",
    ),
    CATEGORY_L2: (
        "categoryl2",
        "category2",
        "subcategory",
        "二级类目",
        "类目二级",
        "二级分类",
        "二级品类",
        "小类",
    ),
}


def header_key(name: str) -> str:
    """Case-, space-, '_'- and '-'-insensitive key of a header cell."""
    text = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


COLUMN_ALIASES: dict[str, str] = {
    header_key(alias): canonical for canonical, names in ALIASES.items() for alias in names
}
_LEVEL_ALIASES: dict[str, str] = {
    header_key(alias): level for level, names in _CATEGORY_LEVELS.items() for alias in names
}


def canonical_column(header: str) -> str | None:
    """The canonical column a header names (``货号`` -> ``sku``), or None for extra columns."""
    return COLUMN_ALIASES.get(header_key(header))


def category_level(header: str) -> str | None:
    """``category_l1``/``category_l2`` for a header naming a category level, else None."""
    return _LEVEL_ALIASES.get(header_key(header))


def missing_hint(column: str) -> str:
    names = ", ".join(ALIASES[column][:4])
    return f"name it one of: {names}, or map it: --map {column}=COLUMN"


class ColumnNames:
    """Header names -> product fields, for one file, with the user's mapping applied.

    ``field_of(name)`` is the field a header (or JSONL key) stands for, or None for an
    extra column. ``level_of(name)`` tells category level columns apart.
    """

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        self.mapping: dict[str, str] = dict(mapping or {})
        self._mapped: dict[str, str] = {header_key(col): f for f, col in self.mapping.items()}

    def field_of(self, name: str) -> str | None:
        key = header_key(name)
        mapped = self._mapped.get(key)
        if mapped is not None:
            return mapped
        canonical = COLUMN_ALIASES.get(key)
        if canonical is not None and canonical in self.mapping:
            return None  # the user took this field from another column
        return canonical

    def weak(self, name: str) -> bool:
        """True when ``name`` names its field only by a generic alias (``id``, ``name``)."""
        key = header_key(name)
        return key not in self._mapped and key in WEAK_ALIASES

    def level_of(self, name: str) -> str | None:
        if header_key(name) in self._mapped:
            return None
        return category_level(name)

    def missing(self, names: list[str]) -> list[tuple[str, str]]:
        """(field, column) of every mapped column not among ``names``."""
        present = {header_key(n) for n in names}
        return [(f, col) for f, col in self.mapping.items() if header_key(col) not in present]
