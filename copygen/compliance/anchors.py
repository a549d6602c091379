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
from functools import lru_cache
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
# An alternation of plain words (a pack's set: 高血压|血糖|失眠|…) is a cover however long:
# the automaton holds thousands of keys as cheaply as ten.
_MAX_WORDS = 4096
# The most covers one regex is gated on (each must be seen for it to run).
_MAX_COVERS = 3


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


@lru_cache(maxsize=4096)
def required_covers(pattern: str, flags: int = re.IGNORECASE) -> tuple[Cover, ...] | None:
    """Several covers of ``pattern``, each required: every match holds a literal of each
    one (高血压… then 吃了… then 个月 in a before/after pattern). A regex gated on all of
    them runs far less often than on its best one alone. None when there is none."""
    try:
        parsed = _parser.parse(pattern, flags)
        candidates = _analyse(list(parsed))[2]
    except Exception:
        return None
    usable = sorted({c for c in candidates if c and all(c)}, key=_score, reverse=True)
    if not usable:
        return None
    # Beyond the best cover, only selective ones: a one-character literal (了, 加) is
    # met so often that counting it costs more than the regex it would spare.
    extra = [c for c in usable[1:] if min(len(literal) for literal in c) >= 2]
    return (usable[0], *extra[: _MAX_COVERS - 1])


@lru_cache(maxsize=65536)
def _score(cover: Cover) -> tuple[int, int]:
    return (min(len(s) for s in cover), -len(cover))


def _sequence(items: list[tuple[Any, Any]]) -> Cover | None:
    return _analyse(items)[0]


def _analyse(
    items: list[tuple[Any, Any]],
) -> tuple[Cover | None, Cover | None, list[Cover]]:
    """(cover, exact, candidates) of a sequence: ``exact`` is the complete set of
    strings the sequence can match when it is a plain combination of literals, else
    None; ``candidates`` are all the covers found, each required, ``cover`` the best.

    Adjacent exact elements multiply ((人|位)(正在|在) -> 人正在, 人在, 位正在, 位在),
    which gives far more selective anchors than any single element."""
    candidates: list[Cover] = []
    product: set[str] | None = {""}
    whole_exact = True

    def flush() -> None:
        nonlocal product
        if product and any(product):
            candidates.append(frozenset(product))
        product = {""}

    for op, av in items:
        cover, exact = _element(op, av)
        if exact is not None:
            assert product is not None
            combined = {a + b for a in product for b in exact}
            if len(combined) > _MAX_COVER and len(product) > 1:
                flush()
                combined = set(exact)
            product = combined
        else:
            whole_exact = False
            flush()
        if cover:
            candidates.append(cover)
    exact_all = frozenset(product) if whole_exact and product is not None else None
    flush()
    best = max(candidates, key=_score) if candidates else None
    return best, exact_all, candidates


def _element(op: Any, av: Any) -> tuple[Cover | None, Cover | None]:
    if op is _c.LITERAL:
        literal = frozenset({chr(av)})
        return literal, literal
    if op is _c.SUBPATTERN:
        return _analyse(list(av[-1]))[:2]
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _analyse(list(av))[:2]
    if op is _c.BRANCH:
        return _branch(av[1])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
        low, high, body = av
        if low >= 1:
            cover, exact, _ = _analyse(list(body))
            return cover, exact if low == high == 1 else None
        return None, None
    if op is _c.IN and len(av) <= _MAX_CLASS and all(kind is _c.LITERAL for kind, _ in av):
        chars = frozenset(chr(code) for _, code in av)
        return chars, chars
    return None, None


def _branch(alternatives: list[Any]) -> tuple[Cover | None, Cover | None]:
    cover_union: set[str] = set()
    exact_union: set[str] | None = set()
    for alternative in alternatives:
        cover, exact, _ = _analyse(list(alternative))
        if exact is not None and exact_union is not None:
            exact_union |= exact
        else:
            exact_union = None
        if cover is None and exact is None:
            return None, None
        cover_union |= cover if cover is not None else set()
        if exact is not None and cover is None:
            cover_union |= exact
    if exact_union is not None and (len(exact_union) > _MAX_WORDS or "" in exact_union):
        exact_union = None
    exact = frozenset(exact_union) if exact_union is not None else None
    # The union of the alternatives' covers: literals, however many (an automaton key costs
    # nothing at check time).
    if len(cover_union) > _MAX_WORDS or not cover_union or "" in cover_union:
        return None, exact
    return frozenset(cover_union), exact
