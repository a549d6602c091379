"""Reading a log back: ``verify`` (is the chain intact, and its MACs?) and ``read_events``."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.audit.chain import (
    FORMAT_VERSION,
    GENESIS,
    HASH_RE,
    MAX_LINE_BYTES,
    canonical_json,
    event_hash,
)
from copygen.audit.key import is_mac, require_key
from copygen.config import split_list
from copygen.errors import AuditError, InputError

if TYPE_CHECKING:
    from copygen.audit.key import AuditKey, Checkpoint

#: Called with each intact event and its line number, in file order.
Observer = Callable[[dict[str, Any], int], None]


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`.

    ``events`` and ``runs`` count the intact events before the first bad line;
    ``head`` is the hash of the last intact event; ``line`` (1-based) and
    ``reason`` name the first problem, or are None when ``ok`` (``line`` is None
    too for a problem of the whole log, such as a key given for a log without
    MACs). ``keyed`` counts the events that carry a MAC; ``macs_checked`` says
    whether they were checked against a key.
    """

    ok: bool
    events: int
    runs: int
    head: str
    line: int | None = None
    reason: str | None = None
    path: str = ""
    note: str | None = None
    keyed: int = 0
    macs_checked: bool = False

    def summary(self) -> str:
        if self.ok:
            text = (
                f"ok: {_plural(self.events, 'event')}, {_plural(self.runs, 'run')}, "
                f"head {self.head}"
            )
            if self.macs_checked:
                text += f", {_plural(self.keyed, 'MAC')} checked"
            return f"{text} ({self.note})" if self.note else text
        return f"line {self.line}: {self.reason}" if self.line is not None else str(self.reason)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


_ENVELOPE_TYPES: tuple[tuple[str, type], ...] = (
    ("v", int),
    ("seq", int),
    ("ts", str),
    ("run", str),
    ("event", str),
    ("prev", str),
    ("hash", str),
)


def _too_long() -> str:
    return (
        f"line longer than {MAX_LINE_BYTES} bytes: not an event copygen wrote "
        "(the rest of the file was not read)"
    )


def _bounded_lines(fh: Any) -> Iterator[bytes]:
    """The file's lines; one longer than MAX_LINE_BYTES comes back cut just past it."""
    while raw := fh.readline(MAX_LINE_BYTES + 1):
        yield raw
        if len(raw) > MAX_LINE_BYTES:
            return


def _open_log(path: Path) -> Any:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError("no such audit log", file=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not an audit log", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the audit log: {exc.strerror or exc}", file=path) from None


def _without(body: bytes, name: str, value: str) -> bytes | None:
    """A canonical JSON object's bytes without its top-level pair ``"name":"value"``.

    Verifying hashes these bytes instead of serialising the event again (twice in
    a keyed log), which makes it about twice as fast. The pair is found as the
    first occurrence of its bytes; only a nested object holding the same key with
    the same 64-hex value before it could be found instead, and then the digest
    or MAC is computed over the wrong bytes and fails to match: such a line is
    refused, never accepted.
    """
    pair = f'"{name}":"{value}"'.encode("ascii")
    at = body.find(pair)
    if at <= 0:
        return None
    end = at + len(pair)
    if body[at - 1 : at] == b",":
        return body[: at - 1] + body[end:]
    if body[end : end + 1] == b",":
        return body[:at] + body[end + 1 :]
    return body[:at] + body[end:]


def _check_line(body: bytes) -> tuple[dict[str, Any] | None, bytes, str | None]:
    """``(event, its canonical bytes without hash, None)`` or ``(None, b"", reason)``."""
    event, reason = _parse_line(body)
    if event is None:
        return None, b"", reason
    if canonical_json(event).encode("utf-8") != body:
        if event_hash(event) != event["hash"]:
            return None, b"", "hash mismatch (the line was edited)"
        return None, b"", "not in canonical form (spacing or escaping was changed)"
    unhashed = _without(body, "hash", event["hash"])
    if unhashed is None or hashlib.sha256(unhashed).hexdigest() != event["hash"]:
        return None, b"", "hash mismatch (the line was edited)"
    return event, unhashed, None


def _parse_line(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The event on one line (without its newline), or the reason it is not one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, "bad JSON: not UTF-8 text"
    try:
        event = json.loads(text)
    except ValueError as exc:
        return None, f"bad JSON: {exc}"
    if not isinstance(event, dict):
        return None, "bad JSON: not an object"
    for key, kind in _ENVELOPE_TYPES:
        value = event.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            return None, f"missing or invalid field {key!r}"
    if event["v"] > FORMAT_VERSION:
        return None, f"format version {event['v']} is newer than this copygen understands"
    if not HASH_RE.match(event["hash"]) or not HASH_RE.match(event["prev"]):
        return None, "hash or prev is not a SHA-256 hex digest"
    return event, None


#: The fewest hex digits of a head hash ``--expect-head`` takes. The report and the
#: error messages show 16; 12 are 48 bits, not found by chance in any log.
MIN_HEAD_DIGITS = 12


def normalise_head(expect_head: str) -> str:
    """A head hash as given to ``--expect-head``: the whole SHA-256 (64 hex digits) or
    its first :data:`MIN_HEAD_DIGITS` or more, as the report shows it (a trailing
    ``…`` is dropped). Lower-cased; anything else is an :class:`InputError` (exit 2).
    """
    head = expect_head.strip().lower().removesuffix("…").removesuffix("...").strip()
    if MIN_HEAD_DIGITS <= len(head) <= 64 and all(c in "0123456789abcdef" for c in head):
        return head
    raise InputError(
        f"--expect-head takes a head hash: its 64 hex digits, or the first {MIN_HEAD_DIGITS} "
        f"or more as the report shows them; got {expect_head!r}"
    )


def _shown(head: str) -> str:
    """A head hash in a message: its first 16 digits (all of a shorter prefix)."""
    return head if len(head) <= 16 else f"{head[:16]}…"


def verify(
    path: str | os.PathLike[str],
    *,
    expect_head: str | None = None,
    key: AuditKey | None = None,
    checkpoint: Checkpoint | None = None,
    observe: Observer | None = None,
) -> VerifyReport:
    """Check every line's hash, link, sequence and form; optionally head, MACs, checkpoint.

    With ``expect_head`` (a head hash kept elsewhere, e.g. printed at the end of a
    run, or its first 12 or more hex digits, see :func:`normalise_head`) the log must
    still contain that event: a log cut short after it was recorded fails, a log that
    grew since passes. A prefix that two events of the log share is an
    :class:`InputError` asking for more digits. With ``key`` every ``mac`` must
    match, and the log must have some: events before the first MAC are an older,
    unkeyed beginning (bound by the first MAC through its ``prev``), events
    without one after it are forgeries. Without a key MACs cannot be checked, but
    an event without one after keyed events still fails. ``checkpoint`` (signed
    with ``key``, see ``copygen audit checkpoint``): the event it names must still
    be there. ``observe`` sees every intact event (the record proofs use it).
    """
    from copygen.audit.log import is_locked

    target = Path(path)
    wanted = normalise_head(expect_head) if expect_head is not None else None
    if checkpoint is not None and not require_key(key, "--checkpoint").checkpoint_ok(checkpoint):
        return VerifyReport(
            False,
            0,
            0,
            GENESIS,
            None,
            "the checkpoint's signature does not match the audit key "
            "(the checkpoint was altered, or made with another key)",
            str(target),
        )
    head, seq, count, lineno, keyed = GENESIS, 0, 0, 0, 0
    runs: set[str] = set()
    wanted_line: int | None = None
    note: str | None = None

    def fail(reason: str, line: int | None = None) -> VerifyReport:
        where = lineno if line is None else line
        return VerifyReport(
            False, count, len(runs), head, where, reason, str(target), None, keyed, key is not None
        )

    with _open_log(target) as fh:
        for raw in _bounded_lines(fh):
            lineno += 1
            if len(raw) > MAX_LINE_BYTES:
                return fail(_too_long())
            if not raw.endswith(b"\n"):
                if is_locked(target):
                    note = "the last line is still being written and was not checked"
                    break
                return fail(
                    f"incomplete last line ({len(raw)} bytes without a line ending): a writer "
                    "stopped mid-event; `copygen audit recover` cuts it off and records it"
                )
            event, unhashed, reason = _check_line(raw[:-1])
            if event is None:
                return fail(reason or "bad line")
            expected = seq + 1
            if event["seq"] > expected:
                return fail(
                    f"sequence gap: expected seq {expected}, found {event['seq']} "
                    "(lines deleted or moved)"
                )
            if event["seq"] < expected:
                return fail(
                    f"sequence out of order: expected seq {expected}, found {event['seq']} "
                    "(a line inserted, duplicated or moved)"
                )
            if event["prev"] != head:
                what = "the genesis value" if lineno == 1 else f"the hash of line {lineno - 1}"
                return fail(f"broken link: prev does not match {what}")
            mac_problem = _mac_problem(event, unhashed, key, keyed)
            if mac_problem is not None:
                return fail(mac_problem)
            if "mac" in event:
                keyed += 1
            if (
                checkpoint is not None
                and event["seq"] == checkpoint.seq
                and event["hash"] != checkpoint.head
            ):
                return fail(
                    f"not the event the checkpoint names (seq {checkpoint.seq}, hash "
                    f"{checkpoint.head[:16]}…): the log was rewritten at or before this line"
                )
            head, seq = event["hash"], event["seq"]
            count += 1
            runs.add(event["run"])
            if wanted is not None and head.startswith(wanted):
                if wanted_line is not None:
                    raise InputError(
                        f"--expect-head {wanted} is the start of the heads of lines "
                        f"{wanted_line} and {lineno}: give more of its digits",
                        file=target,
                    )
                wanted_line = lineno
            if observe is not None:
                observe(event, lineno)
    if key is not None and count and not keyed:
        return fail(
            "the log carries no MACs: it was written without the audit key, or rewritten "
            "by someone without it",
            line=None,
        )
    if checkpoint is not None and seq < checkpoint.seq:
        return fail(
            f"the log ends at seq {seq}, before the checkpoint's seq {checkpoint.seq}: "
            "it was cut short (or rewritten)",
            line=count + 1,
        )
    if wanted is not None:
        if wanted_line is None:
            lineno = count + 1
            return fail(
                f"expected head {_shown(wanted)} not found (end of file): the log was "
                f"truncated or rewritten; it now ends with head {_shown(head)}"
            )
        if wanted_line != count:
            later = count - wanted_line
            extra = f"expected head is line {wanted_line}; {later} later events follow"
            note = f"{note}; {extra}" if note else extra
    if key is None and keyed:
        extra = f"{_plural(keyed, 'event')} carry a MAC, not checked without the audit key"
        note = f"{note}; {extra}" if note else extra
    return VerifyReport(
        True, count, len(runs), head, None, None, str(target), note, keyed, key is not None
    )


def _mac_problem(
    event: dict[str, Any], unhashed: bytes, key: AuditKey | None, keyed_before: int
) -> str | None:
    """Why an event's MAC (or its absence) fails, or None. ``unhashed``: see _check_line."""
    if "mac" not in event:
        if keyed_before:
            return (
                "no MAC after keyed events: appended or rewritten by someone without the audit key"
            )
        return None
    mac = event["mac"]
    if not is_mac(mac):
        return "mac is not an HMAC-SHA256 hex digest"
    body = _without(unhashed, "mac", mac) if key is not None else None
    if key is not None and (body is None or not key.mac_ok(body, mac)):
        return "MAC mismatch: the line was rewritten, or written with another audit key"
    return None


def _event_names(event: str | Iterable[str] | None) -> frozenset[str] | None:
    if event is None:
        return None
    return frozenset(split_list(event)) or None


def _matches_item(value: Any, item: str) -> bool:
    # An exact item id, or every item of a SKU / SKU+platform: ids are
    # ``{sku}:{platform}:{lang}:v{variant}``.
    return isinstance(value, str) and (value == item or value.startswith(item + ":"))


def iter_events(
    path: str | os.PathLike[str],
    *,
    item: str | None = None,
    event: str | Iterable[str] | None = None,
    run: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Events of a log, in file order, optionally filtered.

    ``item`` matches an item id exactly or as a prefix up to a ``:`` (a SKU);
    ``event`` is a name, a comma-separated list or an iterable of names; ``run``
    matches a run id or its prefix. A torn last line is skipped; any other line
    that is not JSON raises :class:`AuditError` (run ``verify`` for the details).
    Reading does not check the chain.
    """
    target = Path(path)
    names = _event_names(event)
    with _open_log(target) as fh:
        for lineno, raw in enumerate(_bounded_lines(fh), start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise AuditError(_too_long(), file=target, row=lineno)
            if not raw.endswith(b"\n"):
                break  # torn tail of a crashed or running writer
            try:
                record = json.loads(raw)
            except ValueError:
                raise AuditError("not a JSON line", file=target, row=lineno) from None
            if not isinstance(record, dict):
                raise AuditError("not a JSON object", file=target, row=lineno)
            if names is not None and record.get("event") not in names:
                continue
            if run is not None and not str(record.get("run", "")).startswith(run):
                continue
            if item is not None and not _matches_item(record.get("item"), item):
                continue
            yield record


def read_events(
    path: str | os.PathLike[str],
    *,
    item: str | None = None,
    event: str | Iterable[str] | None = None,
    run: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`iter_events` as a list."""
    return list(iter_events(path, item=item, event=event, run=run))
