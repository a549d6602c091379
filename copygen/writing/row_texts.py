"""The row's texts the offline composer may write with.

The row's own texts (title, selling points, attributes, audience) are merchant data
and may carry banned wording, so each is checked first and dropped when flagged.
Numbers and prices come only from the row, prices exactly as written there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copygen.writing.lexicons import Lexicon, ProductType, lexicon_lang
from copygen.writing.phrasing import (
    ANY,
    SENTENCE,
    en_point_kind,
    en_split_point,
    first_sentence,
    format_price,
    has_cjk,
    is_boilerplate,
    price_display,
    short_name,
    zh_point_kind,
)

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
    price: str  # as the copy quotes it: 199元, $237.68 (see phrasing.price_display)
    promo_price: str
    named: bool  # False when the product's own name could not be used
    own_name: bool = True  # False when ``product`` is a type noun, not the row's name
    kind: ProductType | None = None  # what the product is, when its title says
    point_kinds: dict[str, str] = field(default_factory=dict)  # point -> noun/state/…
    point_labels: dict[str, str] = field(default_factory=dict)  # point -> its label (en)

    def kind_of(self, point: str) -> str:
        return self.point_kinds.get(point, ANY)

    @property
    def scenes(self) -> tuple[str, ...]:
        return self.kind.scenes if self.kind is not None else ()


#: an English name longer than this is replaced by the product type's noun where a
#: short name is needed (a social title, a hook); the whole title is used elsewhere
EN_NAME_MAX = 40


def _point_forms(point: str, zh: bool) -> tuple[str, str, str]:
    """(usable text, kind, label) of one selling point.

    A long English bullet is used from its first sentence on, whole, never cut inside a
    phrase; its label ("RESPONSIVE FLEX") is kept to lead into it.
    """
    if zh:
        return point, zh_point_kind(point), ""
    label, body = en_split_point(point)
    text = first_sentence(body).rstrip(" .;")
    kind = en_point_kind(text)
    if label and kind != SENTENCE and len(text.split()) > 6:
        kind = SENTENCE  # "LABEL: a long clause" reads as a labelled sentence
    return text, kind, label


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
    forms: dict[str, tuple[str, str]] = {}
    for raw in _joined_lead_ins(product.selling_points):
        raw = raw.strip().rstrip("。；;")
        if not raw or is_boilerplate(raw):
            continue
        text, point_kind, label = _point_forms(raw, zh)
        if text and text not in forms:
            forms[text] = (point_kind, label)
    points = list(forms)
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
        label = forms[p][1]
        candidates[f"p{i}"] = f"{label}: {p}" if label else p
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
    kind = lexicon.product_type(title, *_category_texts(product))
    if not named:
        name = ""
    elif zh:
        name = short_name(title, brand if "brand" not in bad else "", "zh")
    elif len(title) <= EN_NAME_MAX:
        name = title  # English titles are used whole: shortening cuts them mid-phrase
    else:
        name = ""
    own_name = bool(name)
    if not name:
        nouns = lexicon.phrases("product_nouns")
        name = kind.noun if kind is not None and kind.noun else ""
        name = name or (nouns[0] if nouns else ("这款产品" if zh else "product"))
    currency = getattr(product, "currency", None)
    return Facts(
        title=title if named else name,
        product=name,
        brand=brand if "brand" not in bad else "",
        audience=audience if "audience" not in bad else "",
        points=[p for i, p in enumerate(points) if f"p{i}" not in bad],
        attributes=[a for i, a in enumerate(attributes) if f"a{i}" not in bad],
        price=price_display(
            format_price(product.price), getattr(product, "price_text", ""), currency, zh=zh
        ),
        promo_price=price_display(
            format_price(product.promo_price),
            getattr(product, "promo_price_text", ""),
            currency,
            zh=zh,
        ),
        named=named,
        own_name=own_name,
        kind=kind,
        point_kinds={p: forms[p][0] for i, p in enumerate(points) if f"p{i}" not in bad},
        point_labels={p: forms[p][1] for i, p in enumerate(points) if forms[p][1]},
    )


def _joined_lead_ins(points: tuple[str, ...]) -> list[str]:
    """Points with a lead-in ("The box includes:") joined to the point after it: alone,
    a lead-in is half a sentence."""
    out: list[str] = []
    pending = ""
    for point in points:
        text = f"{pending} {point.strip()}".strip() if pending else point.strip()
        if text.endswith((":", "：")):
            pending = text
            continue
        pending = ""
        out.append(text)
    return out  # a lead-in with nothing after it says nothing


def _category_texts(product: Product) -> list[str]:
    """The sheet's own category columns (口腔护理, Toys & Games | Puzzles): they name the
    product type when the title does not."""
    return [
        str(v)
        for k, v in product.extra.items()
        if v and any(w in str(k).lower() for w in ("category", "类目", "品类", "分类"))
    ]


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
