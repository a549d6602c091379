"""Price cells: the amount, the currency and the way the sheet wrote it.

``¥1,299.00``, ``1299元``, ``$237.68``, ``US$ 8``, ``€19,99``, ``12.5美元``: the
amount is a ``Decimal`` (exact, ``19.90`` stays ``19.90``), the currency an ISO code
when the cell names one, and the currency mark is kept as written (prefix and
suffix), so copy can quote the price exactly as the sheet shows it. A cell without a
mark has no currency: writers then use the language's usual unit (元 in Chinese).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from copygen.inputs.cells import FieldValueError, shown

#: Currency marks as written (lower-cased, spaces removed) -> ISO code. Longer marks
#: are tried first, so ``us$`` is not read as ``$`` and ``hk$`` not as ``$``.
CURRENCY_MARKS: dict[str, str] = {
    "¥": "CNY",
    "￥": "CNY",
    "元": "CNY",
    "块": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "人民币": "CNY",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "美元": "USD",
    "美金": "USD",
    "€": "EUR",
    "eur": "EUR",
    "欧元": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "英镑": "GBP",
    "hk$": "HKD",
    "hkd": "HKD",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
    "円": "JPY",
    "jpy": "JPY",
    "c$": "CAD",
    "cad": "CAD",
    "a$": "AUD",
    "aud": "AUD",
    "s$": "SGD",
    "sgd": "SGD",
    "nt$": "TWD",
    "twd": "TWD",
    "新台币": "TWD",
}

#: How a bare amount is written for a currency named in its own column.
SYMBOLS: dict[str, str] = {
    "CNY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "HKD": "HK$",
    "JPY": "JP¥",
    "CAD": "C$",
    "AUD": "A$",
    "SGD": "S$",
    "TWD": "NT$",
}

_MARK_ALT = "|".join(re.escape(m) for m in sorted(CURRENCY_MARKS, key=len, reverse=True))
_CELL = re.compile(
    rf"^(?P<pre>(?:{_MARK_ALT})?)\s*(?P<num>\d(?:[\d,\s]*\d)?(?:\.\d+)?|\.\d+)\s*(?P<post>(?:{_MARK_ALT})?)$",
    re.IGNORECASE,
)
# One comma and one or two digits after it, no dot: a decimal comma (19,99 €), not
# thousands (1,299).
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None  # ISO 4217 code, None when the cell had no mark
    prefix: str = ""  # the mark before the number, as written ("US$ ", "¥")
    suffix: str = ""  # the mark after it, as written ("元", " €")
    number: str = ""  # the number as written ("1,299.00")

    @property
    def text(self) -> str:
        """The price as the sheet wrote it."""
        return f"{self.prefix}{self.number}{self.suffix}"

    def restyled(self, other: Money) -> Money:
        """This amount written with ``other``'s mark (a bare promo price next to a
        ``$`` price reads as dollars)."""
        if self.currency is not None or other.currency is None:
            return self
        return Money(self.amount, other.currency, other.prefix, other.suffix, self.number)


class PriceError(ValueError):
    pass


def currency_code(value: Any) -> str | None:
    """A currency column's value (``USD``, ``美元``, ``$``) -> ISO code; blank -> None."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    upper = text.upper()
    if upper in SYMBOLS:
        return upper
    code = CURRENCY_MARKS.get(text.lower().replace(" ", ""))
    if code is None:
        known = ", ".join(SYMBOLS)
        raise PriceError(f"unknown currency '{shown(text)}'; expected one of {known}")
    return code


def in_currency(money: Money, code: str) -> Money:
    """``money`` in the currency a currency column names: a bare amount gets its mark."""
    if money.currency == code:
        return money
    if money.currency is not None:
        raise PriceError(f"'{money.text}' is in {money.currency} but the currency is {code}")
    symbol = SYMBOLS.get(code)
    if symbol is None:
        return Money(money.amount, code, "", f" {code}", money.number)
    return Money(money.amount, code, symbol, "", money.number)


def parse_money(value: Any) -> Money | None:
    """A price cell -> ``Money``; blank -> None; raises ``PriceError`` for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise PriceError(f"not a price: {value}")
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
        _check_amount(amount, str(value))
        return Money(amount, None, number=_plain_number(amount))
    written = str(value).strip()
    if not written:
        return None
    match = _CELL.match(written)
    if match is None:
        raise PriceError(f"not a price: '{shown(written)}'")
    pre, num, post = match.group("pre"), match.group("num"), match.group("post")
    if pre and post and CURRENCY_MARKS[pre.lower()] != CURRENCY_MARKS[post.lower()]:
        raise PriceError(f"two currencies in one price: '{shown(written)}'")
    digits = re.sub(r"\s", "", num)
    decimal_comma = _DECIMAL_COMMA.match(digits) is not None
    digits = digits.replace(",", "." if decimal_comma else "")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise PriceError(f"not a price: '{shown(written)}'") from None
    _check_amount(amount, written)
    mark = (pre or post).lower()
    currency = CURRENCY_MARKS[mark] if mark else None
    prefix = written[: match.start("num")] if pre else ""
    suffix = written[match.end("num") :] if post else ""
    return Money(amount, currency, prefix, suffix, num.strip())


def _check_amount(amount: Decimal, written: str) -> None:
    if not amount.is_finite() or amount < 0:
        raise PriceError(f"not a price: '{shown(written)}'")


def _plain_number(amount: Decimal) -> str:
    text = str(amount)
    return format(amount, "f") if "E" in text or "e" in text else text


def parse_price(value: Any, column: str = "price") -> Decimal | None:
    """``¥1,299.00`` / ``1299元`` / ``$8`` / ``1299`` -> Decimal; blank -> None.

    Raises ``FieldValueError`` naming ``column``.
    """
    try:
        money = parse_money(value)
    except PriceError as exc:
        raise FieldValueError(column, str(exc)) from None
    return None if money is None else money.amount
