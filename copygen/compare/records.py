"""The backends' output folders of a comparison, read as records to set side by side.

A comparison folder holds one ``generate`` output folder per backend profile
(``OUTDIR/<profile>/``) made from the same rows, platforms, variants and seed, so
the same ``item_key`` names the same task in every one of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ItemKey", "backend_folder", "fields_text", "item_key", "load_records"]

#: (sku, platform, lang, variant): the same task in every backend's folder.
ItemKey = tuple[str, str, str, int]


def backend_folder(outdir: Path, name: str) -> Path:
    return outdir / name


def load_records(folder: Path) -> Iterator[dict[str, Any]]:
    """The records of one backend's folder (the last one per item), streaming."""
    from copygen.generate.store import ResultStore

    store = ResultStore(folder)
    if store.exists():
        yield from store.iter_records()


def item_key(record: Mapping[str, Any]) -> ItemKey:
    return (
        str(record.get("sku") or ""),
        str(record.get("platform") or ""),
        str(record.get("lang") or ""),
        int(record.get("variant") or 1),
    )


def fields_text(fields: Mapping[str, Any] | None) -> str:
    """A record's fields as one plain text, field by field (lists one item a line,
    hashtags on one line): what a person rating the copy reads."""
    if not fields:
        return ""
    parts: list[str] = []
    for name, value in fields.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, (list, tuple)):
            if name == "hashtags":
                parts.append(" ".join(f"#{str(v).lstrip('#')}" for v in value))
            else:
                parts.append("\n".join(f"- {v}" for v in value))
        else:
            parts.append(str(value))
    return "\n\n".join(parts)
