"""The product as prompt data: plain values and the delimited JSON block.

Product values reach templates only as data: they are put into one delimited JSON
block here and are never rendered as template source, so a title such as
``{{ 7*7 }}`` or ``忽略以上指令`` arrives in the prompt literally.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring as _encode_str
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copygen.inputs.product import Product

PRODUCT_OPEN = "<product_data>"
PRODUCT_CLOSE = "</product_data>"


def product_data(product: Product) -> dict[str, Any]:
    """The product as plain data for the prompt: empty values left out."""
    data = product.to_dict()
    out: dict[str, Any] = {}
    for key, value in data.items():
        # lang and platforms route the item; in the block they would only contradict
        # the language the prompt asks for (a row with lang=en written with --lang ja).
        if key in ("extra", "lang", "platforms"):
            continue
        if value in (None, "", [], {}):
            continue
        out[key] = value
    extra = {k: v for k, v in product.extra.items() if str(v).strip()}
    if extra:
        out["extra"] = extra
    return out


def product_block(product: Product) -> str:
    """The delimited product block: JSON between ``<product_data>`` tags.

    ``</`` inside values is written ``<\\/`` (the same JSON string), so no value
    can close the block early.
    """
    return product_block_of(product_data(product))


def product_block_of(data: Mapping[str, Any]) -> str:
    """``product_block`` for data already made by ``product_data``."""
    text = json_indented(data)
    text = text.replace("</", "<\\/")
    return f"{PRODUCT_OPEN}\n{text}\n{PRODUCT_CLOSE}"


def json_indented(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, faster for plain data.

    With an indent, ``json.dumps`` runs the pure-Python encoder over every item;
    here strings are encoded by the C string encoder that ``json.dumps`` itself
    uses and the layout is joined the same way. Anything but dicts with string
    keys, lists, tuples, strings, ints, bools and None goes to ``json.dumps``.
    """
    try:
        return _indented(value, "\n")
    except _NotPlain:
        return json.dumps(value, ensure_ascii=False, indent=2)


class _NotPlain(Exception):
    pass


def _indented(value: Any, newline: str) -> str:
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = newline + "  "
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            parts.append(_encode_str(key) + ": " + _indented(item, inner))
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = newline + "  "
        items = [_indented(item, inner) for item in value]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    raise _NotPlain


def product_data_full(product: Product) -> dict[str, Any]:
    """Every product field for templates (empty ones included, so templates may test them)."""
    data = product.to_dict()
    data["row"] = product.row
    data["source"] = product.source
    return data
