"""Required literals of a regex, so that it only runs where it can match.

``required_literals(pattern)`` returns a set of strings of which at least one
occurs in every match of ``pattern`` (a "cover"), or ``None`` when no such set is
known. The checker puts the cover into its Aho-Corasick automaton and runs the
regex only on texts where a cover literal was seen: on clean copy most regexes
never run at all.

The analysis walks Python's own parse tree and is conservative: anything it does
not understand ends a literal run or yields ``None``, which only costs speed.
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _parser

Cover = frozenset[str]
_MAX_CLASS = 12  # a character class of up to this many literals is a cover too
_MAX_COVER = 64


def required_literals(pattern: str, flags: int = re.IGNORECASE) -> Cover | None:
    try:
        parsed = _parser.parse(pattern, flags)
    except Exception:
        return None
    try:
        cover = _sequence(list(parsed))
    except Exception:
        return None
    if cover is None or not cover or any(not literal for literal in cover):
        return None
    return cover


def _score(cover: Cover) -> tuple[int, int]:
    return (min(len(s) for s in cover), -len(cover))


def _sequence(items: list[tuple[Any, Any]]) -> Cover | None:
    candidates: list[Cover] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        sub: Cover | None = None
        if op is _c.SUBPATTERN:
            sub = _sequence(list(av[-1]))
        elif op is _c.BRANCH:
            sub = _branch(av[1])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
            low, _high, body = av
            if low >= 1:
                sub = _sequence(list(body))
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            sub = _sequence(list(av))
        elif op is _c.IN and len(av) <= _MAX_CLASS and all(kind is _c.LITERAL for kind, _ in av):
            sub = frozenset(chr(code) for _, code in av)
        if sub:
            candidates.append(sub)
    flush()
    if not candidates:
        return None
    return max(candidates, key=_score)


def _branch(alternatives: list[Any]) -> Cover | None:
    union: set[str] = set()
    for alternative in alternatives:
        cover = _sequence(list(alternative))
        if cover is None:
            return None
        union |= cover
        if len(union) > _MAX_COVER:
            return None
    return frozenset(union)
