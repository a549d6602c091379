"""Chinese word edges for ``boundary: word`` rules, without loading jieba.

A ``boundary: word`` hit with Chinese characters counts only where it starts and ends
on a word edge of jieba's segmentation (dictionary only, no HMM) of the text around
it, ``WINDOW`` characters each side: 第一 in 销量第一 is a hit, in 第一次 it is not.
Importing jieba and loading its dictionary costs over half a second: several times
more than starting ``copygen check`` and checking a text. So the answer comes, in
this order, from:

1. ``EdgeTable``: a small table computed from jieba's dictionary when the rules cache
   is built. jieba cuts the window into runs of Han characters, letters and digits
   (``_HAN``), and each run into pieces each of which is a dictionary word or a single
   character; so wherever no dictionary word inside the run crosses a position, every
   cut has an edge there. The table lists the strings the rules' ``boundary: word``
   terms can hit (their evasive spellings included) and every dictionary word that
   could cross the start or the end of such a hit. A hit with none of those words
   around it is on word edges, as jieba would say. Most hits end here.
2. ``Dictionary``: where a crossing word is there (大家底价 holds 家底), or the table
   does not know the hit (a regex hit, a pack added later), the window is cut as
   jieba cuts it (``Tokenizer.cut`` with ``HMM=False``: same blocks, same
   dictionary-word graph, same log-frequency route, same float operations in the same
   order), from jieba's dictionary kept sorted in the rules cache directory (built
   once, about half a second; then a few milliseconds to load).
3. jieba itself (``jieba_edges``), when there is no dictionary file to use (the cache
   turned off or not writable, jieba's dictionary not found).

All three give jieba's answer for jieba's own dictionary as jieba loads it by default
(``dict.txt`` in its package; a custom dictionary or words added to jieba at run time
are not seen). The rules cache key and the dictionary file's name hold that file's
size and time, so a new dictionary makes a new table. ``tests/test_check_startup.py``
compares 1 and 2 with jieba.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

#: Characters of context on each side of a hit that the segmentation sees.
WINDOW = 12

# jieba 0.42: re_han_default, the blocks its dictionary segmentation works on, and
# re_skip_default, what it keeps whole between them (one character each otherwise);
# _ENG: re_eng, the letters and digits whose single-character pieces it joins into one.
_HAN = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]+)")
_SKIP = re.compile("(\r\n|\\s)")
_ENG = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_SEPARATOR = "\n"


class EdgeTable:
    """The hit strings the table covers and the dictionary words that can cross an
    edge of one of them. Pickled with the compiled rules; the set of crossing words is
    made on first use (most texts have no ``boundary: word`` hit)."""

    __slots__ = ("_crossing", "covered", "longest", "words")

    def __init__(self, covered: Iterable[str], crossing: Iterable[str]) -> None:
        self.covered = frozenset(covered)
        words = sorted(set(crossing))
        self.words = _SEPARATOR.join(words)  # one string: cheap to load
        self.longest = max((len(w) for w in words), default=0)
        self._crossing: frozenset[str] | None = None

    def __getstate__(self) -> tuple[frozenset[str], str, int]:
        return self.covered, self.words, self.longest

    def __setstate__(self, state: tuple[frozenset[str], str, int]) -> None:
        self.covered, self.words, self.longest = state
        self._crossing = None

    def crossing(self) -> frozenset[str]:
        if self._crossing is None:
            self._crossing = frozenset(self.words.split(_SEPARATOR)) if self.words else frozenset()
        return self._crossing

    def on_edges(self, window: str, start: int, end: int) -> bool | None:
        """True when ``window[start:end]`` starts and ends on jieba's word edges in
        ``window``; None when the table cannot tell (a crossing word is there, or the
        hit is not one it covers). Never False: it only vouches for edges no dictionary
        word can cut."""
        if window[start:end] not in self.covered:
            return None
        if self._edge(window, start) and self._edge(window, end):
            return True
        return None

    def _edge(self, window: str, position: int) -> bool:
        """Whether every jieba segmentation of ``window`` has an edge at ``position``."""
        if position <= 0 or position >= len(window):
            return True  # the window's ends are edges
        before, after = window[position - 1], window[position]
        if before in _ENG and after in _ENG:
            return False  # single letters/digits may be joined: not for the table
        if before == "\r" and after == "\n":
            return False  # one piece for jieba: not for the table
        crossing = self.crossing()
        longest = self.longest
        size = len(window)
        for first in range(max(0, position - longest + 1), position):
            for last in range(position + 1, min(size, first + longest) + 1):
                if window[first:last] in crossing:
                    return False
        return True


# --- jieba's dictionary -----------------------------------------------------------------


def int_array(values: Sequence[int]) -> array[int]:
    """``values`` as a compact array: 32-bit when they fit."""
    fits = not values or (min(values) >= -(1 << 31) and max(values) < 1 << 31)
    return array("i" if fits and array("i").itemsize == 4 else "q", values)


class SortedStrings(Sequence[str]):
    """Sorted strings kept in one (each followed by ``SEPARATOR``), sliced out when asked
    for: bisection reads a few dozen, and splitting them all costs more. Pickles as a
    string and an array: fast to load."""

    SEPARATOR = "\x00"
    __slots__ = ("_bounds", "_joined")

    def __init__(self, joined: str, bounds: array[int]) -> None:
        self._joined = joined
        self._bounds = bounds  # string i is joined[bounds[i]:bounds[i + 1] - 1]

    @classmethod
    def of(cls, strings: Sequence[str]) -> SortedStrings:
        """``strings``, sorted and free of ``SEPARATOR``."""
        bounds = list(accumulate((len(string) + 1 for string in strings), initial=0))
        joined = cls.SEPARATOR.join(strings) + cls.SEPARATOR if strings else ""
        return cls(joined, int_array(bounds))

    # Pickled in UTF-16: decoding Chinese from it is several times faster than from UTF-8.
    def __getstate__(self) -> tuple[bytes, array[int]]:
        return self._joined.encode("utf-16-le", "surrogatepass"), self._bounds

    def __setstate__(self, state: tuple[bytes, array[int]]) -> None:
        self._joined = state[0].decode("utf-16-le", "surrogatepass")
        self._bounds = state[1]

    def __len__(self) -> int:
        return len(self._bounds) - 1

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        bounds = self._bounds
        return self._joined[bounds[index] : bounds[index + 1] - 1]

    def all(self) -> list[str]:
        return self._joined.split(self.SEPARATOR)[:-1]

    def starting(self, text: str, start: int) -> list[tuple[int, int]]:
        """(end, number) of each string equal to ``text[start:end]``, shortest first."""
        count = len(self)
        found: list[tuple[int, int]] = []
        lo = 0
        end = start + 1
        while end <= len(text):
            fragment = text[start:end]
            lo = bisect_left(self, fragment, lo)
            if lo == count:
                break
            string = self[lo]
            if string == fragment:
                found.append((end, lo))
                lo += 1
            elif not string.startswith(fragment):
                break
            end += 1
        return found


class Dictionary:
    """jieba's dictionary as its segmentation uses it: the words of a positive
    frequency that a Han block can hold, with their frequencies, and the total."""

    __slots__ = ("freqs", "logtotal", "total", "words")

    def __init__(self, words: SortedStrings, freqs: array[int], total: int) -> None:
        self.words = words
        self.freqs = freqs
        self.total = total
        self.logtotal = math.log(total)

    def __getstate__(self) -> tuple[SortedStrings, array[int], int]:
        return self.words, self.freqs, self.total

    def __setstate__(self, state: tuple[SortedStrings, array[int], int]) -> None:
        self.words, self.freqs, self.total = state
        self.logtotal = math.log(self.total)

    @classmethod
    def read(cls, path: Path) -> Dictionary:
        """The dictionary as jieba reads ``path`` (``Tokenizer.gen_pfdict``: each line
        ``word frequency [tag]``; the last frequency given for a word counts, the total
        counts every line)."""
        lines = path.read_bytes().split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the newline ending the last line
        freq: dict[str, int] = {}
        total = 0
        for number, line in enumerate(lines, 1):
            try:
                word, count = line.strip().decode("utf-8").split(" ")[:2]
                value = int(count)
            except ValueError:
                raise ValueError(f"invalid dictionary entry: {path}:{number}") from None
            freq[word] = value
            total += value
        fullmatch = _HAN.fullmatch
        words = sorted(w for w, f in freq.items() if f > 0 and fullmatch(w) is not None)
        return cls(SortedStrings.of(words), int_array([freq[w] for w in words]), total)

    def edges(self, window: str) -> frozenset[int]:
        """Word edges of ``window``, as ``jieba_edges`` (``Tokenizer.tokenize(window,
        HMM=False)``) finds them."""
        edges = {0, len(window)}
        position = 0
        for piece in self.pieces(window):
            edges.add(position)
            position += len(piece)
            edges.add(position)
        return frozenset(edges)

    def pieces(self, text: str) -> Iterator[str]:
        """``text`` cut as ``jieba.cut(text, HMM=False)`` cuts it."""
        for block in _HAN.split(text):
            if not block:
                continue
            if _HAN.match(block):
                yield from self._cut(block)
            else:
                for part in _SKIP.split(block):
                    if _SKIP.match(part):
                        yield part
                    else:
                        yield from part

    def _cut(self, block: str) -> list[str]:
        """``Tokenizer.__cut_DAG_NO_HMM``: the best route through the words of the block
        (``get_DAG``, ``calc``), single letters and digits joined."""
        size = len(block)
        words, freqs, logtotal = self.words, self.freqs, self.logtotal
        log = math.log
        dag: list[list[tuple[int, int]]] = []  # start -> (last index, frequency) of each word
        for start in range(size):
            found = [(end - 1, freqs[number]) for end, number in words.starting(block, start)]
            dag.append(found or [(start, 1)])
        route: list[tuple[float, int]] = [(0.0, 0)] * (size + 1)
        for start in range(size - 1, -1, -1):
            route[start] = max(
                (log(freq or 1) - logtotal + route[last + 1][0], last) for last, freq in dag[start]
            )
        pieces: list[str] = []
        buffer = ""
        start = 0
        while start < size:
            end = route[start][1] + 1
            piece = block[start:end]
            if len(piece) == 1 and piece in _ENG:
                buffer += piece
            else:
                if buffer:
                    pieces.append(buffer)
                    buffer = ""
                pieces.append(piece)
            start = end
        if buffer:
            pieces.append(buffer)
        return pieces

    def crossing_words(self) -> list[str]:
        """The words of two characters or more: those that can cross a position."""
        return [w for w in self.words.all() if len(w) > 1]


# --- building and finding the table and the dictionary ----------------------------------


def dictionary_file() -> Path | None:
    """jieba's main dictionary, found without importing jieba (which loads it)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("jieba")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    return path if path.is_file() else None


_DICTIONARY_SUFFIX = ".jieba"
_DICTIONARY_FORMAT = "1"
# dictionary file identity -> the dictionary this process loaded or built (None: failed)
_DICTIONARIES: dict[str, Dictionary | None] = {}


def file_identity(path: Path, version: str) -> str:
    """A name for what is built from ``path`` in format ``version``: it changes with
    the file's place, size and time."""
    stat = path.stat()
    text = f"{version}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def dictionary(directory: Path | None) -> Dictionary | None:
    """jieba's dictionary, from ``directory`` (where it is kept, sorted, after the
    first time: ``*.jieba``); None without a directory or jieba's dictionary."""
    path = dictionary_file()
    if path is None or directory is None:
        return None
    try:
        identity = file_identity(path, _DICTIONARY_FORMAT)
    except OSError:
        return None
    if identity in _DICTIONARIES:
        return _DICTIONARIES[identity]
    import pickle

    kept = directory / f"dictionary-{identity}{_DICTIONARY_SUFFIX}"
    loaded: Dictionary | None = None
    try:
        with kept.open("rb") as handle:
            value = pickle.load(handle)
        if isinstance(value, Dictionary):
            loaded = value
    except Exception:
        loaded = None
    if loaded is None:
        try:
            loaded = Dictionary.read(path)
        except (OSError, ValueError):
            loaded = None
        if loaded is not None:
            keep(directory, kept, loaded)
    _DICTIONARIES[identity] = loaded
    return loaded


def keep(directory: Path, kept: Path, value: object) -> None:
    """Pickle ``value`` to ``kept`` in ``directory`` atomically; older files of the
    same suffix go. A directory that cannot be written to keeps nothing."""
    from copygen.errors import CopygenError
    from copygen.files.atomic import write_pickle

    try:
        write_pickle(kept, value)
        for other in directory.glob(f"*{kept.suffix}"):
            if other != kept:
                other.unlink(missing_ok=True)
    except (OSError, CopygenError):  # WriteError: a folder that cannot be written to
        return


def build(hits: Iterable[str], words: Iterable[str]) -> EdgeTable:
    """The table for hit strings ``hits``: each dictionary word (of ``words``) that can
    cross the start or the end of one of them.

    Across a hit's start: a word whose part from some position on (not its first) is a
    prefix of the hit, or starts with the whole hit. Across its end: a word whose part
    up to some position (not its last) is a suffix of the hit, or ends with the whole
    hit."""
    covered = {h for h in hits if h}
    by_first: dict[str, list[str]] = {}
    by_last: dict[str, list[str]] = {}
    for hit in covered:
        by_first.setdefault(hit[0], []).append(hit)
        by_last.setdefault(hit[-1], []).append(hit)
    crossing: set[str] = set()
    for word in words:
        size = len(word)
        for position in range(size):
            char = word[position]
            if position > 0 and char in by_first:
                tail = word[position:]
                if any(h.startswith(tail) or tail.startswith(h) for h in by_first[char]):
                    crossing.add(word)
                    break
            if position < size - 1 and char in by_last:
                head = word[: position + 1]
                if any(h.endswith(head) or head.endswith(h) for h in by_last[char]):
                    crossing.add(word)
                    break
    return EdgeTable(covered, crossing)


def table_for(hits: Iterable[str], directory: Path | None) -> EdgeTable | None:
    """The table for ``hits`` from jieba's installed dictionary (kept in ``directory``,
    see ``dictionary``); None without one."""
    found = dictionary(directory)
    if found is None:
        path = dictionary_file()
        if path is None:
            return None
        found = Dictionary.read(path)
    return build(hits, found.crossing_words())


# --- jieba itself ------------------------------------------------------------------------

_jieba: Any = None


def _segmenter() -> Any:
    """jieba, loaded on the first hit that needs it (it costs about half a second)."""
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return _jieba


@lru_cache(maxsize=4096)
def jieba_edges(window: str) -> frozenset[int]:
    """Word edges of ``window`` (its two ends included). Cached: copy repeats its
    phrases, and segmenting is the dearest step per hit."""
    edges = {0, len(window)}
    for _word, word_start, word_end in _segmenter().tokenize(window, HMM=False):
        edges.add(word_start)
        edges.add(word_end)
    return frozenset(edges)


@lru_cache(maxsize=4096)
def _dictionary_edges(found: Dictionary, window: str) -> frozenset[int]:
    return found.edges(window)


def on_word_edges(
    text: str,
    start: int,
    end: int,
    table: EdgeTable | None = None,
    directory: Callable[[], Path | None] | None = None,
) -> bool:
    """Whether [start, end) of ``text`` starts and ends on jieba word edges (of the
    window of ``WINDOW`` characters around it): ``table`` answers first when it can,
    then the dictionary kept in ``directory()``, then jieba."""
    lo = max(0, start - WINDOW)
    hi = min(len(text), end + WINDOW)
    window = text[lo:hi]
    if table is not None and table.on_edges(window, start - lo, end - lo):
        return True
    found = dictionary(directory()) if directory is not None else None
    edges = _dictionary_edges(found, window) if found is not None else jieba_edges(window)
    return start - lo in edges and end - lo in edges
