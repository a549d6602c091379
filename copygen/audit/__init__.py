"""The tamper-evident audit log.

Format: append-only JSONL, one event a line, UTF-8. Each line is the event's
canonical JSON (sorted keys, separators ``,`` and ``:``, no ``\\u`` escapes) with
this envelope:

- ``v``: format version (1)
- ``seq``: 1, 2, 3, ... across the whole file (several runs may share one log)
- ``ts``: UTC time, ISO 8601 (``2026-11-28T15:12:41.123Z``)
- ``run``: id of the run that wrote it
- ``event``: ``run_started``, ``generated``, ``checked``, ``repaired``,
  ``recorded``, ``reviewed``, ``exported``, ``run_finished`` or ``recovered``
- ``prev``: ``hash`` of the previous line; 64 zeros (:data:`GENESIS`) on line 1
- ``mac`` (keyed logs only): HMAC-SHA256 (hex), under a key derived from the
  audit key, of the canonical JSON of the event without ``hash`` and ``mac``
- ``hash``: SHA-256 (hex) of the canonical JSON of the event without ``hash``
  (so it covers ``mac`` too)

plus the event's payload (:mod:`copygen.audit.events` documents each type).
Editing, deleting, inserting or reordering lines breaks a hash, a link or the
sequence, which :func:`verify` reports with the first bad line. Cutting lines off
the end leaves a valid shorter chain: keep the head hash printed at the end of a
run somewhere else and pass it as ``expect_head``. Anyone can recompute SHA-256,
so a person who rewrites the whole tail is caught only by that kept head.

Records prove themselves (:mod:`copygen.audit.binding`): every ``results.jsonl``
record's SHA-256 is logged by the event that produced it (``recorded``, the item's
last event of a run; ``reviewed``, for a decision, with the hash it replaces), and
export, report and ``copygen audit verify OUTDIR`` refuse a record the log does
not hold. Logs written before this hold no record hashes: they verify as before,
but their records are *unproven* (export and report warn, ``audit verify OUTDIR``
fails, and with an audit key in force export and report refuse).

Threat model. The attacker can read and write the output folder and the log
(a colleague with a text editor, a script, someone with the shared drive), but
cannot run code on the machines that hold the audit key.

- Without a key, the log is tamper-*evident* against edits, not against a
  forger: an edited record (``blocked`` flipped to ``pass``), an edited, deleted,
  inserted or reordered event, and an event appended by hand without its
  hash are caught. Someone who knows the format can recompute every hash and
  rewrite the log from any point to its end (and a record's hash with it); only a
  head kept elsewhere (``--expect-head``) catches that. Deleting the log, or
  pointing ``run.json`` at another one, leaves records unproven: export and
  report warn, ``audit verify OUTDIR`` fails.
- With a key (``COPYGEN_AUDIT_KEY``, ``--audit-key-file`` or ``audit_key_file``;
  :mod:`copygen.audit.key`), every event carries a MAC only a key holder can
  make, so rewriting any event, appending one (with or without a MAC), or
  replacing the whole log with an unkeyed one fails verification with the key,
  and so does an event without a MAC after keyed ones (even without the key).
  Export and report in a keyed setup accept only records a keyed log proves: a
  missing, unkeyed or older log is refused. A writer without the key, or with
  another one, is refused before it writes to a keyed log.
- What a key does not stop: cutting events off the end (the shorter log still
  verifies). ``copygen audit checkpoint`` prints a signed head (seq, hash, MAC)
  to keep elsewhere; ``audit verify --checkpoint`` fails when the log no longer
  holds it. Nor does it stop a key holder, or anyone who can run copygen where
  the key is, from writing whatever they like: they are trusted by definition.
  Copying a record between two folders of the same items that share one log
  passes (both are states copygen produced and checked), and so does pasting
  back a record from before ``generate --force`` started a folder over.
- The key never appears in output, errors or the log: it is scrubbed from event
  data like an API key, and checkpoints and MACs use keys derived from it, so
  they reveal nothing about it beyond what any HMAC does.

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
    record_sha256,
    sha256_file,
)
from copygen.audit.key import AuditKey, Checkpoint, key_from_settings, load_key
from copygen.audit.log import AuditLog, is_locked, new_run_id, utc_now
from copygen.audit.verify import VerifyReport, iter_events, read_events, verify

__all__ = [
    "ENVELOPE_KEYS",
    "EVENTS",
    "FORMAT_VERSION",
    "GENESIS",
    "AuditKey",
    "AuditLog",
    "Checkpoint",
    "VerifyReport",
    "canonical_json",
    "event_hash",
    "is_locked",
    "iter_events",
    "key_from_settings",
    "load_key",
    "new_run_id",
    "read_events",
    "record_sha256",
    "sha256_file",
    "utc_now",
    "verify",
]
