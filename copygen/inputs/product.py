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
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from copygen.config import PRODUCT_FIELDS
from copygen.inputs.cells import FieldValueError, shown
from copygen.inputs.prices import (
    Money,
    PriceError,
    currency_code,
    in_currency,
    parse_money,
    parse_price,
)
from copygen.inputs.product_categories import (
    CATEGORIES,
    CATEGORY_ALIASES,
    category_of,
    normalise_category,
)

__all__ = [
    "CATEGORIES",
    "CATEGORY_ALIASES",
    "FieldValueError",
    "Product",
    "category_of",
    "normalise_category",
    "parse_attributes",
    "parse_price",
    "selling_points",
    "split_list",
]

#: Marketplace boilerplate that sheets scraped from listings carry among the features
#: ("Make sure this fits by entering your model number."): never a selling point.
_BOILERPLATE = re.compile(
    r"^\W*(?:make sure this fits\b|see more product details\b|click (?:here|to)\b"
    r"|visit the .{1,80}? store\b|about this item\W*$|product description\W*$"
    r"|详情(?:请)?(?:见|看)|(?:图片|颜色|商品)?(?:请)?以实物为准)",
    re.IGNORECASE,
)

_LIST_SPLIT = re.compile(r"[;；、|\n]+")
_ATTR_SPLIT = re.compile(r"[;；\n]+")
_ATTR_KV = re.compile(r"^\s*([^:：=]+?)\s*[:：=]\s*(.*?)\s*$")


def split_list(value: Any) -> tuple[str, ...]:
    """``a;b；c、d|e`` or a list -> a tuple of stripped, non-empty items."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = [part.strip() for part in _LIST_SPLIT.split(str(value))]
    return tuple(item for item in items if item)


def selling_points(value: Any) -> tuple[str, ...]:
    """The selling points of a cell, marketplace boilerplate left out."""
    return tuple(p for p in split_list(value) if not _BOILERPLATE.match(p))


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


_FIELDS = frozenset(PRODUCT_FIELDS)


def _money(value: Any, column: str) -> Money | None:
    try:
        return parse_money(value)
    except PriceError as exc:
        raise FieldValueError(column, str(exc)) from None


def _prices(
    price_cell: Any, promo_cell: Any, currency_cell: Any
) -> tuple[Money | None, Money | None]:
    """Both price cells, in one currency: a bare one takes the other's mark, or the
    currency column's."""
    price = _money(price_cell, "price")
    promo = _money(promo_cell, "promo_price")
    try:
        code = currency_code(currency_cell)
        if code is not None:
            price = None if price is None else in_currency(price, code)
            promo = None if promo is None else in_currency(promo, code)
    except PriceError as exc:
        raise FieldValueError("currency", str(exc)) from None
    if price is None or promo is None:
        return price, promo
    if price.currency and promo.currency and price.currency != promo.currency:
        raise FieldValueError(
            "promo_price",
            f"in {promo.currency} but price is in {price.currency}; use one currency",
        )
    return price.restyled(promo), promo.restyled(price)


def _currency(price: Money | None, promo: Money | None) -> str | None:
    for money in (price, promo):
        if money is not None and money.currency is not None:
            return money.currency
    return None


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
    #: ISO code of the prices' currency when the sheet wrote one ($, €, 美元 …), else None.
    currency: str | None = None
    #: The prices as the sheet wrote them ("$237.68", "12.5美元", "1299"); "" when blank.
    price_text: str = ""
    promo_price_text: str = ""
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
        known = _FIELDS
        sku = str(data.get("sku") or "").strip()
        title = str(data.get("title") or "").strip()
        if not sku:
            raise FieldValueError("sku", "empty sku")
        if not title:
            raise FieldValueError("title", "empty title")
        lang = str(data.get("lang") or "").strip() or None
        price, promo = _prices(data.get("price"), data.get("promo_price"), data.get("currency"))
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
            selling_points=selling_points(data.get("selling_points")),
            attributes=parse_attributes(data.get("attributes")),
            price=None if price is None else price.amount,
            promo_price=None if promo is None else promo.amount,
            currency=_currency(price, promo),
            price_text="" if price is None else price.text,
            promo_price_text="" if promo is None else promo.text,
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
            "currency": self.currency,
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
