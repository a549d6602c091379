"""Pieces: texts that remember the lexicon phrase and the row data they came from.

The composer writes every field as a row of pieces, so when the checker flags a span
of a field the pieces under it (and so the phrase or row text to leave out on the
next pass) are known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: a piece's place in its field's text, and its sources: (start, end, sources)
Span = tuple[int, int, frozenset[str]]


@dataclass(frozen=True)
class Piece:
    """A phrase with the lexicon template and row data it was made from."""

    text: str
    sources: frozenset[str] = frozenset()
    template: str = ""  # the lexicon phrase it was filled from ("" for data and joins)


@dataclass
class Builder:
    """Joins pieces into one field text and remembers each piece's span."""

    parts: list[Piece] = field(default_factory=list)

    def add(self, piece: Piece | None, sep: str = "") -> None:
        if piece is None or not piece.text:
            return
        if sep and self.parts:
            self.parts.append(Piece(sep))
        self.parts.append(piece)

    def render(self) -> tuple[str, list[Span]]:
        text = ""
        spans: list[Span] = []
        for piece in self.parts:
            spans.append((len(text), len(text) + len(piece.text), piece.sources))
            text += piece.text
        return text, spans

    def __len__(self) -> int:
        return sum(len(p.text) for p in self.parts)


@dataclass(frozen=True)
class Composition:
    fields: dict[str, Any]
    # field name as the checker reports it ("hook", "segments[2]") -> piece spans
    spans: dict[str, list[Span]]


def single(piece: Piece | None) -> Builder:
    """A builder holding just ``piece`` (empty for None)."""
    builder = Builder()
    builder.add(piece)
    return builder


def flatten(builder: Builder) -> Piece | None:
    """Flatten a builder into one piece carrying all its sources (for nesting)."""
    if not builder.parts:
        return None
    text, _ = builder.render()
    sources: frozenset[str] = frozenset().union(*(p.sources for p in builder.parts))
    return Piece(text, sources)
