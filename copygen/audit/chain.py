"""The hash chain: canonical JSON, event hashes and MACs, record hashes, the genesis value.

One function serialises an event for both writing and verifying, so the bytes on
disk are exactly the bytes that were hashed (plus the ``hash`` key itself), and,
in a keyed log, exactly the bytes that were MACed (plus ``hash`` and ``mac``).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64  # ``prev`` of the first event in a file
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
#: The longest line (one event, with its newline) written or read back. The biggest
#: real events are ``generated`` ones: a prompt and a reply of at most
#: ``max_reply_bytes`` (1 MiB by default). Readers stop at a longer line instead of
#: reading a hostile file's gigabyte-long "line" into memory.
MAX_LINE_BYTES = 64 << 20

EVENTS: tuple[str, ...] = (
    "run_started",
    "generated",
    "checked",
    "judged",
    "repaired",
    "reviewed",
    "exported",
    "run_finished",
    "recovered",
    "recorded",
    "merged",  # the first event of a `copygen merge` folder's log
    "batch_prepared",  # copygen batch: request files written (a round)
    "batch_submitted",  # copygen batch: one request file uploaded, its batch created
    "batch_collected",  # copygen batch: a round's replies recorded
)
# Keys the log sets itself; event data may not use them. ``mac`` only in a keyed log.
ENVELOPE_KEYS: tuple[str, ...] = ("v", "seq", "ts", "run", "event", "prev", "hash", "mac")


def canonical_json(obj: Mapping[str, Any]) -> str:
    """Sorted keys, no insignificant whitespace, UTF-8 text (no ``\\u`` escapes), no NaN."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sealed_line(record: Mapping[str, Any]) -> tuple[str, bytes]:
    """``(hash, UTF-8 line with newline)`` of an event that has no ``hash`` yet."""
    digest, _mac, line = seal(record)
    return digest, line


def seal(
    record: Mapping[str, Any], signer: Callable[[bytes], str] | None = None
) -> tuple[str, str | None, bytes]:
    """``(hash, mac, UTF-8 line with newline)`` of an event that has no ``hash`` yet.

    ``signer`` (a keyed log) gets ``canonical_json`` of the event as bytes and
    returns its MAC, which is written as ``mac``; the hash then covers the MAC too,
    so an unkeyed verifier still checks the whole line. Serialises and encodes
    once: the keys are encoded in groups split at ``hash`` (and ``mac``), whose
    joined insides are byte for byte the canonical JSON of the event without the
    keys left out; with ``hash`` (and ``mac``) spliced in between the groups, they
    make the line that is written (and that ``verify`` recomputes).
    """
    if "hash" in record or (signer is not None and "mac" in record):
        raise ValueError("the event already has a hash or a mac")
    groups: tuple[dict[str, Any], ...]
    if signer is None:
        groups = (
            {k: v for k, v in record.items() if k < "hash"},
            {k: v for k, v in record.items() if k > "hash"},
        )
    else:
        groups = (
            {k: v for k, v in record.items() if k < "hash"},
            {k: v for k, v in record.items() if "hash" < k < "mac"},
            {k: v for k, v in record.items() if k > "mac"},
        )
    # Each is "{...}": keep its inside, or None for an empty group.
    inside = [canonical_json(g)[1:-1].encode("utf-8") or None for g in groups]

    def join(parts: list[bytes | None]) -> bytes:
        return b"{" + b",".join(p for p in parts if p) + b"}"

    if signer is None:
        digest = hashlib.sha256(join(inside)).hexdigest()
        hash_field = b'"hash":"' + digest.encode("ascii") + b'"'
        return digest, None, join([inside[0], hash_field, inside[1]]) + b"\n"
    mac = signer(join(inside))
    mac_field = b'"mac":"' + mac.encode("ascii") + b'"'
    digest = hashlib.sha256(join([inside[0], inside[1], mac_field, inside[2]])).hexdigest()
    hash_field = b'"hash":"' + digest.encode("ascii") + b'"'
    line = join([inside[0], hash_field, inside[1], mac_field, inside[2]]) + b"\n"
    return digest, mac, line


def mac_body(event: Mapping[str, Any]) -> bytes:
    """The bytes a keyed log MACs: the event's canonical JSON without ``hash`` and ``mac``."""
    body = {k: v for k, v in event.items() if k not in ("hash", "mac")}
    return canonical_json(body).encode("utf-8")


def record_sha256(record: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a ``results.jsonl`` record's canonical JSON.

    Sorted keys, no whitespace, UTF-8. Values that are not JSON become strings
    and NaN stays ``NaN``, exactly as the result store writes them, so a record
    hashes the same before it is written and after it is read back.
    """
    text = json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
