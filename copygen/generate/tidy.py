"""Format slips a program can mend without asking the model again.

A small model's commonest format findings are lists: ten hashtags where eight
are allowed, a tag that is a whole sentence. Mending them here costs nothing and
always works, where a repair round costs a minute on a CPU server and often does
not. (Hashtags written with ``#`` and repeated items are already mended by the
reply parser, :mod:`copygen.backends.parsing`.) Only list fields are touched, and
only by removing items: first items over the per-item length while more than the
minimum remain, then items past the platform's maximum. Texts are never cut, since
a cut sentence reads worse than a long one; the repair prompt asks the model to
shorten them, naming the limit and the length.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from copygen.platforms import PLATFORM_SPECS, FieldSpec

__all__ = ["tidy_fields"]


def tidy_fields(fields: Mapping[str, Any], platform: str) -> tuple[dict[str, Any], list[str]]:
    """The fields with list slips mended, and one note per change (for the audit log)."""
    spec = PLATFORM_SPECS.get(platform)
    out = dict(fields)
    notes: list[str] = []
    if spec is None:
        return out, notes
    for field_spec in spec.fields:
        value = out.get(field_spec.name)
        if field_spec.kind != "list" or not isinstance(value, list):
            continue
        if not all(isinstance(item, str) for item in value):
            continue  # not a list of texts: leave it to the format check
        tidied, changes = _tidy_list(list(value), field_spec)
        if changes:
            out[field_spec.name] = tidied
            notes.extend(changes)
    return out, notes


def _tidy_list(items: list[str], spec: FieldSpec) -> tuple[list[str], list[str]]:
    notes: list[str] = []
    name = spec.name
    if spec.max_chars is not None:
        floor = spec.min_items or 0
        kept: list[str] = []
        dropped = 0
        for position, item in enumerate(items):
            left = len(items) - position - 1  # items still to come
            if len(item) > spec.max_chars and len(kept) + left >= floor:
                dropped += 1
                continue
            kept.append(item)
        if dropped:
            notes.append(f"{name}: {dropped} items over {spec.max_chars} characters removed")
        items = kept
    if spec.max_items is not None and len(items) > spec.max_items:
        notes.append(f"{name}: {len(items)} items cut to the first {spec.max_items}")
        items = items[: spec.max_items]
    return items, notes
