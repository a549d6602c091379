"""Chinese words and their part-of-speech tags without loading jieba.

The offline writer asks two small questions of jieba: where the words of a short
phrase are (``jieba.lcut``) and what the first and last of them are (``jieba.posseg``:
noun, verb, adjective). Loading jieba for that costs about 65 MB for its dictionary
and 55 MB more for the tag table and the tagging HMM, which made an offline run
peak at 270 MB. Here the words come from jieba's dictionary kept sorted with the
rules cache (``compliance.word_edges``, as the checker uses it) and the tags from a
compact table built once from the same ``dict.txt`` and kept beside it: a few MB.

The words are jieba's dictionary segmentation (``HMM=False``) and a word's tag is
the one ``dict.txt`` gives it (what ``jieba.posseg`` reports for a dictionary word).
jieba regroups a run of single characters that no dictionary word covers with its
HMM; here they stay single characters. Measured against ``jieba.posseg``: the kind
``phrasing.zh_point_kind`` gives differs for 4 of 1,585 selling points and titles of
the sample sheets, and for 1.6% of 17,002 phrases of AdvertiseGen copy (regrouping
such runs into one word did worse: 2.7-3.3%). When there is no cache directory
(the rules cache turned off) or no jieba dictionary file, ``words``/``tagged``
return None and the caller uses jieba itself.
"""

from __future__ import annotations

import pickle
import re
from array import array
from bisect import bisect_left
from pathlib import Path

from copygen.compliance.word_edges import (
    Dictionary,
    dictionary,
    dictionary_file,
    file_identity,
    keep,
)

__all__ = ["TagTable", "tagged", "words"]

_SUFFIX = ".tags"
_FORMAT = "1"
_ENG = re.compile(r"[a-zA-Z0-9]+")


class TagTable:
    """The tag of each word of a ``Dictionary``, in its (sorted) order."""

    __slots__ = ("codes", "names")

    def __init__(self, names: list[str], codes: array[int]) -> None:
        self.names = names  # tag code -> tag
        self.codes = codes  # word number -> tag code

    @classmethod
    def read(cls, path: Path, found: Dictionary) -> TagTable:
        """The tags ``path`` (jieba's ``dict.txt``: ``word frequency [tag]``) gives the
        words of ``found``; the last line of a word counts, as in jieba."""
        tag_of: dict[str, str] = {}
        for line in path.read_bytes().decode("utf-8").splitlines():
            parts = line.strip().split(" ")
            if len(parts) >= 3:
                tag_of[parts[0]] = parts[2]
        names: list[str] = ["x"]
        number: dict[str, int] = {"x": 0}
        codes = array("B")
        for word in found.words.all():
            tag = tag_of.get(word, "x")
            code = number.get(tag)
            if code is None:
                code = number[tag] = len(names)
                names.append(tag)
            codes.append(code)
        return cls(names, codes)

    def tag(self, found: Dictionary, word: str) -> str:
        if _ENG.fullmatch(word):  # letters and digits, joined: posseg's "eng"
            return "eng"
        at = bisect_left(found.words, word)
        if at < len(found.words) and found.words[at] == word:
            return self.names[self.codes[at]]
        return "x"


# dict.txt identity -> (dictionary, tags) this process loaded (None: not available)
_LOADED: dict[str, tuple[Dictionary, TagTable] | None] = {}


def _directory() -> Path | None:
    from copygen.compliance import rules_cache

    return rules_cache.cache_dir() if rules_cache.enabled() else None


def _load() -> tuple[Dictionary, TagTable] | None:
    directory = _directory()
    path = dictionary_file()
    if directory is None or path is None:
        return None
    try:
        identity = file_identity(path, _FORMAT)
    except OSError:
        return None
    if identity in _LOADED:
        return _LOADED[identity]
    found = dictionary(directory)
    loaded: tuple[Dictionary, TagTable] | None = None
    if found is not None:
        kept = directory / f"tags-{identity}{_SUFFIX}"
        table: TagTable | None = None
        try:
            with kept.open("rb") as handle:
                value = pickle.load(handle)
            if isinstance(value, TagTable) and len(value.codes) == len(found.words):
                table = value
        except Exception:
            table = None
        if table is None:
            try:
                table = TagTable.read(path, found)
            except (OSError, ValueError):
                table = None
            if table is not None:
                keep(directory, kept, table)
        if table is not None:
            loaded = (found, table)
    _LOADED[identity] = loaded
    return loaded


def words(text: str) -> list[str] | None:
    """The words of ``text`` (blanks left out); None: ask jieba."""
    loaded = _load()
    if loaded is None:
        return None
    return [piece for piece in loaded[0].pieces(text) if piece.strip()]


def tagged(text: str) -> list[tuple[str, str]] | None:
    """(word, tag) for the words of ``text`` (blanks left out); None: ask jieba."""
    loaded = _load()
    if loaded is None:
        return None
    found, table = loaded
    return [(piece, table.tag(found, piece)) for piece in found.pieces(text) if piece.strip()]
