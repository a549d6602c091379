"""The tamper-evident audit log.

Format: append-only JSONL, one event a line, UTF-8. Each line is the event's
canonical JSON (sorted keys, separators ``,`` and ``:``, no ``\\u`` escapes) with
this envelope:

- ``v``: format version (1)
- ``seq``: 1, 2, 3, ... across the whole file (several runs may share one log)
- ``ts``: UTC time, ISO 8601 (``2026-11-28T15:12:41.123Z``)
- ``run``: id of the run that wrote it
- ``event``: ``run_started``, ``generated``, ``checked``, ``repaired``,
  ``reviewed``, ``exported``, ``run_finished`` or ``recovered``
- ``prev``: ``hash`` of the previous line; 64 zeros (:data:`GENESIS`) on line 1
- ``hash``: SHA-256 (hex) of the canonical JSON of the event without ``hash``

plus the event's payload (:mod:`copygen.audit.events` documents each type).
Editing, deleting, inserting or reordering lines breaks a hash, a link or the
sequence, which :func:`verify` reports with the first bad line. Cutting lines off
the end leaves a valid shorter chain: keep the head hash printed at the end of a
run somewhere else and pass it as ``expect_head``. Anyone can recompute SHA-256,
so a person who rewrites the whole tail is caught only by that kept head.

Writing (:class:`AuditLog`): one locked writer per file, each event fsynced,
credentials scrubbed and prompts masked for personal data
(:mod:`copygen.audit.scrub`), torn tails recovered on open
(:mod:`copygen.audit.log`).
"""

from __future__ import annotations

from copygen.audit.chain import (
    ENVELOPE_KEYS,
    EVENTS,
    FORMAT_VERSION,
    GENESIS,
    canonical_json,
    event_hash,
    sha256_file,
)
from copygen.audit.log import AuditLog, is_locked, new_run_id, utc_now
from copygen.audit.verify import VerifyReport, iter_events, read_events, verify

__all__ = [
    "ENVELOPE_KEYS",
    "EVENTS",
    "FORMAT_VERSION",
    "GENESIS",
    "AuditLog",
    "VerifyReport",
    "canonical_json",
    "event_hash",
    "is_locked",
    "iter_events",
    "new_run_id",
    "read_events",
    "sha256_file",
    "utc_now",
    "verify",
]
