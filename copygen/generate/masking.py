"""Personal data in prompts for remote models: masked before sending, never published.

The row is masked once for all its items' prompts; a repair prompt (which carries
the model's own draft) is scanned whole. A masking placeholder that comes back in
a reply is a block finding, so ``[手机号]`` is never published instead of text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from copygen.inputs.product import Product

if TYPE_CHECKING:
    from copygen.compliance.findings import Finding

__all__ = ["PII_PLACEHOLDER_RULE", "mask_messages", "mask_product", "placeholder_findings"]

#: Placeholders that mask_pii writes look like ``[手机号]`` / ``[PHONE]``.
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,24}\]")
PII_PLACEHOLDER_RULE = "copygen.pii.placeholder"


def _introduced(before: str, after: str) -> set[str]:
    return set(_PLACEHOLDER.findall(after)) - set(_PLACEHOLDER.findall(before))


def mask_product(product: Product) -> tuple[Product, frozenset[str]]:
    """The row with personal data in its texts masked, and the placeholders written.

    Prompts are rendered from this copy, so no personal data of the row reaches a
    remote model; masking the row once (short texts, shared by all its items) costs
    far less than scanning every rendered prompt. The checker still gets the real
    row as its facts.
    """
    from dataclasses import replace
    from types import MappingProxyType

    from copygen.compliance.pii import mask_pii

    introduced: set[str] = set()
    changed = False

    def mask(text: str) -> str:
        nonlocal changed
        if not text:
            return text
        new = mask_pii(text)
        if new != text:
            changed = True
            introduced.update(_introduced(text, new))
        return new

    masked = replace(
        product,
        title=mask(product.title),
        brand=mask(product.brand),
        selling_points=tuple(mask(p) for p in product.selling_points),
        attributes=MappingProxyType({mask(k): mask(v) for k, v in product.attributes.items()}),
        audience=mask(product.audience),
        extra=MappingProxyType({k: mask(v) for k, v in product.extra.items()}),
    )
    if not changed:
        return product, frozenset()
    return masked, frozenset(introduced)


def mask_messages(
    messages: Sequence[Mapping[str, str]],
) -> tuple[list[dict[str, str]], frozenset[str]]:
    """The messages with personal data masked, and the placeholders masking introduced."""
    from copygen.compliance.pii import mask_pii

    masked: list[dict[str, str]] = []
    introduced: set[str] = set()
    for message in messages:
        content = str(message.get("content", ""))
        new = mask_pii(content)
        if new != content:
            introduced |= _introduced(content, new)
        masked.append({**message, "content": new})
    return masked, frozenset(introduced)


def _field_texts(fields: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in fields.items():
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    yield f"{name}[{index}]", item


def placeholder_findings(
    fields: Mapping[str, Any], placeholders: frozenset[str], lang: str
) -> list[Finding]:
    """A block finding for each masking placeholder that came back in the reply.

    The model never saw the real value, so a placeholder in the copy would publish
    ``[手机号]`` instead of text; it is flagged and repaired like any other finding.
    """
    if not placeholders:
        return []
    from copygen.compliance.findings import Finding

    zh = lang.startswith("zh")
    out: list[Finding] = []
    for name, text in _field_texts(fields):
        for token in placeholders:
            start = text.find(token)
            while start >= 0:
                out.append(
                    Finding(
                        rule=PII_PLACEHOLDER_RULE,
                        category="personal_data",
                        severity="block",
                        field=name,
                        start=start,
                        end=start + len(token),
                        text=token,
                        message=(
                            "文案中出现了个人信息脱敏占位符"
                            if zh
                            else "the copy contains a personal-data masking placeholder"
                        ),
                        law="《个人信息保护法》",
                        suggestion="删除该占位符，不要在文案中出现个人联系方式"
                        if zh
                        else "remove the placeholder; do not put personal contact data in copy",
                    )
                )
                start = text.find(token, start + len(token))
    return out
