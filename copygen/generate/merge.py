"""``copygen merge``: the output folders of ``generate --shard I/N`` joined into one.

N machines each run ``copygen generate products.csv --shard I/N -o outI``; each
folder then holds the items of its shard (``plan.shard_of``), its own results and
its own audit log. :func:`merge` checks that the folders belong together — the same
fingerprint apart from the shard (input file, model, settings, templates, rules…),
the same N, every shard once, no item in two folders, every log intact and proving
its folder's records — and writes one folder that review, export and report use
like any other:

- ``results.jsonl``: every record, in the order an unsharded run writes them (input
  row, then platform, then variant), records without a row last by id;
- ``results.csv`` (and ``results.xlsx`` when an input had one), by the table writer;
- ``run.json``: the shared fingerprint plus ``merge`` (N), so ``generate`` never
  resumes into the folder, and a ``merge`` section naming the shards;
- ``shards/<I>/audit.jsonl`` (and ``run.json``): each shard's log copied byte for byte,
  so it still verifies on its own;
- ``audit.jsonl``: starts with a ``merged`` event recording, per shard, its folder,
  ``I/N``, log head hash, record count and results.jsonl SHA-256. Records prove
  themselves through the shards' logs it lists (``copygen.audit.binding``); review
  decisions on the merged folder go into this log.

Missing shards are refused (exit 2) unless ``allow_partial``: a partial merge is
written and says which shards it lacks (``merged`` event and run.json).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen import __version__
from copygen.errors import AuditError, ConfigError, InputError
from copygen.generate.manifest import (
    MANIFEST_FILE,
    RunManifest,
    describe_differences,
    file_sha256,
    fingerprint_hash,
)
from copygen.generate.plan import shard_of
from copygen.generate.store import RESULTS_FILE, ResultStore, dumps_record
from copygen.generate.tables import CSV_FILE, XLSX_FILE

if TYPE_CHECKING:
    from copygen.audit.key import AuditKey
    from copygen.config import Settings

__all__ = ["SHARDS_DIR", "MergeSummary", "ShardInput", "merge"]

AUDIT_FILE = "audit.jsonl"
#: Where the shards' logs are copied, one folder per shard number.
SHARDS_DIR = "shards"
#: The fingerprint key a merged folder adds: no generate run matches it.
MERGE_KEY = "merge"
_SHARD_KEY = "shard"
_OWN = (RESULTS_FILE, CSV_FILE, XLSX_FILE, MANIFEST_FILE, AUDIT_FILE, SHARDS_DIR)


@dataclass
class ShardInput:
    """One input folder, as read and checked."""

    folder: Path
    index: int
    count: int
    fingerprint: dict[str, Any]
    log: Path
    records: dict[str, dict[str, Any]]
    head: str = ""
    events: int = 0
    results_sha256: str = ""
    xlsx: bool = False
    #: Records its log cannot prove (an unkeyed log older than record hashes).
    warning: str | None = None

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass
class MergeSummary:
    outdir: Path
    count: int
    shards: list[int]
    missing: list[int]
    records: int
    audit_path: Path
    audit_head: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.missing)


def merge(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    *,
    settings: Settings | None = None,
    force: bool = False,
    allow_partial: bool = False,
) -> MergeSummary:
    """Merge the folders of ``generate --shard I/N`` runs into ``outdir``.

    ConfigError/InputError (exit 2): an input is not a shard's output folder, the
    settings differ (naming the key), N differs, a shard is given twice, an item is
    in two folders or in the wrong shard, shards are missing (unless
    ``allow_partial``), or ``outdir`` already holds results (unless ``force``, which
    moves them aside). AuditError (exit 4): an input's audit log fails verification
    or does not prove its records. ``settings``: for the audit key and the tables'
    AI labels (default: copygen's defaults).
    """
    from copygen.audit.key import key_from_settings
    from copygen.config import Settings

    settings = settings or Settings()
    key = key_from_settings(settings)
    target = Path(outdir)
    if not inputs:
        raise ConfigError("merge needs the output folders of the shards to merge")
    shards = [_read_input(Path(folder), key=key) for folder in inputs]
    _check_together(shards, target)
    count = shards[0].count
    missing = sorted(set(range(1, count + 1)) - {s.index for s in shards})
    warnings = [s.warning for s in shards if s.warning]
    if missing:
        listed = ", ".join(f"{i}/{count}" for i in missing)
        if not allow_partial:
            raise ConfigError(
                f"shards missing: {listed}",
                hint="merge every shard, or add --allow-partial to write a partial merge",
            )
        warnings.append(f"partial merge: shards {listed} are missing")
    _claim(target, force=force)
    common = {k: v for k, v in shards[0].fingerprint.items() if k != _SHARD_KEY}
    tables_settings = replace(settings, platforms=tuple(common.get("platforms") or ()))
    summary = _write(
        shards,
        target,
        common=common,
        missing=missing,
        settings=tables_settings,
        key=key,
    )
    summary.warnings = warnings
    return summary


def _read_input(folder: Path, *, key: AuditKey | None) -> ShardInput:
    """An input folder's fingerprint, records and log; its records proven by its log."""
    from copygen.audit.binding import prove_records

    if not folder.is_dir():
        raise InputError("not a folder", file=folder, hint="give the -o folders of the shards")
    manifest = RunManifest.load(folder)
    if manifest is None or not (folder / RESULTS_FILE).is_file():
        raise InputError(
            "not a generate output folder (no run.json and results.jsonl)",
            file=folder,
            hint="give the -o folders of `copygen generate --shard I/N` runs",
        )
    fingerprint = manifest.fingerprint
    if MERGE_KEY in fingerprint:
        raise InputError("already a merged folder; merge the shards' own folders", file=folder)
    part = fingerprint.get(_SHARD_KEY)
    if not (
        isinstance(part, list)
        and len(part) == 2
        and all(isinstance(n, int) for n in part)
        and 1 <= part[0] <= part[1]
    ):
        raise InputError("not a shard: generated without --shard I/N", file=folder)
    # Hold the folder's lock while reading, so no generate or review writes meanwhile.
    with ResultStore(folder).lock():
        store = ResultStore(folder)
        numbered = list(store.numbered_records())
        log = _audit_path(folder, manifest)
        if not log.is_file():
            raise AuditError("no audit log for this folder", file=log)
        proof = prove_records(numbered, results=store.path, log=log, key=key)
        # Exit 4 for a log that fails verification or contradicts the records.
        warning = proof.enforce(keyed=key is not None)
        assert proof.report is not None
        records: dict[str, dict[str, Any]] = {}
        for _, record in numbered:
            records[str(record.get("id"))] = record
        return ShardInput(
            folder=folder,
            index=part[0],
            count=part[1],
            fingerprint=dict(fingerprint),
            log=log,
            records=records,
            head=proof.report.head,
            events=proof.report.events,
            results_sha256=file_sha256(folder / RESULTS_FILE),
            xlsx=(folder / XLSX_FILE).is_file(),
            warning=f"{folder}: {warning}" if warning else None,
        )


def _audit_path(folder: Path, manifest: RunManifest) -> Path:
    """The log that proves the folder's records: the one ``generate --audit`` named in
    run.json (latest run first), else ``OUTDIR/audit.jsonl`` — as review finds it
    (``copygen.review.outdir.resolve_audit_path``, a layer above this one)."""
    for entry in reversed(manifest.runs):
        recorded = entry.get("audit") if isinstance(entry, dict) else None
        if isinstance(recorded, str) and recorded:
            path = Path(recorded)
            return path if path.is_absolute() else folder / path
    return folder / AUDIT_FILE


def _check_together(shards: Sequence[ShardInput], target: Path) -> None:
    """ConfigError (exit 2) unless the folders are distinct shards of one run."""
    first = shards[0]
    base = {k: v for k, v in first.fingerprint.items() if k != _SHARD_KEY}
    seen: dict[int, Path] = {}
    owner: dict[str, Path] = {}
    resolved = target.resolve()
    for shard in shards:
        if shard.folder.resolve() == resolved:
            raise ConfigError("the output folder is one of the inputs", file=target)
        mine = {k: v for k, v in shard.fingerprint.items() if k != _SHARD_KEY}
        if mine != base:
            raise ConfigError(
                f"not shards of the same run: {shard.folder} differs from {first.folder}: "
                + "; ".join(describe_differences(base, mine)),
                hint="merge only folders generated from the same input with the same settings",
            )
        if shard.count != first.count:
            raise ConfigError(
                f"shards of different N: {shard.folder} is {shard.label}, "
                f"{first.folder} is {first.label}"
            )
        if shard.index in seen:
            raise ConfigError(
                f"shard {shard.label} given twice: {seen[shard.index]} and {shard.folder}"
            )
        seen[shard.index] = shard.folder
        for item in shard.records:
            if item in owner:
                raise ConfigError(
                    f"item {item} is in two folders: {owner[item]} and {shard.folder}"
                )
            owner[item] = shard.folder
            if shard_of(item, shard.count) != shard.index:
                raise ConfigError(
                    f"item {item} does not belong to shard {shard.label}",
                    file=shard.folder,
                    hint="the folder was not written by generate --shard alone",
                )


def _claim(target: Path, *, force: bool) -> None:
    """Make ``target`` ready: new or empty; with ``force`` earlier files are moved aside."""
    present = [name for name in _OWN if (target / name).exists()]
    if present and not force:
        raise ConfigError(
            "output folder already holds results: " + ", ".join(present),
            file=target,
            hint="choose another -o folder, or add --force (old files are kept under a new name)",
        )
    target.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for name in present:
        stem, dot, ext = name.partition(".")
        os.replace(target / name, target / f"{stem}.superseded-{stamp}{dot}{ext}")


def _order_key(platforms: Sequence[str]) -> Any:
    """Records in the order an unsharded run writes them: row, platform, variant."""
    rank = {name: i for i, name in enumerate(platforms)}

    def key(record: Mapping[str, Any]) -> tuple[int, int, int, int, str]:
        row = record.get("row")
        variant = record.get("variant")
        if not isinstance(row, int):
            return (1, 0, 0, 0, str(record.get("id")))
        return (
            0,
            row,
            rank.get(str(record.get("platform")), len(rank)),
            variant if isinstance(variant, int) else 0,
            str(record.get("id")),
        )

    return key


def _write(
    shards: Sequence[ShardInput],
    target: Path,
    *,
    common: dict[str, Any],
    missing: list[int],
    settings: Settings,
    key: AuditKey | None,
) -> MergeSummary:
    from copygen.audit import AuditLog
    from copygen.files.atomic import atomic_writer
    from copygen.generate.tables import write_tables

    ordered = sorted(shards, key=lambda s: s.index)
    count = ordered[0].count
    # The shards' logs first, byte for byte: the merged records are proven by them.
    entries: list[dict[str, Any]] = []
    for shard in ordered:
        folder = target / SHARDS_DIR / str(shard.index)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shard.log, folder / AUDIT_FILE)
        shutil.copyfile(shard.folder / MANIFEST_FILE, folder / MANIFEST_FILE)
        entries.append(
            {
                "folder": shard.folder.name,
                "shard": shard.label,
                "index": shard.index,
                "count": shard.count,
                "audit": f"{SHARDS_DIR}/{shard.index}/{AUDIT_FILE}",
                "head": shard.head,
                "events": shard.events,
                "records": len(shard.records),
                "results_sha256": shard.results_sha256,
            }
        )
    records = [r for shard in ordered for r in shard.records.values()]
    records.sort(key=_order_key(common.get("platforms") or ()))
    store = ResultStore(target)
    with atomic_writer(store.path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps_record(record) + "\n")
    write_tables(store, settings=settings, xlsx=any(s.xlsx for s in ordered))
    fingerprint = {**common, MERGE_KEY: count}
    counts: dict[str, int] = {}
    for record in records:
        status = str(record.get("status"))
        counts[status] = counts.get(status, 0) + 1
    audit_path = target / AUDIT_FILE
    with AuditLog.open(audit_path, key=key) as log:
        log.append(
            "merged",
            command="merge",
            version=__version__,
            count=count,
            partial=bool(missing),
            missing=missing,
            records=len(records),
            results_sha256=file_sha256(store.path),
            fingerprint_sha256=fingerprint_hash(fingerprint),
            shards=entries,
        )
        log.sync()
        head, run = log.head, log.run
    manifest = RunManifest(path=target / MANIFEST_FILE, fingerprint=fingerprint)
    manifest.runs.append(
        {
            "run": run,
            "started": manifest.created,
            "finished": manifest.created,
            "outcome": "completed",
            "mode": "merge",
            "counts": {"total": len(records), **counts},
            "merge": {"count": count, "shards": entries, "missing": missing},
        }
    )
    manifest.save()
    return MergeSummary(
        outdir=target,
        count=count,
        shards=[s.index for s in ordered],
        missing=missing,
        records=len(records),
        audit_path=audit_path,
        audit_head=head,
        counts=counts,
    )
