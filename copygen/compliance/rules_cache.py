"""A disk cache of compiled rule sets, so that ``copygen check "..."`` starts fast.

Parsing and validating every YAML pack and building the automaton costs more than
checking a text. The compiled result is pickled under the user cache dir, keyed by
everything it depends on: the engine version and source files, the Python version,
the installed pyahocorasick, OpenCC and pypinyin (which spell the terms' variants) and
jieba's dictionary (the word-edge table, ``word_edges.py``), each pack file's resolved
path, size and modification time, the disabled rules, the category filter and the
allowlist terms. Any change -> a new key -> the packs are loaded and validated again.
Every cache failure falls back to loading.

An entry is two files: ``KEY.pickle`` (the rule set and the compiled rules, with the
key table of ``matcher.KeyTable`` and the word-edge table of ``word_edges.py``), loaded
by every ``Checker``, and ``KEY.automaton``, loaded only when a text needs the
automaton (``Compiled.scan``). Beside them, ``dictionary-ID.jieba`` holds jieba's
dictionary sorted (``word_edges.dictionary``; ID names the dictionary file it was
read from), for the word edges the table cannot answer.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

KEEP = 6  # most recent entries kept (one is about 17 MB: the term variants)
AUTOMATON = ".automaton"  # the suffix of an entry's automaton file
# The compiled sets this process has loaded or stored, by key: a second Checker with the
# same packs (a test suite, a server building one per request) costs a dict lookup.
_MEMORY: dict[str, Any] = {}
_MEMORY_KEEP = 4


def cache_dir() -> Path:
    override = os.environ.get("COPYGEN_RULES_CACHE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "copygen" / "rules"


def enabled() -> bool:
    return os.environ.get("COPYGEN_RULES_CACHE", "").strip().lower() not in ("0", "off", "no")


def key(
    *,
    paths: Sequence[Path],
    builtin: bool,
    disabled: Iterable[str],
    only_categories: Iterable[str],
    allow_terms: Iterable[str],
) -> str | None:
    """The cache key, or None when a pack cannot be stat'ed (the loader reports that)."""
    if not enabled():
        return None
    import copygen.compliance as package
    from copygen.compliance.rule_model import ENGINE_VERSION

    # load_rules and this key look builtin_pack_files up in rules.py when it is loaded,
    # so that replacing it there (as tests do) affects both; when it is not, nothing
    # can have replaced it, and this saves importing rules.py (and YAML).
    rules: Any = sys.modules.get("copygen.compliance.rules")
    if rules is None:
        from copygen.compliance import packs as rules

    digest = hashlib.sha256()
    digest.update(f"{ENGINE_VERSION}|{sys.version}|{builtin}\n".encode())
    try:
        files = list(rules.builtin_pack_files()) if builtin else []
        for path in paths:
            files.extend(rules.pack_files(path))
        # The engine's own code is part of what is pickled: any edit invalidates; so
        # does a new version of a library the compiled rules were made with.
        code = sorted(Path(package.__file__).resolve().parent.glob("*.py"))
        for file in [*code, *_library_files(), *files]:
            stat = file.stat()
            digest.update(f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    except Exception:
        return None
    for label, values in (("d", disabled), ("o", only_categories), ("a", allow_terms)):
        digest.update(f"{label}={list(values)!r}\n".encode())
    return digest.hexdigest()


def _library_files() -> list[Path]:
    """Files standing for the libraries the compiled rules depend on: pyahocorasick's
    module (the pickled automaton), OpenCC's and pypinyin's (terms are folded to
    Simplified Chinese, variants spelled in pinyin), jieba's dictionary (the word-edge
    table). Found without importing them."""
    from importlib.util import find_spec

    from copygen.compliance.word_edges import dictionary_file

    files: list[Path] = []
    for name in ("ahocorasick", "opencc", "pypinyin"):
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin and spec.origin not in ("built-in", "frozen"):
            files.append(Path(spec.origin))
    dictionary = dictionary_file()
    if dictionary is not None:
        files.append(dictionary)
    return files


def load(cache_key: str) -> Any:
    if cache_key in _MEMORY:
        return _MEMORY[cache_key]
    path = cache_dir() / f"{cache_key}.pickle"
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
    except Exception:
        return None
    _remember(cache_key, value)
    return value


def _remember(cache_key: str, value: Any) -> None:
    _MEMORY[cache_key] = value
    while len(_MEMORY) > _MEMORY_KEEP:
        del _MEMORY[next(iter(_MEMORY))]


def store(cache_key: str, value: Any) -> None:
    from copygen.files.atomic import write_pickle

    _remember(cache_key, value)
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_pickle(directory / f"{cache_key}.pickle", value)
        _prune(directory)
    except Exception:
        return


def store_compiled(cache_key: str, ruleset: Any, compiled: Any) -> None:
    """Store a rule set and its ``matcher.Compiled``: the automaton in a file of its own
    (loaded only when needed), the word-edge table built first (``word_edges.py``)."""
    from copygen.files.atomic import write_pickle

    _remember(cache_key, (ruleset, compiled))
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if compiled.t2s is None:
            from copygen.compliance.evasions import t2s_table

            compiled.t2s = t2s_table()
        if compiled.edge_table is None:
            hits = compiled.word_edge_hits()
            if hits:
                from copygen.compliance.word_edges import table_for

                compiled.edge_table = table_for(hits, directory)
        if compiled.automaton is not None and compiled.table is not None:
            automaton_file = directory / f"{cache_key}{AUTOMATON}"
            write_pickle(automaton_file, compiled.automaton)
            compiled.automaton_file = str(automaton_file)
        write_pickle(directory / f"{cache_key}.pickle", (ruleset, compiled))
        _prune(directory)
    except Exception:
        return


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-KEEP]:
        old.unlink(missing_ok=True)
        old.with_suffix(AUTOMATON).unlink(missing_ok=True)
