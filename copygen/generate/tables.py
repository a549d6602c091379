"""``results.csv`` / ``results.xlsx``: the result records as one spreadsheet row each.

Rebuilt from ``results.jsonl`` (streaming) at the end of every run, so the table
always matches the records, including items a previous run completed. Copy fields
get one column each (lists one item per line, hashtags joined with `` / ``), the
visible AI-content label is applied where the platform's label is enabled, the
findings are summarised in one cell, and every cell is formula-safe
(:mod:`copygen.files.tables`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from copygen.config import Settings
from copygen.generate.store import ResultStore
from copygen.platforms import PLATFORM_SPECS

__all__ = [
    "CSV_FILE",
    "LEADING_COLUMNS",
    "XLSX_FILE",
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


def write_tables(
    store: ResultStore,
    *,
    settings: Settings,
    xlsx: bool = False,
    observe: Callable[[Mapping[str, Any]], None] | None = None,
) -> dict[str, Path]:
    """Write results.csv (always) and results.xlsx (when asked) next to results.jsonl.

    ``observe`` sees every record once (while the CSV is written), so a caller can
    compute its own numbers without another pass over the file. Columns follow the
    settings' platforms (a folder holds one batch, so those are its platforms).
    """
    from copygen.files.tables import write_csv, write_xlsx

    header = table_header(settings.platforms)

    def rows(watch: bool) -> Iterator[dict[str, Any]]:
        for record in store.iter_records():
            if watch and observe is not None:
                observe(record)
            yield flatten_record(record, settings=settings)

    paths: dict[str, Path] = {}
    csv_path = store.outdir / CSV_FILE
    write_csv(csv_path, header, rows(True))
    paths["csv"] = csv_path
    if xlsx:
        xlsx_path = store.outdir / XLSX_FILE
        write_xlsx(xlsx_path, header, rows(False))
        paths["xlsx"] = xlsx_path
    return paths
