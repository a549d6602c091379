"""A disk cache of compiled rule sets, so that ``copygen check "..."`` starts fast.

Parsing and validating every YAML pack and building the automaton costs more than
checking a text. The compiled result is pickled under the user cache dir, keyed by
everything it depends on: the engine version and source files, Python and
pyahocorasick versions, each pack file's resolved path, size and modification
time, the disabled rules, the category filter and the allowlist terms. Any
change -> a new key -> the packs are loaded and validated again. Every cache
failure falls back to loading.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

KEEP = 6  # most recent entries kept (one is about 15 MB: the term variants)
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
    from importlib.metadata import PackageNotFoundError, version

    from copygen.compliance.rules import ENGINE_VERSION, builtin_pack_files, pack_files

    try:
        ac_version = version("pyahocorasick")
    except PackageNotFoundError:
        ac_version = "?"
    digest = hashlib.sha256()
    digest.update(f"{ENGINE_VERSION}|{sys.version}|{ac_version}|{builtin}\n".encode())
    try:
        files = list(builtin_pack_files()) if builtin else []
        for path in paths:
            files.extend(pack_files(path))
        # The engine's own code is part of what is pickled: any edit invalidates.
        code = sorted(Path(__file__).resolve().parent.glob("*.py"))
        for file in [*code, *files]:
            stat = file.stat()
            digest.update(f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    except Exception:
        return None
    for label, values in (("d", disabled), ("o", only_categories), ("a", allow_terms)):
        digest.update(f"{label}={list(values)!r}\n".encode())
    return digest.hexdigest()


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
    _remember(cache_key, value)
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{cache_key}.pickle")
        entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except Exception:
        return
