"""The output folder of ``copygen generate`` as review, export and report find it.

Its result records, the audit log that belongs to it, and the proof that the one
matches the other (:func:`prove_outdir`). Everything that works on a finished
folder starts here, so this module imports none of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.errors import InputError

if TYPE_CHECKING:
    from copygen.audit import AuditLog
    from copygen.audit.binding import RecordProof
    from copygen.audit.key import AuditKey, Checkpoint
    from copygen.config import Settings

__all__ = [
    "AUDIT_FILE",
    "audit_session",
    "load_items",
    "load_numbered_items",
    "prove_outdir",
    "resolve_audit_path",
]

AUDIT_FILE = "audit.jsonl"


def load_items(outdir: str | Path) -> list[dict[str, Any]]:
    """The result records of an output folder (InputError when it has none)."""
    return [record for _, record in load_numbered_items(outdir)]


def load_numbered_items(outdir: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line, record)`` of an output folder's records (InputError when it has none)."""
    from copygen.generate.store import ResultStore

    folder = Path(outdir)
    if not folder.is_dir():
        raise InputError("output folder not found", file=folder)
    store = ResultStore(folder)
    if not store.path.is_file():
        raise InputError(
            "no results.jsonl in this folder",
            file=folder,
            hint="point at the -o folder of 'copygen generate'",
        )
    return list(store.numbered_records())


def resolve_audit_path(
    outdir: str | Path,
    *,
    settings: Settings | None = None,
    explicit: str | Path | None = None,
) -> Path:
    """The audit log that belongs to an output folder.

    In order: the path given on the command line; the one the run manifest
    (``OUTDIR/run.json``) recorded, when ``generate --audit`` sent the log
    elsewhere; ``audit`` of the settings; ``OUTDIR/audit.jsonl``.
    """
    if explicit is not None:
        return Path(explicit)
    folder = Path(outdir)
    manifest = folder / "run.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        recorded = data.get("audit") if isinstance(data, dict) else None
        runs = data.get("runs") if isinstance(data, dict) else None
        if not recorded and isinstance(runs, list):
            for entry in reversed(runs):
                if isinstance(entry, dict) and entry.get("audit"):
                    recorded = entry["audit"]
                    break
        if isinstance(recorded, str) and recorded:
            path = Path(recorded)
            return path if path.is_absolute() else folder / path
    if settings is not None and settings.audit is not None:
        return Path(settings.audit)
    return folder / AUDIT_FILE


def prove_outdir(
    outdir: str | Path,
    records: list[tuple[int, dict[str, Any]]],
    *,
    log: Path,
    key: AuditKey | None,
    expect_head: str | None = None,
    checkpoint: Checkpoint | None = None,
) -> RecordProof:
    """Judge ``records`` (``(line, record)`` of the folder) against the audit log ``log``.

    See :mod:`copygen.audit.binding`; the caller decides what to refuse.
    """
    from copygen.audit.binding import prove_records
    from copygen.generate.store import RESULTS_FILE

    return prove_records(
        records,
        results=Path(outdir) / RESULTS_FILE,
        log=log,
        key=key,
        expect_head=expect_head,
        checkpoint=checkpoint,
    )


@contextmanager
def audit_session(
    path: Path,
    *,
    command: str,
    outdir: Path,
    key: AuditKey | None = None,
    **details: Any,
) -> Iterator[AuditLog]:
    """The audit log opened (and locked) for one review or export session.

    The session is bracketed by ``run_started`` (command, version, outdir) and
    ``run_finished``, so its events are easy to find and its head is recorded.
    ``key``: the audit key, for a keyed log (see :mod:`copygen.audit.key`).
    """
    from copygen import __version__
    from copygen.audit import AuditLog

    with AuditLog.open(path, key=key) as log:
        log.append("run_started", command=command, version=__version__, outdir=str(outdir))
        outcome = "interrupted"
        try:
            yield log
            outcome = "completed"
        finally:
            if not log.closed:
                log.append("run_finished", command=command, outcome=outcome, **details)
