"""The hash chain: canonical JSON, event hashes, the genesis value.

One function serialises an event for both writing and verifying, so the bytes on
disk are exactly the bytes that were hashed (plus the ``hash`` key itself).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64  # ``prev`` of the first event in a file
HASH_RE = re.compile(r"^[0-9a-f]{64}$")

EVENTS: tuple[str, ...] = (
    "run_started",
    "generated",
    "checked",
    "repaired",
    "reviewed",
    "exported",
    "run_finished",
    "recovered",
)
# Keys the log sets itself; event data may not use them.
ENVELOPE_KEYS: tuple[str, ...] = ("v", "seq", "ts", "run", "event", "prev", "hash")


def canonical_json(obj: Mapping[str, Any]) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 text (no ``\\u`` escapes), no NaN."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sealed_line(record: Mapping[str, Any]) -> tuple[str, bytes]:
    """``(hash, UTF-8 line with newline)`` of an event that has no ``hash`` yet.

    Serialises and encodes once: the keys sorting before ``hash`` and those after
    it are encoded separately; their joined insides are byte for byte
    ``canonical_json`` of the event without ``hash`` (what :func:`event_hash`
    hashes) and, with the hash spliced in between, of the event with it (what is
    written, and what ``verify`` recomputes).
    """
    if "hash" in record:
        raise ValueError("the event already has a hash")
    low = canonical_json({k: v for k, v in record.items() if k < "hash"})
    high = canonical_json({k: v for k, v in record.items() if k > "hash"})
    # Both are "{...}": their insides, joined with "," (an empty one left out).
    parts = [part[1:-1].encode("utf-8") for part in (low, high) if part != "{}"]
    digest = hashlib.sha256(b"{" + b",".join(parts) + b"}").hexdigest()
    field = b'"hash":"' + digest.encode("ascii") + b'"'
    ordered = [*parts[:1], field, *parts[1:]] if low != "{}" else [field, *parts]
    return digest, b"{" + b",".join(ordered) + b"}\n"


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the event's canonical JSON without its ``hash`` key."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """``value`` as JSON data: mappings, lists, str, int, float, bool, None.

    Paths and dates become strings, tuples and sets lists, dataclasses and objects
    with ``to_dict()`` their dict. Anything else is a programming error: the log
    must hold exactly what it claims, never a ``repr``.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("audit data may not contain NaN or infinity")
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=canonical_sort_key)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    raise TypeError(f"cannot write a {type(value).__name__} to the audit log")


def canonical_sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def sha256_file(path: str | PurePath, *, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) of a file's bytes, for ``input.sha256`` and ``exported.sha256``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
