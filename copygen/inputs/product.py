"""The product row: the one shape every part of copygen passes around.

Reading files (CSV/XLSX/JSONL, encodings, column aliases) lives in
``copygen.inputs.product_files``; this module holds the value object and the parsing of a
single row's fields, which ``copygen check --product FILE.json`` needs too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from copygen.inputs.cells import shown

CATEGORIES: tuple[str, ...] = (
    "beauty",
    "food",
    "apparel",
    "electronics",
    "mother_baby",
    "home",
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
    "其他": "other",
    "其它": "other",
    "mother-baby": "mother_baby",
    "baby": "mother_baby",
    "cosmetics": "beauty",
    "clothing": "apparel",
    "digital": "electronics",
}

_LIST_SPLIT = re.compile(r"[;；、|\n]+")
_ATTR_SPLIT = re.compile(r"[;；\n]+")
_ATTR_KV = re.compile(r"^\s*([^:：=]+?)\s*[:：=]\s*(.*?)\s*$")


class FieldValueError(ValueError):
    """A value in a product row that cannot be parsed; carries the column name."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def normalise_category(value: str | None) -> str:
    """The canonical category for a name in English or Chinese; unknown names -> other."""
    if value is None:
        return "other"
    text = str(value).strip()
    if not text:
        return "other"
    lowered = text.lower().replace(" ", "")
    if lowered in CATEGORIES:
        return lowered
    if lowered in CATEGORY_ALIASES:
        return CATEGORY_ALIASES[lowered]
    # 美妆/个护 or 数码 > 耳机: take the first part that maps.
    for part in re.split(r"[/>＞、,，\-]", lowered):
        if part in CATEGORIES:
            return part
        if part in CATEGORY_ALIASES:
            return CATEGORY_ALIASES[part]
    return "other"


def split_list(value: Any) -> tuple[str, ...]:
    """``a;b；c、d|e`` or a list -> a tuple of stripped, non-empty items."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = [part.strip() for part in _LIST_SPLIT.split(str(value))]
    return tuple(item for item in items if item)


def parse_attributes(value: Any) -> Mapping[str, str]:
    """``key:value; key:value`` or a JSON object -> an ordered mapping."""
    if value is None:
        return MappingProxyType({})
    if isinstance(value, Mapping):
        return MappingProxyType({str(k).strip(): str(v).strip() for k, v in value.items()})
    text = str(value).strip()
    if not text:
        return MappingProxyType({})
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FieldValueError("attributes", f"invalid JSON object: {exc.msg}") from None
        if not isinstance(data, dict):
            raise FieldValueError("attributes", "expected a JSON object")
        return MappingProxyType({str(k).strip(): str(v).strip() for k, v in data.items()})
    out: dict[str, str] = {}
    for part in _ATTR_SPLIT.split(text):
        if not part.strip():
            continue
        match = _ATTR_KV.match(part)
        if match is None:
            raise FieldValueError(
                "attributes", f"expected 'key:value; key:value', got '{shown(part.strip())}'"
            )
        out[match.group(1)] = match.group(2)
    return MappingProxyType(out)


_PRICE_CLEAN = re.compile(r"[¥￥$,，\s]|元|RMB|CNY|USD", re.IGNORECASE)


def parse_price(value: Any, column: str = "price") -> Decimal | None:
    """``¥1,299.00`` / ``1299元`` / ``1299`` -> Decimal; blank -> None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FieldValueError(column, f"not a price: {value}")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        text = _PRICE_CLEAN.sub("", str(value))
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FieldValueError(column, f"not a price: '{shown(str(value))}'") from None
    if not number.is_finite() or number < 0:
        raise FieldValueError(column, f"not a price: '{shown(str(value))}'")
    return number


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    category: str = "other"
    brand: str = ""
    selling_points: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    price: Decimal | None = None
    promo_price: Decimal | None = None
    audience: str = ""
    platforms: tuple[str, ...] = ()
    lang: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    row: int | None = None  # 1-based data row in its file
    source: str | None = None  # the file it came from

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, row: int | None = None, source: str | None = None
    ) -> Product:
        """Build from canonical column names; raises FieldValueError on a bad value."""
        known = {
            "sku",
            "title",
            "category",
            "brand",
            "selling_points",
            "attributes",
            "price",
            "promo_price",
            "audience",
            "platforms",
            "lang",
        }
        sku = str(data.get("sku") or "").strip()
        title = str(data.get("title") or "").strip()
        if not sku:
            raise FieldValueError("sku", "empty sku")
        if not title:
            raise FieldValueError("title", "empty title")
        lang = str(data.get("lang") or "").strip() or None
        extra = {
            str(k): "" if v is None else str(v)
            for k, v in data.items()
            if k not in known and k is not None
        }
        return cls(
            sku=sku,
            title=title,
            category=normalise_category(data.get("category")),
            brand=str(data.get("brand") or "").strip(),
            selling_points=split_list(data.get("selling_points")),
            attributes=parse_attributes(data.get("attributes")),
            price=parse_price(data.get("price"), "price"),
            promo_price=parse_price(data.get("promo_price"), "promo_price"),
            audience=str(data.get("audience") or "").strip(),
            platforms=tuple(p.lower() for p in split_list(data.get("platforms"))),
            lang=lang.lower() if lang else None,
            extra=MappingProxyType(extra),
            row=row,
            source=source,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data (prices as strings, to keep them exact)."""
        return {
            "sku": self.sku,
            "title": self.title,
            "category": self.category,
            "brand": self.brand,
            "selling_points": list(self.selling_points),
            "attributes": dict(self.attributes),
            "price": None if self.price is None else str(self.price),
            "promo_price": None if self.promo_price is None else str(self.promo_price),
            "audience": self.audience,
            "platforms": list(self.platforms),
            "lang": self.lang,
            "extra": dict(self.extra),
        }

    def fact_texts(self) -> list[str]:
        """Every text that states a fact about the product, for fact checking."""
        texts = [self.title, *self.selling_points]
        texts += [f"{k}:{v}" for k, v in self.attributes.items()]
        return [t for t in texts if t]
