"""Numeric claims in the copy, checked against the product data (``unsupported_fact``).

A claim is a number with a unit (5000mAh, 6.1英寸, 30小时, 500ml, 2L, 65W, 256GB,
120Hz, 95%, 3倍, 质保2年) or a price/discount (到手价1599元, ¥99, 8折, 20% off).
Spec claims are converted to a base unit (1L = 1000ml, 1kg = 1000g, 1TB = 1000 or
1024GB) and must match a quantity stated in the product's title, selling points or
attributes (a range there covers the values inside it; a bare number there covers
the same number with any unit). Unsupported specs are ``warn``; a price or
discount that contradicts ``price``/``promo_price`` is ``block``.

Deliberately not claims: dates (2023年, 3月8日), model numbers (iPhone 15, X100),
quantities (2件, 3双), service promises (24小时发货, 7天无理由退换), coupon
thresholds (满300减50), and 5G as a network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from copygen.compliance.matcher import SpanIndex

_TOL = 0.005  # relative tolerance for spec comparisons

# unit (lower case) -> (dimension, factors to the base unit; several = all accepted)
UNITS: dict[str, tuple[str, tuple[float, ...]]] = {
    "mah": ("capacity", (1.0,)),
    "毫安时": ("capacity", (1.0,)),
    "毫安": ("capacity", (1.0,)),
    "ah": ("capacity", (1000.0,)),
    "英寸": ("inch", (1.0,)),
    "寸": ("inch", (1.0,)),
    "inches": ("inch", (1.0,)),
    "inch": ("inch", (1.0,)),
    "小时": ("hour", (1.0,)),
    "hours": ("hour", (1.0,)),
    "hour": ("hour", (1.0,)),
    "hrs": ("hour", (1.0,)),
    "hr": ("hour", (1.0,)),
    "h": ("hour", (1.0,)),
    "分钟": ("hour", (1 / 60,)),
    "minutes": ("hour", (1 / 60,)),
    "mins": ("hour", (1 / 60,)),
    "min": ("hour", (1 / 60,)),
    "毫升": ("volume", (1.0,)),
    "ml": ("volume", (1.0,)),
    "升": ("volume", (1000.0,)),
    "l": ("volume", (1000.0,)),
    "毫克": ("mass", (0.001,)),
    "mg": ("mass", (0.001,)),
    "千克": ("mass", (1000.0,)),
    "公斤": ("mass", (1000.0,)),
    "kg": ("mass", (1000.0,)),
    "克": ("mass", (1.0,)),
    "g": ("mass", (1.0,)),
    "斤": ("mass", (500.0,)),
    "千瓦": ("power", (1000.0,)),
    "kw": ("power", (1000.0,)),
    "瓦": ("power", (1.0,)),
    "w": ("power", (1.0,)),
    "tb": ("storage", (1000.0, 1024.0)),
    "gb": ("storage", (1.0,)),
    "mb": ("storage", (1 / 1000, 1 / 1024)),
    "G": ("storage", (1.0,)),  # upper-case G only, and only in a storage context
    "ghz": ("frequency", (1e9,)),
    "mhz": ("frequency", (1e6,)),
    "khz": ("frequency", (1e3,)),
    "hz": ("frequency", (1.0,)),
    "赫兹": ("frequency", (1.0,)),
    "毫米": ("length", (1.0,)),
    "mm": ("length", (1.0,)),
    "厘米": ("length", (10.0,)),
    "cm": ("length", (10.0,)),
    "米": ("length", (1000.0,)),
    "m": ("length", (1000.0,)),
    "伏": ("voltage", (1.0,)),
    "v": ("voltage", (1.0,)),
    "%": ("percent", (1.0,)),
    "倍": ("times", (1.0,)),
    "天": ("duration", (1.0,)),
    "周": ("duration", (7.0,)),
    "个月": ("duration", (30.0,)),
    "月": ("duration", (30.0,)),
    "年": ("duration", (365.0,)),
}
_UNIT_ALT = "|".join(
    re.escape(u) for u in sorted((u for u in UNITS if u != "G"), key=len, reverse=True)
)
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

# ``\s*(?:(?P<wan>万)\s*)?`` rather than ``\s*(?P<wan>万)?\s*``: the same matches, but two
# adjacent blank runs try every split of a long run of spaces (quadratic).
_SPEC = re.compile(
    rf"(?<![A-Za-z\d.])(?P<a>{_NUM})(?:\s*(?:-|~|～|至|到)\s*(?P<b>{_NUM}))?\s*(?:(?P<wan>万)\s*)?"
    rf"(?P<unit>(?i:{_UNIT_ALT})|G)(?![A-Za-z])"
)
_CN_SPEC = re.compile(r"(?P<a>[一二两三四五六七八九十]{1,3})\s*(?P<unit>倍|年|个月|天)")
_PRICE = re.compile(
    rf"(?:(?P<sym>[¥￥$€£]|rmb|cny|usd|eur|gbp)\s*(?P<a>{_NUM})(?!\s*[%折])"
    rf"|(?<![A-Za-z\d.])(?P<b>{_NUM})\s*(?:(?P<wan>万)\s*)?"
    r"(?P<post>美元|美金|欧元|英镑|港币|港元|日元|元|块钱|块|rmb|cny|usd|eur|gbp|€)(?![A-Za-z]))",
    re.IGNORECASE,
)
_DISCOUNT = re.compile(
    r"(?<![\d.])(?P<a>\d(?:\.\d{1,2})?)\s*折(?![叠痕射线])"
    r"|(?P<cn>[一二三四五六七八九][一二三四五六七八九]?)\s*折(?![叠痕射线])"
)
_PERCENT_OFF = re.compile(rf"(?P<a>{_NUM})\s*%\s*off\b", re.IGNORECASE)
_OFF_TAIL = re.compile(r"%\s*off\b", re.IGNORECASE)
_NUM_CHARS = re.compile(r"[\d,.]*")
_NUM_RUN = re.compile(r"[\d,.]+")
_BLANKS = re.compile(r"\s*")
_DIGIT_RUN = re.compile(r"\d*")
# The left edge of ``_SPEC`` and of ``_PRICE``'s second branch, and where its first
# branch can start.
_NUM_EDGE = re.compile(r"(?<![A-Za-z\d.])")
_NUM_EDGE_I = re.compile(r"(?<![A-Za-z\d.])", re.IGNORECASE)
_CURRENCY_SIGN = re.compile(r"[¥￥$€£]|rmb|cny|usd|eur|gbp", re.IGNORECASE)

_STORAGE_AFTER = re.compile(r"\s*(?:\+|/|内存|运存|存储|储存|大内存|ram|rom|闪存|硬盘)", re.I)
_SERVICE_AFTER = re.compile(
    r"\s*(?:内\s*)?(?:发货|发出|出库|送达|到货|极速|闪电|客服|在线|响应|回复|退|换|无理由|价保|保价|试用)"
)
_WARRANTY_BEFORE = re.compile(
    r"(?:质保|保修|保质期|保固|寿命|续航|有效期|保鲜|warranty|shelf life)[^，。！？,.!?]{0,6}$",
    re.IGNORECASE,
)
_WARRANTY_AFTER = re.compile(r"\s*(?:质保|保修|保固|超长质保|长质保|换新)")
_THRESHOLD_BEFORE = re.compile(r"(?:满|每满|超过|以上)\s*$")
_SAVING_BEFORE = re.compile(r"(?:减|省|降|便宜|优惠|直降|立减|少)\s*了?\s*$")
_UNCHECKABLE_BEFORE = re.compile(
    r"(?:券|红包|补贴|返|送|赠|运费|邮费|定金|订金|价值|膨胀|抵|积分|奖励)\S{0,2}$"
)
_NUMBER_IN_FACTS = re.compile(rf"(?<![A-Za-z\d.]){_NUM}(?![\d])")


@dataclass(frozen=True)
class FactIssue:
    """One unsupported or contradicting claim: ``kind`` is ``unsupported`` or ``price``."""

    field: str
    start: int
    end: int
    text: str
    kind: str
    expected: str = ""


@dataclass(frozen=True)
class Quantity:
    dim: str
    low: float  # in base units, with the first factor
    high: float
    factors: tuple[float, ...]
    start: int
    end: int

    def values(self) -> list[tuple[float, float]]:
        raw_low = self.low / self.factors[0]
        raw_high = self.high / self.factors[0]
        return [(raw_low * f, raw_high * f) for f in self.factors]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _cn_number(text: str) -> float | None:
    if text == "十":
        return 10.0
    if "十" in text:
        head, _, tail = text.partition("十")
        tens = _CN_DIGITS.get(head, 1) if head else 1
        ones = _CN_DIGITS.get(tail, 0) if tail else 0
        if (head and head not in _CN_DIGITS) or (tail and tail not in _CN_DIGITS):
            return None
        return float(tens * 10 + ones)
    if len(text) == 1 and text in _CN_DIGITS:
        return float(_CN_DIGITS[text])
    return None


def extract_specs(text: str, *, for_claims: bool = True) -> list[Quantity]:
    """Spec quantities in ``text``; ``for_claims`` applies the copy-only exclusions."""
    # What follows a match is read in place (``regex.match(text, end)``): slicing the
    # rest of the text for every match was quadratic in a long text.
    out: list[Quantity] = []
    for m in _led_by_number(_SPEC, _NUM_EDGE, text):
        unit = m.group("unit")
        key = unit if unit == "G" else unit.lower()
        if key not in UNITS:
            continue
        end = m.end()
        before = text[max(0, m.start() - 12) : m.start()]
        if key == "G" and not _STORAGE_AFTER.match(text, end) and not before.endswith("+"):
            continue  # 5G is a network, not storage
        if key == "w" and text.startswith("+", end):
            continue  # 10w+ = 十万+
        if key.isascii() and key.isalpha() and text[end : end + 1].isdigit():
            continue  # 1v1, 3d2: not a unit
        dim, factors = UNITS[key]
        if for_claims and not _claim_context_ok(dim, text, end, before):
            continue
        scale = 10000.0 if m.group("wan") else 1.0
        low = _number(m.group("a")) * scale
        high = _number(m.group("b")) * scale if m.group("b") else low
        if dim == "duration" and low >= 1000:
            continue  # 2023年 is a date
        out.append(Quantity(dim, low * factors[0], high * factors[0], factors, m.start(), end))
    for m in _CN_SPEC.finditer(text):
        value = _cn_number(m.group("a"))
        if value is None:
            continue
        dim, factors = UNITS[m.group("unit")]
        before = text[max(0, m.start() - 12) : m.start()]
        if for_claims and not _claim_context_ok(dim, text, m.end(), before):
            continue
        out.append(Quantity(dim, value * factors[0], value * factors[0], factors, *m.span()))
    return out


def _claim_context_ok(dim: str, text: str, end: int, before: str) -> bool:
    if dim in ("hour", "duration") and _SERVICE_AFTER.match(text, end):
        return False  # 24小时发货, 7天无理由退换: service promises, not product specs
    if dim == "duration":
        # Durations are only product facts as warranty / shelf life / battery life.
        return bool(_WARRANTY_BEFORE.search(before) or _WARRANTY_AFTER.match(text, end))
    return True


#: Dollar marks without a country ($) stand for any of these; ¥ for yuan or yen.
_DOLLARS = frozenset({"USD", "HKD", "CAD", "AUD", "SGD", "TWD"})
_YEN_SIGNS = frozenset({"CNY", "JPY"})
_DOLLAR_PREFIXES = ("nt", "hk", "us", "c", "a", "s")  # before "$": NT$, HK$, US$, C$ …


@dataclass(frozen=True)
class _Facts:
    specs: tuple[Quantity, ...]
    bare_numbers: frozenset[float]
    price: Decimal | None
    promo_price: Decimal | None
    # dimension -> the accepted (low, high) ranges of its specs, tolerance included
    ranges: Mapping[str, SpanIndex]
    #: ISO code of the row's prices when the sheet wrote a mark or a currency column.
    currency: str | None = None


def _product_parts(
    product: Any,
) -> tuple[list[str], Decimal | None, Decimal | None, str | None]:
    from copygen.inputs.product import Product, parse_attributes, parse_price, split_list

    if isinstance(product, Product):
        return product.fact_texts(), product.price, product.promo_price, product.currency
    if not isinstance(product, Mapping):
        raise TypeError("product must be a Product or a mapping of its columns")
    texts: list[str] = []
    for key in ("title", "brand"):
        if product.get(key):
            texts.append(str(product[key]))
    texts.extend(split_list(product.get("selling_points")))
    attributes = parse_attributes(product.get("attributes"))
    texts.extend(f"{k}:{v}" for k, v in attributes.items())
    return (
        texts,
        parse_price(product.get("price"), "price"),
        parse_price(product.get("promo_price"), "promo_price"),
        _mapping_currency(product),
    )


def _mapping_currency(product: Mapping[str, Any]) -> str | None:
    """The currency a mapping's prices are in: their mark, else its currency column."""
    from copygen.inputs.prices import currency_code, parse_money

    try:
        for key in ("price", "promo_price"):
            money = parse_money(product.get(key))
            if money is not None and money.currency is not None:
                return money.currency
        return currency_code(product.get("currency"))
    except ValueError:  # PriceError, FieldValueError
        return None  # parse_price has already said what is wrong with the cell


def product_texts(product: Any) -> list[str]:
    """The product's fact texts: title, brand, selling points, ``key:value`` attributes."""
    return _product_parts(product)[0]


def product_facts(product: Any) -> _Facts:
    texts, price, promo, currency = _product_parts(product)
    specs: list[Quantity] = []
    bare: set[float] = set()
    for text in texts:
        found = extract_specs(text, for_claims=False)
        specs.extend(found)
        covered = SpanIndex((q.start, q.end) for q in found)
        for m in _NUMBER_IN_FACTS.finditer(text):
            if not covered.covers(m.start(), m.start() + 1):
                bare.add(_number(m.group()))
    ranges: dict[str, list[tuple[float, float]]] = {}
    for fact in specs:
        for f_low, f_high in fact.values():
            lo = f_low * (1 - _TOL) - 1e-9
            hi = f_high * (1 + _TOL) + 1e-9
            ranges.setdefault(fact.dim, []).append((lo, hi))
    indexes = {dim: SpanIndex(spans) for dim, spans in ranges.items()}
    return _Facts(tuple(specs), frozenset(bare), price, promo, indexes, currency)


def _supported(claim: Quantity, facts: _Facts, raw: Sequence[float]) -> bool:
    # One lookup per claim in the ranges of its dimension, not a loop over every spec
    # of the product: a long text of figures against a long spec sheet was quadratic.
    ranges = facts.ranges.get(claim.dim)
    if ranges is not None:
        for low, high in claim.values():
            if ranges.covers(min(low, high), max(low, high)):
                return True
    return bool(raw) and all(value in facts.bare_numbers for value in raw)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def check_facts(items: Iterable[tuple[str, str]], product: Any) -> list[FactIssue]:
    """Unsupported or contradicting numeric claims in the (field, text) items."""
    facts = product_facts(product)
    issues: list[FactIssue] = []
    for name, text in items:
        if not text or not any(ch.isdigit() or ch in "一二两三四五六七八九十" for ch in text):
            continue
        issues.extend(_check_text(name, text, facts))
    return issues


def _expected_prices(facts: _Facts, *, marked: bool = False) -> str:
    """The row's prices; ``marked``: with the currency's mark (``€19.99``)."""
    mark = ""
    if marked and facts.currency is not None:
        from copygen.inputs.prices import SYMBOLS

        mark = SYMBOLS.get(facts.currency, f"{facts.currency} ")
    parts = [mark + _fmt(p) for p in (facts.price, facts.promo_price) if p is not None]
    return " / ".join(parts) if parts else "—"


def _claimed_currencies(text: str, match: re.Match[str]) -> frozenset[str] | None:
    """The currencies a price in copy can be in, from its mark; None when unmarked."""
    from copygen.inputs.prices import CURRENCY_MARKS

    sym, post = match.group("sym"), match.group("post")
    if sym:
        if sym == "$":
            start = match.start()
            before = text[max(0, start - 3) : start].lower()
            for prefix in _DOLLAR_PREFIXES:
                edge = start - len(prefix) - 1
                if before.endswith(prefix) and (edge < 0 or not text[edge].isalpha()):
                    return frozenset({CURRENCY_MARKS[prefix + "$"]})
            return _DOLLARS
        if sym in "¥￥":
            return _YEN_SIGNS
        return frozenset({CURRENCY_MARKS[sym.lower()]})
    if post:
        code = CURRENCY_MARKS.get(post.lower(), "CNY")  # 块钱, the one mark not listed
        return frozenset({code})
    return None


def _check_text(name: str, text: str, facts: _Facts) -> list[FactIssue]:
    issues: list[FactIssue] = []
    taken: list[tuple[int, int]] = []

    def issue(start: int, end: int, kind: str, expected: str = "") -> None:
        taken.append((start, end))
        issues.append(FactIssue(name, start, end, text[start:end], kind, expected))

    prices = [p for p in (facts.price, facts.promo_price) if p is not None]
    saving = (
        facts.price - facts.promo_price
        if facts.price is not None and facts.promo_price is not None
        else None
    )
    for m in _led_by_number(_PRICE, _NUM_EDGE_I, text, _CURRENCY_SIGN):
        raw = m.group("a") or m.group("b")
        value = _decimal(raw)
        if value is None:
            continue
        if m.group("wan"):
            value *= 10000
        before = text[max(0, m.start() - 6) : m.start()]
        taken.append(m.span())
        if _THRESHOLD_BEFORE.search(before):
            continue
        marked = _claimed_currencies(text, m) if facts.currency is not None else None
        if marked is not None and facts.currency not in marked and prices:
            # $18.99 for a row priced €19.99, or $19.99: the wrong currency either way.
            issue(*m.span(), "price", _expected_prices(facts, marked=True))
        elif _UNCHECKABLE_BEFORE.search(before):
            issue(*m.span(), "unsupported")
        elif _SAVING_BEFORE.search(before):
            if saving is None:
                issue(*m.span(), "unsupported")
            elif value != saving:
                issue(*m.span(), "price", f"{_fmt(saving)}")
        elif not prices:
            issue(*m.span(), "unsupported")
        elif value not in prices:
            issue(*m.span(), "price", _expected_prices(facts))
    ratio: float | None = None
    if facts.price and facts.promo_price is not None and facts.price > 0:
        ratio = float(facts.promo_price / facts.price)
    for m in _DISCOUNT.finditer(text):
        if m.group("a"):
            claim = float(m.group("a"))
        else:
            digits = m.group("cn")
            claim = _CN_DIGITS[digits[0]] + (_CN_DIGITS[digits[1]] / 10 if len(digits) > 1 else 0)
        if claim <= 0 or claim >= 10:
            continue
        taken.append(m.span())
        expected = f"{ratio * 10:.1f}折" if ratio is not None else _expected_prices(facts)
        if ratio is None:
            if prices:
                issue(*m.span(), "price", expected)
            else:
                issue(*m.span(), "unsupported")
        elif abs(ratio * 10 - claim) > 0.1 + 1e-9:
            issue(*m.span(), "price", expected)
    for m in _percent_offs(text):
        claim = _number(m.group("a"))
        taken.append(m.span())
        if ratio is None:
            issue(*m.span(), "price" if prices else "unsupported", _expected_prices(facts))
        elif abs((1 - ratio) * 100 - claim) > 1.0:
            issue(*m.span(), "price", f"{(1 - ratio) * 100:.0f}% off")
    claimed = SpanIndex(taken)
    for quantity in extract_specs(text):
        if claimed.overlaps(quantity.start, quantity.end):
            continue
        span_text = text[quantity.start : quantity.end]
        raw = [_number(n) for n in re.findall(_NUM, span_text)]
        if not _supported(quantity, facts, raw):
            issue(quantity.start, quantity.end, "unsupported")
    issues.sort(key=lambda i: i.start)
    return issues


def _led_by_number(
    pattern: re.Pattern[str],
    edge: re.Pattern[str],
    text: str,
    other_starts: re.Pattern[str] | None = None,
) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text)``, in time linear in the text.

    ``pattern`` starts with the lookbehind ``edge`` and a ``_NUM`` that must run to
    the end of its run of digits, commas and dots (what may follow it never starts
    with one). The regex engine tries every start in such a run, each try reading to
    the end of the run: quadratic on ``1,234,234,...``. Here, per run, the leftmost
    start that ``edge`` allows and from which the rest of the run is one ``_NUM`` is
    worked out backwards, and ``pattern`` is tried there alone: whether the rest
    matches does not depend on the start. ``other_starts`` finds where the pattern's
    other branches (which start outside a run, such as ``¥99``) can start."""
    starts: list[tuple[int, int]] = [(run.start(), run.end()) for run in _NUM_RUN.finditer(text)]
    if other_starts is not None:
        starts.extend((m.start(), -1) for m in other_starts.finditer(text))
        starts.sort()
    position = 0
    for start, run_end in starts:
        if run_end < 0:
            match = pattern.match(text, start) if start >= position else None
        else:
            first = _leftmost_number(text, max(start, position), run_end, edge)
            match = pattern.match(text, first) if first is not None else None
        if match is not None:
            position = match.end()
            yield match


def _leftmost_number(text: str, low: int, end: int, edge: re.Pattern[str]) -> int | None:
    """The smallest ``start >= low`` where ``edge`` matches and ``text[start:end]`` is one
    ``_NUM``; None when there is none."""
    chars = text[low:end][::-1]
    if "," not in chars and "." not in chars:  # digits alone, the usual case
        return low if edge.match(text, low) else None
    # Inside the run, a start right after a digit or a dot never passes an edge (both
    # edges exclude them): only the run's first character and those after a comma are
    # worth asking.
    lengths = [n for n in _number_lengths(chars) if n == len(chars) or chars[n] == ","]
    for length in sorted(lengths, reverse=True):
        if edge.match(text, end - length):
            return end - length
    return None


def _percent_offs(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_PERCENT_OFF.finditer(text)``, in time linear in the text.

    The pattern has no left edge: on a long run of digits it tries every start, and
    each try reads to the end of the run (quadratic). Every match is a number that
    ends where the blanks before a "% off" begin (a number is digits, commas and dots,
    never a blank) and starts as far left as the number's form allows. So the "% off"
    tails are found first, and the number before each is read backwards."""
    bound = 0
    for tail in _OFF_TAIL.finditer(text):
        percent = tail.start()
        before = text[bound:percent][::-1]  # from the percent sign leftwards
        bound = tail.end()
        blanks = _BLANKS.match(before).end()  # type: ignore[union-attr]
        chars = _NUM_CHARS.match(before, blanks).end()  # type: ignore[union-attr]
        length = max(_number_lengths(before[blanks:chars]), default=0)
        if not length:
            continue
        match = _PERCENT_OFF.match(text, percent - blanks - length)
        if match is not None:
            yield match


def _number_lengths(reversed_chars: str) -> list[int]:
    """Every length ``n`` for which the first ``n`` characters of ``reversed_chars``
    (digits, commas and dots read right to left) are one ``_NUM``, in linear time."""
    lengths = _integer_lengths(reversed_chars, 0)
    digits = _run(reversed_chars, 0)
    if digits and reversed_chars[digits : digits + 1] == ".":  # a fraction: 12.5
        lengths += [digits + 1 + n for n in _integer_lengths(reversed_chars, digits + 1)]
    return lengths


def _integer_lengths(chars: str, start: int) -> list[int]:
    """Every length of an integer (``\\d+`` or ``\\d{1,3}(,\\d{3})+``) read right to left
    from ``chars[start]``."""
    lengths = list(range(1, _run(chars, start) + 1))
    position = start
    while _run(chars, position) == 3 and chars[position + 3 : position + 4] == ",":
        position += 4  # one more ",ddd" group; then 1 to 3 leading digits
        lengths.extend(position - start + n for n in range(1, min(3, _run(chars, position)) + 1))
    return lengths


def _run(chars: str, start: int) -> int:
    """How many digits ``chars`` has from ``start`` on."""
    return _DIGIT_RUN.match(chars, start).end() - start  # type: ignore[union-attr]
