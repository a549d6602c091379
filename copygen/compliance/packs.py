"""Where rule packs are: the built-in ones and those a path names.

Kept apart from ``rules.py`` (the YAML loader) so that the rules cache can compute its
key without importing YAML; ``rules.py`` re-exports both functions.
"""

from __future__ import annotations

from pathlib import Path

from copygen.errors import RuleError


def pack_files(path: Path) -> list[Path]:
    """A pack file, or every ``*.yaml``/``*.yml`` in a directory (sorted)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not path.exists():
        raise RuleError("rule pack not found", file=path)
    return [path]


def builtin_pack_files() -> list[Path]:
    """The packs shipped with copygen. ``load_rules`` and ``rules_cache.key`` look it up
    in ``rules.py`` when called, so replacing it there (as tests do) affects both."""
    from copygen.resources import data_dir

    try:
        return pack_files(data_dir("rules"))
    except FileNotFoundError:
        return []
