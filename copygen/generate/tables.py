"""``results.csv`` / ``results.xlsx``: the result records as one spreadsheet row each.

Rebuilt from ``results.jsonl`` (streaming) at the end of every run, so the table
always matches the records, including items a previous run completed. A generate
run drafts the rows ahead (:class:`TableDraft`), while its last requests are in
flight, so that only the last few rows are left for the end. Copy fields
get one column each (lists one item per line, hashtags joined with `` / ``), the
visible AI-content label is applied where the platform's label is enabled, the
findings are summarised in one cell, and every cell is formula-safe
(:mod:`copygen.files.tables`).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from copygen.config import Settings
from copygen.generate.store import ResultStore
from copygen.ids import IdTable
from copygen.platforms import PLATFORM_SPECS

__all__ = [
    "CSV_FILE",
    "LEADING_COLUMNS",
    "XLSX_FILE",
    "TableDraft",
    "field_cell",
    "flatten_record",
    "table_header",
    "write_tables",
]

CSV_FILE = "results.csv"
XLSX_FILE = "results.xlsx"

LEADING_COLUMNS: tuple[str, ...] = ("id", "sku", "platform", "lang", "variant", "status")
TRAILING_COLUMNS: tuple[str, ...] = (
    "findings",
    "findings_count",
    "attempts",
    "error",
    "backend",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "currency",
    "latency_ms",
    "aigc_label",
    "aigc_content_id",
    "product_title",
)
# Hashtags read better on one line; paragraphs and bullets one per line.
_INLINE_LISTS = frozenset({"hashtags"})


def field_columns(platforms: Sequence[str]) -> list[str]:
    """Every field of the given platforms, each once, in platform order."""
    out: list[str] = []
    for platform in platforms:
        for name in PLATFORM_SPECS[platform].field_names:
            if name not in out:
                out.append(name)
    return out


def table_header(platforms: Sequence[str]) -> list[str]:
    return [*LEADING_COLUMNS, *field_columns(platforms), *TRAILING_COLUMNS]


def field_cell(name: str, value: Any) -> Any:
    """A field's value as one spreadsheet cell (lists joined)."""
    if isinstance(value, (list, tuple)):
        joiner = " / " if name in _INLINE_LISTS else "\n"
        return joiner.join(str(v) for v in value)
    return value


def summarise_findings(findings: Sequence[Mapping[str, Any]]) -> str:
    """One line per finding: severity, the flagged text, category, rule, field."""
    lines = []
    for f in findings:
        lines.append(
            f"{f.get('severity')}: “{f.get('text')}” {f.get('category')} "
            f"({f.get('rule')}, {f.get('field')})"
        )
    return "\n".join(lines)


def flatten_record(record: Mapping[str, Any], *, settings: Settings) -> dict[str, Any]:
    """A result record as one table row, with the visible AI label applied."""
    from copygen.compliance.aigc import apply_label

    platform = str(record.get("platform"))
    lang = str(record.get("lang") or "zh")
    fields: Mapping[str, Any] = record.get("fields") or {}
    aigc: Mapping[str, Any] = record.get("aigc") or {}
    label = settings.label_for(platform)
    if fields and label.enabled and platform in PLATFORM_SPECS:
        fields = apply_label(fields, platform=platform, label=label, lang=lang)
    usage: Mapping[str, Any] = record.get("usage") or {}
    findings = record.get("findings") or []
    row: dict[str, Any] = {name: record.get(name) for name in LEADING_COLUMNS}
    for name, value in fields.items():
        row[name] = field_cell(name, value)
    product: Mapping[str, Any] = record.get("product") or {}
    label_info = aigc.get("label")
    row.update(
        findings=summarise_findings(findings),
        findings_count=len(findings),
        attempts=record.get("attempts"),
        error=record.get("error"),
        backend=record.get("backend"),
        model=record.get("model"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        cost=record.get("cost"),
        currency=record.get("currency"),
        latency_ms=record.get("latency_ms"),
        aigc_label=label_info.get("text") if isinstance(label_info, Mapping) else None,
        aigc_content_id=aigc.get("content_id"),
        product_title=product.get("title"),
    )
    return row


Observer = Callable[[Mapping[str, Any]], None]


def _csv_writer(handle: IO[str]) -> Any:
    """The CSV dialect of ``files.tables.write_csv``, whose output a draft continues."""
    return csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def _cells(header: Sequence[str], row: Mapping[str, Any]) -> list[str]:
    from copygen.files.tables import safe_cell

    return [safe_cell(row.get(name)) for name in header]


class _Redo(Exception):
    """The draft does not fit the file (a record again, a line not a record): rebuild."""


class TableDraft:
    """The rows of ``results.csv`` written ahead, while a run's last requests are out.

    :meth:`write` turns every record already in ``results.jsonl`` into its CSV row
    (a temporary file), yielding to the event loop every few rows, so replies still
    being read are not held up; :func:`write_tables` then adds only the records
    appended since. ``new_observer()`` gives the function that sees each record once
    (the run's numbers); it is asked again if the draft has to be thrown away.

    A draft is only used where it is exact: every line a record, every id once (a
    generate run appends new ids only). Anything else, and the table is rebuilt from
    the file as it would have been without a draft.
    """

    def __init__(
        self, store: ResultStore, *, settings: Settings, new_observer: Callable[[], Observer]
    ) -> None:
        self.store = store
        self.settings = settings
        self.new_observer = new_observer
        self.header = table_header(settings.platforms)
        self.usable = False
        self.upto = 0  # the draft holds the rows of lines 1..upto
        # A digest shared by two ids only costs a rebuild (_Redo), never a wrong row.
        self.ids = IdTable()
        self.observe: Observer | None = None
        self._file: IO[str] | None = None

    async def write(self, *, batch: int = 32) -> None:
        """Draft the rows of the records in the file now; never raises (but cancels)."""
        try:
            await self._write(batch)
        except asyncio.CancelledError:
            self.close()
            raise
        except Exception:
            self.close()  # a draft that failed is no draft: the table is rebuilt

    async def _write(self, batch: int) -> None:
        size = self.store.written_bytes
        self.observe = self.new_observer()
        # Closed by close(), here or by write_tables.
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        writer = _csv_writer(self._file)
        for count, (number, raw) in enumerate(self.store.raw_lines(size=size), start=1):
            record = self.record(raw)
            self.observe(record)
            writer.writerow(_cells(self.header, flatten_record(record, settings=self.settings)))
            self.upto = number
            if count % batch == 0:
                await asyncio.sleep(0)
        self.usable = True

    def record(self, raw: bytes) -> dict[str, Any]:
        """A line as a record with an id not seen before, else _Redo."""
        from copygen.backends.fastjson import loads

        try:
            record = loads(raw) if raw.endswith(b"\n") else None
        except (ValueError, UnicodeDecodeError):
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise _Redo
        if not self.ids.add(record["id"]):
            raise _Redo
        return record

    def finish(self, handle: IO[str]) -> None:
        """The drafted rows, then those of the records appended since, into ``handle``."""
        assert self._file is not None and self.observe is not None
        writer = _csv_writer(handle)
        writer.writerow(_cells(self.header, {name: name for name in self.header}))
        self._file.seek(0)
        shutil.copyfileobj(self._file, handle)
        for _, raw in self.store.raw_lines(after=self.upto):
            record = self.record(raw)
            self.observe(record)
            writer.writerow(_cells(self.header, flatten_record(record, settings=self.settings)))

    def close(self) -> None:
        self.usable = False
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


def write_tables(
    store: ResultStore,
    *,
    settings: Settings,
    xlsx: bool = False,
    observe: Observer | None = None,
    draft: TableDraft | None = None,
) -> dict[str, Path]:
    """Write results.csv (always) and results.xlsx (when asked) next to results.jsonl.

    ``observe`` sees every record once (while the CSV is written), so a caller can
    compute its own numbers without another pass over the file. Columns follow the
    settings' platforms (a folder holds one batch, so those are its platforms).

    ``draft``: rows written ahead (:class:`TableDraft`); the CSV is its rows and those
    of the records appended since, and ``observe`` is not used (the draft's observer
    sees every record). Where the draft does not fit the file, the CSV is rebuilt as
    without one and the draft's ``new_observer()`` gives the observer.
    """
    from copygen.files.atomic import atomic_writer
    from copygen.files.tables import write_csv, write_xlsx

    header = table_header(settings.platforms)
    paths: dict[str, Path] = {}
    csv_path = store.outdir / CSV_FILE
    written = False
    if draft is not None and draft.usable:
        try:
            with atomic_writer(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
                draft.finish(handle)
            written = True
        except _Redo:
            observe = draft.new_observer()
        finally:
            draft.close()
    elif draft is not None:
        draft.close()
        observe = draft.new_observer()

    def rows(watch: bool) -> Iterator[dict[str, Any]]:
        for record in store.iter_records():
            if watch and observe is not None:
                observe(record)
            yield flatten_record(record, settings=settings)

    if not written:
        write_csv(csv_path, header, rows(True))
    paths["csv"] = csv_path
    if xlsx:
        xlsx_path = store.outdir / XLSX_FILE
        write_xlsx(xlsx_path, header, rows(False))
        paths["xlsx"] = xlsx_path
    return paths
