"""The run manifest of an output folder: what produced it, so a re-run can continue.

``OUTDIR/run.json`` holds a fingerprint of everything that decides what an item's
text is — the input file's content, platforms, variants, language, backend, model,
base URL, generation parameters, seed, repair limit, templates, rule packs and
brand voice —
and the history of the runs that wrote into the folder. Running the same command
again finds the same fingerprint and continues where the last run stopped;
different settings would mix two batches in one results file, so they are refused
unless ``--force`` (which moves the old results aside, never deletes them).
Concurrency, rpm and cache are not part of the fingerprint: they change how fast
copygen works, not what an item is. The repair limit (``max_repairs``) is: the
number of repairs decides which text an item ends with (a flagged draft, or the
repair that passed), so a folder half written with one limit and half with another
would be two batches in one file. Folders written before it was fingerprinted
resume when the limit in force is the one they were written with
(:data:`LEGACY_MAX_REPAIRS`). ``generate --repair`` re-runs the repair loop on a
finished folder's flagged items with a new limit: it checks every setting but this
one (:func:`check_outdir_for_repair`). A ``--shard I/N`` run adds ``shard`` ([I, N]):
another shard is another set of items. A folder written by ``copygen merge`` adds
``merge`` (N), which no generate run has, so generate never resumes into it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from copygen.config import Settings, redact_url
from copygen.errors import ConfigError, InputError
from copygen.files.atomic import atomic_writer
from copygen.resources import data_dir

__all__ = [
    "DEFAULT_MAX_REPAIRS",
    "LEGACY_MAX_REPAIRS",
    "MANIFEST_FILE",
    "RunManifest",
    "check_outdir_for_repair",
    "effective_max_repairs",
    "file_sha256",
    "fingerprint_for",
    "templates_hash",
]

MANIFEST_FILE = "run.json"
MANIFEST_VERSION = 1
#: Repair rounds for a flagged draft when neither the config nor ``--max-repairs`` says.
DEFAULT_MAX_REPAIRS = 1
#: The repair limit of folders whose fingerprint has no ``max_repairs`` (written before
#: it was part of the fingerprint): every such run used copygen's default then, 1.
LEGACY_MAX_REPAIRS = 1
_REPAIR_KEY = "max_repairs"


def effective_max_repairs(settings: Settings) -> int:
    """The repair limit in force: the setting, else :data:`DEFAULT_MAX_REPAIRS`."""
    return settings.max_repairs if settings.max_repairs is not None else DEFAULT_MAX_REPAIRS


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"cannot read input file: {exc.strerror or exc}", file=path) from None
    return digest.hexdigest()


def templates_hash(settings: Settings) -> str:
    """SHA-256 over every template file in use: the built-in folder and the override.

    Hashing the folders rather than the rendered prompts lets a re-run decide before
    it renders anything; a changed template means different prompts, so a new batch.
    """
    digest = hashlib.sha256()
    folders: list[tuple[str, Path]] = [("builtin", data_dir("templates"))]
    if settings.templates is not None:
        folders.append(("override", Path(settings.templates)))
    for tag, folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            digest.update(f"{tag}/{name}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def fingerprint_for(
    *,
    input_sha256: str,
    settings: Settings,
    backend: str,
    model: str | None,
    base_url: str | None,
    params: Mapping[str, Any],
    rules_hash: str,
    templates_sha256: str,
) -> dict[str, Any]:
    """The settings that decide what the items are, as plain JSON data."""
    voice = settings.brand_voice
    # Only when given: which column is which decides the products, and folders written
    # before --map existed keep their fingerprint.
    columns = {"columns": dict(settings.columns)} if settings.columns else {}
    return {
        **columns,
        "input_sha256": input_sha256,
        "platforms": list(settings.platforms),
        "variants": settings.variants,
        "lang": settings.lang,
        "backend": backend,
        "model": model,
        "base_url": redact_url(base_url),  # run.json is shared and kept: no credentials
        "params": {k: params[k] for k in sorted(params)},
        "seed": settings.seed,
        # Decides which text an item ends with (see the module docstring).
        _REPAIR_KEY: effective_max_repairs(settings),
        "templates_sha256": templates_sha256,
        "rules_sha256": rules_hash,
        "brand_voice": {"tone": voice.tone, "use": list(voice.use), "avoid": list(voice.avoid)},
    }


def fingerprint_hash(fingerprint: Mapping[str, Any]) -> str:
    text = json.dumps(fingerprint, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_LABELS = {
    "input_sha256": "input file content",
    "templates_sha256": "templates",
    "rules_sha256": "rule packs",
}


def describe_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        if key in _LABELS:
            out.append(f"{_LABELS[key]} changed")
        else:
            out.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    return out


@dataclass
class RunManifest:
    path: Path
    fingerprint: dict[str, Any]
    created: str = field(default_factory=_now)
    runs: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)

    @property
    def fingerprint_hash(self) -> str:
        return fingerprint_hash(self.fingerprint)

    @classmethod
    def load(cls, outdir: str | Path) -> RunManifest | None:
        path = Path(outdir) / MANIFEST_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                path=path,
                fingerprint=dict(data["fingerprint"]),
                created=str(data.get("created", "")),
                runs=list(data.get("runs", [])),
                superseded=list(data.get("superseded", [])),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"unreadable run manifest: {exc}",
                file=path,
                hint="use --force to start this folder over",
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "created": self.created,
            "fingerprint": self.fingerprint,
            "fingerprint_sha256": self.fingerprint_hash,
            "runs": self.runs,
            "superseded": self.superseded,
        }

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(self.path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, ensure_ascii=False, indent=2)
            handle.write("\n")

    def run_started(
        self, run_id: str, *, audit: str | None = None, mode: str | None = None
    ) -> None:
        """``audit``: a log outside the folder (``--audit``), for review, export and report.
        ``mode``: ``"repair"`` for a ``generate --repair`` run (absent for a normal one)."""
        entry: dict[str, Any] = {
            "run": run_id,
            "started": _now(),
            "finished": None,
            "outcome": None,
        }
        if audit is not None:
            entry["audit"] = audit
        if mode is not None:
            entry["mode"] = mode
        self.runs.append(entry)
        self.save()

    def run_finished(self, run_id: str, *, outcome: str, counts: Mapping[str, int]) -> None:
        for entry in reversed(self.runs):
            if entry.get("run") == run_id:
                entry.update(finished=_now(), outcome=outcome, counts=dict(counts))
                break
        self.save()


def prepare_outdir(
    outdir: Path, fingerprint: dict[str, Any], *, force: bool, results_exist: bool
) -> tuple[RunManifest, bool]:
    """The manifest to use for a run into ``outdir``, and whether it resumes.

    Raises ConfigError (exit 2) when the folder holds results of other settings and
    ``force`` is not given. With ``force`` the old results and manifest are moved
    aside under a timestamped name, so nothing earlier is lost.
    """
    existing = RunManifest.load(outdir)
    if existing is not None and _upgraded(existing.fingerprint) == fingerprint:
        # An older folder's fingerprint gains the keys it lacked (saved with the run).
        existing.fingerprint = dict(fingerprint)
        return existing, True
    if existing is None and not results_exist:
        manifest = RunManifest(path=outdir / MANIFEST_FILE, fingerprint=fingerprint)
        return manifest, False
    if not force:
        hint = (
            "run the same command as before to resume, choose another -o folder, "
            "or add --force to start over (old results are kept under a new name)"
        )
        if existing is None:
            reason = "it holds results.jsonl without a run manifest"
        else:
            old = _upgraded(existing.fingerprint)
            reason = "it was generated with different settings: " + "; ".join(
                describe_differences(old, fingerprint)
            )
            if old.get(_REPAIR_KEY) != fingerprint.get(_REPAIR_KEY):
                hint = (
                    "to repair its flagged items again with the new limit, add --repair; "
                    "otherwise " + hint
                )
        raise ConfigError(f"output folder already used: {reason}", file=outdir, hint=hint)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    moved: list[str] = []
    for name in ("results.jsonl", MANIFEST_FILE):
        source = outdir / name
        if source.is_file():
            stem, _, ext = name.partition(".")
            target = outdir / f"{stem}.superseded-{stamp}.{ext}"
            os.replace(source, target)
            moved.append(target.name)
    manifest = RunManifest(path=outdir / MANIFEST_FILE, fingerprint=fingerprint, superseded=moved)
    return manifest, False


def check_outdir_for_repair(outdir: Path, fingerprint: Mapping[str, Any]) -> RunManifest:
    """The manifest of a folder ``generate --repair`` may work on, unchanged.

    Every setting must be the folder's, except the repair limit: giving flagged
    items more (or other) repair rounds is what ``--repair`` is for. Raises
    ConfigError (exit 2) otherwise; ``--force`` does not apply (a repair run never
    starts a folder over).
    """
    existing = RunManifest.load(outdir)
    if existing is None:
        raise ConfigError(
            "cannot repair: the folder holds results.jsonl without a run manifest (run.json)",
            file=outdir,
            hint="run generate into a new -o folder",
        )
    old = {k: v for k, v in _upgraded(existing.fingerprint).items() if k != _REPAIR_KEY}
    new = {k: v for k, v in fingerprint.items() if k != _REPAIR_KEY}
    if old != new:
        raise ConfigError(
            "output folder already used: it was generated with different settings: "
            + "; ".join(describe_differences(old, new)),
            file=outdir,
            hint="--repair re-runs the repairs with the settings the folder was generated "
            "with; only --max-repairs may differ",
        )
    return existing


def _upgraded(fingerprint: Mapping[str, Any]) -> dict[str, Any]:
    """A fingerprint with the keys older copygen did not write, at the values it used."""
    out = dict(fingerprint)
    out.setdefault(_REPAIR_KEY, LEGACY_MAX_REPAIRS)
    return out
