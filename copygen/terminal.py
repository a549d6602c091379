"""Text from product files, model replies and logs, made safe to show on a terminal.

Such text is data, never terminal commands: an ESC sequence in a product title
could clear the reviewer's screen, draw a fake "pass" or plant a hyperlink, a
carriage return could overwrite what was printed before, and a bidi override could
show a banned word backwards. Every character that a terminal obeys instead of
drawing is therefore shown as an escape (``\\x1b``, ``\\r``, ``\\u202e``), so the
reviewer sees it and the terminal does nothing. Newlines and tabs are kept only
where the caller's layout has room for them (``keep``); one-line outputs pass no
``keep`` so that a newline in the data cannot forge a line of its own.

Rich markup in the data (``[bold red]``) is not an issue here: the helpers return
``rich.text.Text``, which rich prints as it is, never parsed as markup or emoji codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["LAYOUT", "visible", "visible_text"]

#: The characters a multi-line layout (a table cell, an item's text) keeps as they are.
LAYOUT = "\n\t"

# Unicode categories Cc (C0, DEL, C1), Cf (format: bidi embeddings, overrides and
# isolates, zero-width characters, tag characters), Zl and Zp (line and paragraph
# separators), listed as ranges so that the check is one regex search and no start-up
# scan of the code space; tests/test_terminal_output.py checks the list against
# unicodedata. Zero-width (non-)joiners are left alone: emoji sequences and Indic
# scripts need them and they move nothing on screen. Lone surrogates (a file decoded
# with surrogateescape) would make the console's encoder raise, so they are shown too.
_CONTROL_RANGES = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
# Combining diacritics stacked three or more deep ("zalgo") draw over the lines above
# and below on many terminals; real text (Vietnamese included) stacks at most two.
_STACKED_MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{3,}"
_UNSAFE = re.compile(f"[{_CONTROL_RANGES}]|{_STACKED_MARKS}")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_run(run: str, keep: str) -> str:
    return "".join(c if c in keep else _escape(c) for c in run)


def visible(text: object, *, keep: str = "") -> str:
    """``str(text)`` with every control and format character shown as an escape.

    ``keep``: characters to leave as they are (``LAYOUT`` for newlines and tabs).
    Text without such characters comes back unchanged (the same object).
    """
    value = text if isinstance(text, str) else str(text)
    if _UNSAFE.search(value) is None:
        return value
    return _UNSAFE.sub(lambda m: _escape_run(m.group(), keep), value)


def _visible_with_offsets(text: str, keep: str) -> tuple[str, list[int]]:
    """The visible text and, for each index of ``text`` (and its end), the index in it."""
    out: list[str] = []
    offsets: list[int] = []
    length = 0
    last = 0
    for match in _UNSAFE.finditer(text):
        start, end = match.span()
        out.append(text[last:start])
        offsets.extend(range(length, length + start - last))
        length += start - last
        for char in match.group():
            shown = char if char in keep else _escape(char)
            out.append(shown)
            offsets.append(length)
            length += len(shown)
        last = end
    out.append(text[last:])
    offsets.extend(range(length, length + len(text) - last + 1))
    return "".join(out), offsets


def visible_text(
    text: object,
    *,
    style: str = "",
    spans: Iterable[tuple[int, int, str]] = (),
    keep: str = LAYOUT,
) -> Text:
    """A rich ``Text`` of the visible text, never parsed as markup.

    ``spans`` are ``(start, end, style)`` over the original text (a finding's
    ``start``/``end``), applied in order, so a later span paints over an earlier one;
    spans outside the text are ignored. ``keep`` defaults to ``LAYOUT``: a ``Text``
    goes into multi-line layouts.
    """
    from rich.text import Text

    value = text if isinstance(text, str) else str(text)
    spans = list(spans)
    if not spans:
        return Text(visible(value, keep=keep), style=style)
    shown, offsets = _visible_with_offsets(value, keep)
    out = Text(shown, style=style)
    for start, end, span_style in spans:
        if 0 <= start < end <= len(value):
            out.stylize(span_style, offsets[start], offsets[end])
    return out
