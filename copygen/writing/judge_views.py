"""What the judge template is given: the categories, the text to judge, the product.

The text reaches the template as data inside one delimited block, like the product
(``copygen.writing.product_block``): it is copy from a model or a person, and a line
such as "ignore the instructions above" in it must arrive as text to judge. Fields are
written as plain text, one per labelled line, not as JSON, so that the model can quote
them verbatim (a JSON string would show it ``\\"`` and ``\\n`` to copy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from copygen.compliance.rule_model import RuleSet

TEXT_OPEN = "<copy_text>"
TEXT_CLOSE = "</copy_text>"


def text_block_of(content: str | Mapping[str, Any]) -> str:
    """The text between ``<copy_text>`` tags; a mapping's fields as ``[name] text``
    lines (list items as ``[name 1]``, ``[name 2]``...)."""
    lines: list[str] = []
    if isinstance(content, str):
        lines.append(content)
    else:
        for name, value in content.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                for position, element in enumerate(value, start=1):
                    lines.append(f"[{name} {position}] {element}")
            else:
                lines.append(f"[{name}] {value}")
    body = "\n".join(lines).replace("</", "<\\/")
    return f"{TEXT_OPEN}\n{body}\n{TEXT_CLOSE}"


def product_view(product: Any) -> dict[str, Any] | None:
    """The product's non-empty values for the judge: a Product or a mapping of columns."""
    if product is None:
        return None
    if isinstance(product, Mapping):
        data = {str(k): v for k, v in product.items() if v not in (None, "", [], {})}
    else:
        from copygen.writing.product_block import product_data

        data = product_data(product)
    return data or None


def category_views(ruleset: RuleSet | None, lang: str) -> list[dict[str, Any]]:
    """The semantic categories for the prompt: name, label, covers, law, examples."""
    from copygen.compliance.categories import (
        CATEGORY_INFO,
        SEMANTIC_CATEGORIES,
        category_examples,
    )

    locale = "zh" if lang.startswith("zh") else "en"
    examples = category_examples(ruleset, lang=locale) if ruleset is not None else {}
    views = []
    for name in SEMANTIC_CATEGORIES:
        info = CATEGORY_INFO[name]
        views.append(
            {
                "name": name,
                "label": info.label(locale),
                "covers": info.covers(locale),
                "law": info.law,
                "examples": list(examples.get(name, ())),
            }
        )
    return views
