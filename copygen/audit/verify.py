"""Reading a log back: ``verify`` (is the chain intact?) and ``read_events``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from copygen.audit.chain import FORMAT_VERSION, GENESIS, HASH_RE, canonical_json, event_hash
from copygen.errors import AuditError, InputError


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`.

    ``events`` and ``runs`` count the intact events before the first bad line;
    ``head`` is the hash of the last intact event; ``line`` (1-based) and
    ``reason`` name the first problem, or are None when ``ok``.
    """

    ok: bool
    events: int
    runs: int
    head: str
    line: int | None = None
    reason: str | None = None
    path: str = ""
    note: str | None = None

    def summary(self) -> str:
        if self.ok:
            text = (
                f"ok: {_plural(self.events, 'event')}, {_plural(self.runs, 'run')}, "
                f"head {self.head}"
            )
            return f"{text} ({self.note})" if self.note else text
        return f"line {self.line}: {self.reason}"

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


def _open_log(path: Path) -> Any:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError("no such audit log", file=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not an audit log", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the audit log: {exc.strerror or exc}", file=path) from None


def _check_line(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
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
    if event_hash(event) != event["hash"]:
        return None, "hash mismatch (the line was edited)"
    if canonical_json(event).encode("utf-8") != body:
        return None, "not in canonical form (spacing or escaping was changed)"
    return event, None


def normalise_head(expect_head: str) -> str:
    head = expect_head.strip().lower()
    if not HASH_RE.match(head):
        raise InputError(
            f"--expect-head must be a 64-character SHA-256 hex digest, got {expect_head!r}"
        )
    return head


def verify(path: str | os.PathLike[str], *, expect_head: str | None = None) -> VerifyReport:
    """Check every line's hash, link, sequence and form; optionally the head.

    With ``expect_head`` (a head hash kept elsewhere, e.g. printed at the end of a
    run) the log must still contain that event: a log cut short after it was
    recorded fails, a log that grew since passes.
    """
    from copygen.audit.log import is_locked

    target = Path(path)
    wanted = normalise_head(expect_head) if expect_head is not None else None
    head, seq, count, lineno = GENESIS, 0, 0, 0
    runs: set[str] = set()
    wanted_line: int | None = None
    note: str | None = None

    def fail(reason: str) -> VerifyReport:
        return VerifyReport(False, count, len(runs), head, lineno, reason, str(target))

    with _open_log(target) as fh:
        for raw in fh:
            lineno += 1
            if not raw.endswith(b"\n"):
                if is_locked(target):
                    note = "the last line is still being written and was not checked"
                    break
                return fail(
                    f"incomplete last line ({len(raw)} bytes without a line ending): a writer "
                    "stopped mid-event; `copygen audit recover` cuts it off and records it"
                )
            event, reason = _check_line(raw[:-1])
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
            head, seq = event["hash"], event["seq"]
            count += 1
            runs.add(event["run"])
            if wanted is not None and head == wanted:
                wanted_line = lineno
    if wanted is not None:
        if wanted_line is None:
            lineno = count + 1
            return fail(
                f"expected head {wanted[:16]}… not found (end of file): the log was truncated "
                f"or rewritten; it now ends with head {head[:16]}…"
            )
        if wanted_line != count:
            later = count - wanted_line
            extra = f"expected head is line {wanted_line}; {later} later events follow"
            note = f"{note}; {extra}" if note else extra
    return VerifyReport(True, count, len(runs), head, None, None, str(target), note)


def _event_names(event: str | Iterable[str] | None) -> frozenset[str] | None:
    if event is None:
        return None
    names = event.split(",") if isinstance(event, str) else list(event)
    return frozenset(n.strip() for n in names if n.strip()) or None


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
        for lineno, raw in enumerate(fh, start=1):
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
