"""``copygen export``: the publishable items of an output folder, ready to hand over.

Only items that are ``pass`` or ``approved`` leave. Each keeps both AI-content
labels (《人工智能生成合成内容标识办法》): the visible label inside its text, where
one was recorded at generation or is configured now, and the implicit label
(``aigc``: generated, provider, model, content id) as columns or keys. No option
removes either. Every written file is recorded in the audit log as an ``exported``
event with its SHA-256, so what left can be proven later.

Nothing leaves that the audit log contradicts: every record is checked against the
hash logged for it (:mod:`copygen.audit.binding`) before anything is written, so a
``blocked`` flipped to ``pass`` in results.jsonl by hand is refused (exit 4).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.errors import InputError
from copygen.generate.tables import LEADING_COLUMNS, field_cell
from copygen.platforms import PLATFORM_SPECS
from copygen.review.outdir import (
    audit_session,
    load_numbered_items,
    prove_outdir,
    resolve_audit_path,
)

if TYPE_CHECKING:
    from copygen.config import AigcLabel, Settings

__all__ = [
    "EXPORTABLE_STATUSES",
    "FORMATS",
    "GROUP_BY",
    "ExportResult",
    "ExportedFile",
    "export",
    "export_format",
    "publishable_record",
    "table_row",
]

EXPORTABLE_STATUSES: tuple[str, ...] = ("pass", "approved")
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
GROUP_BY: tuple[str, ...] = ("platform", "sku")

TRAILING_COLUMNS: tuple[str, ...] = (
    "product_title",
    "aigc_generated",
    "aigc_provider",
    "aigc_model",
    "aigc_content_id",
    "aigc_label",
    "aigc_label_position",
    "reviewer",
    "reviewed_at",
    "review_forced",
    "review_edited",
)
_UNSAFE_NAME = re.compile(r"[^\w.-]+", re.UNICODE)
#: Bytes of a group's part of a file name: with the stem and suffix it stays under
#: the 255 bytes most file systems allow, whatever the SKU.
_GROUP_NAME_BYTES = 120


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    format: str
    count: int
    sha256: str
    group: str | None = None
    groups: Mapping[str, int] | None = None  # xlsx with --group-by: rows per sheet


@dataclass
class ExportResult:
    files: list[ExportedFile] = field(default_factory=list)
    count: int = 0  # items exported
    skipped: dict[str, int] = field(default_factory=dict)  # items left out, by status
    audit_path: Path | None = None
    #: Why some records could not be proven against the audit log (an older or
    #: missing log, no key in force), or None when every record was.
    unproven: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [
                {
                    "path": str(f.path),
                    "format": f.format,
                    "count": f.count,
                    "sha256": f.sha256,
                    "group": f.group,
                    "groups": dict(f.groups) if f.groups is not None else None,
                }
                for f in self.files
            ],
            "count": self.count,
            "skipped": self.skipped,
            "audit": str(self.audit_path) if self.audit_path else None,
            "unproven": self.unproven,
        }


# --- records -------------------------------------------------------------------------------


def export_format(path: str | Path) -> str:
    """``jsonl``, ``csv`` or ``xlsx`` from the file name; InputError for anything else."""
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        raise InputError(
            f"cannot export to '{suffix or Path(path).name}'",
            file=path,
            hint="name the file .jsonl, .csv or .xlsx",
        ) from None


def _visible_label(item: Mapping[str, Any], settings: Settings) -> AigcLabel | None:
    """The label to show: the one recorded at generation, else the configured one."""
    from copygen.config import AigcLabel

    aigc = item.get("aigc") if isinstance(item.get("aigc"), Mapping) else {}
    recorded = aigc.get("label") if isinstance(aigc, Mapping) else None
    if isinstance(recorded, Mapping) and recorded.get("text"):
        text = str(recorded["text"])
        position = str(recorded.get("position") or "end")
        return AigcLabel(enabled=True, position=position, text_zh=text, text_en=text)
    configured = settings.label_for(str(item.get("platform")))
    return configured if configured.enabled else None


def publishable_record(item: Mapping[str, Any], *, settings: Settings) -> dict[str, Any]:
    """What an exported item holds: its labelled fields and both AI-content labels."""
    from copygen.compliance.aigc import apply_label, content_id_for, label_record

    platform = str(item.get("platform"))
    lang = str(item.get("lang") or "zh")
    fields: dict[str, Any] = dict(item.get("fields") or {})
    label = _visible_label(item, settings)
    if label is not None and fields:
        fields = apply_label(fields, platform=platform, label=label, lang=lang)
    aigc_in = item.get("aigc") if isinstance(item.get("aigc"), Mapping) else {}
    assert isinstance(aigc_in, Mapping)
    # The implicit label is never dropped; a record that somehow lacks one gets it
    # rebuilt from what the record itself says.
    aigc = {
        "generated": True,
        "provider": aigc_in.get("provider") or settings.aigc_provider,
        "model": aigc_in.get("model", item.get("model")),
        "content_id": aigc_in.get("content_id")
        or content_id_for(str(item.get("id")), dict(item.get("fields") or {})),
        "label": label_record(label, lang) if label is not None else None,
    }
    review = item.get("review") if isinstance(item.get("review"), Mapping) else None
    product = item.get("product") if isinstance(item.get("product"), Mapping) else {}
    assert isinstance(product, Mapping)
    return {
        "id": item.get("id"),
        "sku": item.get("sku"),
        "platform": platform,
        "lang": lang,
        "variant": item.get("variant"),
        "status": item.get("status"),
        "product_title": product.get("title"),
        "fields": fields,
        "aigc": aigc,
        "review": dict(review) if review else None,
    }


def field_columns(platforms: Iterable[str]) -> list[str]:
    out: list[str] = []
    for platform in platforms:
        spec = PLATFORM_SPECS.get(platform)
        names = spec.field_names if spec is not None else ()
        for name in names:
            if name not in out:
                out.append(name)
    return out


def table_header(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Columns for these records: their platforms' fields, plus any unknown field names."""
    platforms = list(dict.fromkeys(str(r.get("platform")) for r in records))
    columns = field_columns(platforms)
    for record in records:
        for name in record.get("fields") or {}:
            if name not in columns:
                columns.append(str(name))
    return [*LEADING_COLUMNS, *columns, *TRAILING_COLUMNS]


def table_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A publishable record as one flat spreadsheet row."""
    row: dict[str, Any] = {name: record.get(name) for name in LEADING_COLUMNS}
    for name, value in (record.get("fields") or {}).items():
        row[name] = field_cell(name, value)  # lists joined as in results.csv
    aigc = record.get("aigc") or {}
    label = aigc.get("label") or {}
    review = record.get("review") or {}
    row.update(
        product_title=record.get("product_title"),
        aigc_generated=aigc.get("generated"),
        aigc_provider=aigc.get("provider"),
        aigc_model=aigc.get("model"),
        aigc_content_id=aigc.get("content_id"),
        aigc_label=label.get("text"),
        aigc_label_position=label.get("position"),
        reviewer=review.get("reviewer"),
        reviewed_at=review.get("ts"),
        review_forced=review.get("forced"),
        review_edited=review.get("edited"),
    )
    return row


# --- writing -------------------------------------------------------------------------------


def _group_file(target: Path, group: str) -> Path:
    # Composed first, so that an accent typed as a combining mark stays a letter.
    safe = _UNSAFE_NAME.sub("_", unicodedata.normalize("NFC", group)).strip("._")
    # Cut on a character boundary, never in the middle of a UTF-8 sequence.
    safe = safe.encode("utf-8")[:_GROUP_NAME_BYTES].decode("utf-8", errors="ignore")
    return target.with_name(f"{target.stem}-{safe.rstrip('._') or 'group'}{target.suffix}")


def _same_file_key(path: Path) -> str:
    # Case-insensitive file systems (Windows, macOS by default) fold Unicode case,
    # and macOS also composed and decomposed accents: "É" and "é" (or "e" + U+0301)
    # are one file there.
    return unicodedata.normalize("NFC", path.name).casefold()


def group_files(target: Path, groups: Iterable[str], *, group_by: str) -> dict[str, Path]:
    """The file of each group, or InputError (exit 2) when two groups would share one.

    Checked before anything is written: two SKUs that become the same name once
    sanitised (``A/1`` and ``A_1``) or that differ only in case (``ab-1`` and
    ``AB-1``, one file on a case-insensitive file system) would otherwise
    overwrite each other's file.
    """
    paths: dict[str, Path] = {}
    owners: dict[str, str] = {}
    for name in groups:
        path = _group_file(target, name)
        other = owners.setdefault(_same_file_key(path), name)
        if other != name:
            clash = _group_file(target, other)
            same = (
                "the same file name"
                if clash.name == path.name
                else "file names that differ only in case"
            )
            raise InputError(
                f"--group-by {group_by}: {other!r} and {name!r} map to {same} "
                f"({clash.name}, {path.name}); nothing was written",
                file=target,
                hint="export as .xlsx (one sheet each) or without --group-by",
            )
        paths[name] = path
    return paths


def _write_jsonl(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    from copygen.files.atomic import atomic_writer

    with atomic_writer(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def _write_one(path: Path, fmt: str, records: Sequence[Mapping[str, Any]]) -> None:
    from copygen.files.tables import write_csv, write_xlsx

    if fmt == "jsonl":
        _write_jsonl(path, records)
    elif fmt == "csv":
        write_csv(path, table_header(records), (table_row(r) for r in records))
    else:
        write_xlsx(path, table_header(records), (table_row(r) for r in records), sheet="export")


def write_export(
    records: Sequence[Mapping[str, Any]],
    *,
    to: str | Path,
    group_by: str | None = None,
) -> list[ExportedFile]:
    """Write publishable records to ``to`` (format from its suffix); no audit here."""
    from copygen.audit import sha256_file
    from copygen.files.tables import write_xlsx_sheets

    target = Path(to)
    fmt = export_format(target)
    if group_by is not None and group_by not in GROUP_BY:
        raise InputError(f"cannot group by '{group_by}'", hint="use platform or sku")
    if group_by is None:
        _write_one(target, fmt, records)
        return [ExportedFile(target, fmt, len(records), sha256_file(target))]
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record.get(group_by)), []).append(record)
    if fmt == "xlsx":
        sheets = {
            name: (table_header(rows), [table_row(r) for r in rows])
            for name, rows in groups.items()
        }
        counts = write_xlsx_sheets(target, sheets)
        return [ExportedFile(target, fmt, len(records), sha256_file(target), groups=counts)]
    written: list[ExportedFile] = []
    paths = group_files(target, groups, group_by=group_by)
    for name, rows in groups.items():
        path = paths[name]
        _write_one(path, fmt, rows)
        written.append(ExportedFile(path, fmt, len(rows), sha256_file(path), group=name))
    return written


def export(
    *,
    outdir: str | Path,
    to: str | Path,
    settings: Settings,
    group_by: str | None = None,
    audit_path: str | Path | None = None,
) -> ExportResult:
    """Export the publishable items of ``outdir`` to ``to`` and record it in the audit log.

    Raises InputError (exit 2) for a missing folder, an unknown format or grouping,
    or group files whose names collide; AuditError (exit 4) when the audit log
    fails verification or contradicts a record, or, with an audit key in force,
    cannot prove one. Every record of the folder is checked, not only those that
    leave: the skipped counts must be as true as the exported items.
    """
    from copygen.audit.key import key_from_settings

    target = Path(to)
    export_format(target)  # fail on a bad name before anything is opened
    if group_by is not None and group_by not in GROUP_BY:
        raise InputError(f"cannot group by '{group_by}'", hint="use platform or sku")
    folder = Path(outdir)
    numbered = load_numbered_items(folder)
    key = key_from_settings(settings)
    log_path = resolve_audit_path(folder, settings=settings, explicit=audit_path)
    proof = prove_outdir(folder, numbered, log=log_path, key=key)
    unproven = proof.enforce(keyed=key is not None)
    records: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for _, item in numbered:
        status = str(item.get("status"))
        if status in EXPORTABLE_STATUSES:
            records.append(publishable_record(item, settings=settings))
        else:
            skipped[status] = skipped.get(status, 0) + 1
    if group_by is not None and export_format(target) != "xlsx":
        group_files(target, dict.fromkeys(str(r.get(group_by)) for r in records), group_by=group_by)
    result = ExportResult(
        count=len(records), skipped=skipped, audit_path=log_path, unproven=unproven
    )
    # The log is opened (and locked) first: an export that cannot be recorded does
    # not happen.
    with audit_session(log_path, command="export", outdir=folder, key=key) as log:
        result.files = write_export(records, to=target, group_by=group_by)
        for exported in result.files:
            ids = [
                str(r.get("id"))
                for r in records
                if exported.group is None or str(r.get(group_by or "")) == exported.group
            ]
            log.append(
                "exported",
                path=str(exported.path.resolve()),
                format=exported.format,
                items=exported.count,
                sha256=exported.sha256,
                labels=True,
                group_by=group_by,
                group=exported.group,
                groups=dict(exported.groups) if exported.groups is not None else None,
                item_ids=ids,
                outdir=str(folder),
                records=proof.to_dict(),
            )
    return result
