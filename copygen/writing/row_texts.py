"""The row's texts the offline composer may write with.

The row's own texts (title, selling points, attributes, audience) are merchant data
and may carry banned wording, so each is checked first and dropped when flagged.
Numbers and prices come only from the row, prices exactly as written there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from copygen.writing.lexicons import Lexicon, lexicon_lang
from copygen.writing.phrasing import format_price, has_cjk, short_name

if TYPE_CHECKING:
    from copygen.compliance.findings import CheckResult
    from copygen.inputs.product import Product


@dataclass
class Facts:
    """The usable parts of the row, after dropping anything the checker flags."""

    title: str
    product: str
    brand: str
    audience: str
    points: list[str]
    attributes: list[tuple[str, str]]
    price: str
    promo_price: str
    named: bool  # False when the product's own name could not be used


def prepare_facts(
    product: Product,
    *,
    lang: str,
    lexicon: Lexicon,
    check: Callable[[Mapping[str, Any]], CheckResult] | None,
    avoid: frozenset[str] = frozenset(),
) -> Facts:
    """The row's texts that may be used: each one checked, flagged ones dropped."""
    zh = lexicon_lang(lang) == "zh"
    title = product.title.strip()
    brand = product.brand.strip()
    audience = product.audience.strip()
    points = list(
        dict.fromkeys(p.strip().rstrip("。.；;") for p in product.selling_points if p.strip())
    )
    attributes = [
        (k.strip(), v.strip()) for k, v in product.attributes.items() if k.strip() and v.strip()
    ]
    sep = "：" if zh else ": "
    candidates: dict[str, str] = {"title": title}
    if brand:
        candidates["brand"] = brand
    if audience:
        candidates["audience"] = audience
    for i, p in enumerate(points):
        candidates[f"p{i}"] = p
    for i, (k, v) in enumerate(attributes):
        candidates[f"a{i}"] = f"{k}{sep}{v}"
    bad: set[str] = {name for name, text in candidates.items() if any(a in text for a in avoid)}
    if not zh:
        # English (or other) copy cannot carry Chinese row texts; without translation
        # the honest option is to leave them out and use neutral names.
        bad |= {name for name, text in candidates.items() if has_cjk(text)}
    if check is not None:
        result = check(candidates)
        for finding in result.findings:
            if finding.severity in ("block", "warn"):
                bad.add(finding.field.split("[", 1)[0])
    named = "title" not in bad
    name = short_name(title, brand if "brand" not in bad else "", "zh" if zh else "en")
    if not named or not name:
        nouns = lexicon.phrases("product_nouns")
        name = nouns[0] if nouns else ("这款产品" if zh else "product")
        named = False
    return Facts(
        title=title if named else name,
        product=name,
        brand=brand if "brand" not in bad else "",
        audience=audience if "audience" not in bad else "",
        points=[p for i, p in enumerate(points) if f"p{i}" not in bad],
        attributes=[a for i, a in enumerate(attributes) if f"a{i}" not in bad],
        price=format_price(product.price),
        promo_price=format_price(product.promo_price),
        named=named,
    )


def source_text(source: str, facts: Facts) -> str:
    """The row text behind a data source key ("name", "point:…", "attr:…")."""
    if source == "name":
        return f"{facts.title}\n{facts.product}"
    if source == "brand":
        return facts.brand
    if source == "audience":
        return facts.audience
    if source == "price":
        return f"{facts.price}\n{facts.promo_price}"
    if source.startswith("attr:"):
        key = source[5:]
        return "\n".join(f"{k}\n{v}" for k, v in facts.attributes if k == key)
    for prefix in ("point:", "aud:", "scene:"):
        if source.startswith(prefix):
            return source[len(prefix) :]
    return ""
