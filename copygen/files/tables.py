"""Spreadsheet output that is safe to open: CSV for Excel and XLSX.

Copy text is untrusted (it comes from a model or a person), and a spreadsheet cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be run as
a formula when someone opens the file (CSV/formula injection, CWE-1236). Every string
cell written here goes through :func:`safe_cell`, which prefixes such a cell with an
apostrophe, the marker spreadsheet programs themselves use for "this is text".

Both writers replace the target atomically (temp file + ``os.replace``), so a reader
never sees half a file and an interrupted write leaves the previous file intact; a
write that fails (disk full, read-only folder) is a ``WriteError`` naming the file.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from copygen.files.atomic import atomic_writer, write_error

__all__ = [
    "LIST_SEPARATOR",
    "Row",
    "atomic_writer",
    "safe_cell",
    "write_csv",
    "write_xlsx",
    "write_xlsx_sheets",
]

# Characters that make a spreadsheet program treat a cell as a formula or command.
_FORMULA_START = frozenset("=+-@\t\r")
# A plain number (with an optional sign, exponent or percent) is data, not a formula:
# "-12.5" must stay "-12.5" so that the column remains numeric.
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?$")
# Control characters that XLSX (XML 1.0) cannot hold; openpyxl refuses them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A list value in one cell: one item per line (segments and bullets are paragraphs).
LIST_SEPARATOR = "\n"
# Excel's limits.
_XLSX_MAX_CELL = 32767
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

Row = Sequence[Any] | Mapping[str, Any]


def _plain_text(value: Any) -> str:
    """Any value as the text of one cell, before neutralising."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(_plain_text(item) for item in value)
    return str(value)


def safe_cell(value: Any) -> str:
    """The text of a cell that no spreadsheet program will run as a formula.

    A cell whose first character, or first character after leading whitespace, is
    ``= + - @``, a tab or a carriage return gets a leading apostrophe. Plain numbers
    (``-12.5``, ``+86``, ``3e5``, ``-5%``) are left alone so numeric columns stay
    numeric. ``None`` is the empty string; lists become one item per line; mappings
    become JSON.
    """
    text = _plain_text(value)
    if not text:
        return text
    if text[0] in _FORMULA_START:
        # Tab and CR are dangerous as the very first character even though they are
        # whitespace, so test before stripping.
        return text if _PLAIN_NUMBER.match(text) else "'" + text
    stripped = text.lstrip()
    if stripped and stripped[0] in _FORMULA_START and not _PLAIN_NUMBER.match(stripped):
        return "'" + text
    return text


def _row_values(header: Sequence[str], row: Row) -> list[Any]:
    if isinstance(row, Mapping):
        return [row.get(name) for name in header]
    values = list(row)
    if len(values) != len(header):
        raise ValueError(f"row has {len(values)} cells but the header has {len(header)}")
    return values


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Row]) -> int:
    """Write a CSV that Excel opens correctly and safely; return the number of rows.

    UTF-8 with a byte-order mark (without it Excel shows Chinese as mojibake),
    CRLF line ends, quoting by the ``csv`` module (newlines inside a cell stay inside
    the cell), every cell through :func:`safe_cell`. A row is a sequence in header
    order or a mapping keyed by header names (missing keys are empty).
    """
    target = Path(path)
    count = 0
    with atomic_writer(target, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([safe_cell(name) for name in header])
        for row in rows:
            writer.writerow([safe_cell(v) for v in _row_values(header, row)])
            count += 1
    return count


def _sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique worksheet title (<= 31 characters, none of []:*?/\\)."""
    title = _SHEET_NAME_BAD.sub("_", name).strip("'") or "Sheet"
    title = title[:31]
    candidate, n = title, 2
    while candidate.lower() in used:
        suffix = f"_{n}"
        candidate = title[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _xlsx_cell(ws: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool) or value is None:
        return WriteOnlyCell(ws, value=value)
    if isinstance(value, (int, float, Decimal)) and not (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return WriteOnlyCell(ws, value=value)
    text = _XLSX_ILLEGAL.sub("", safe_cell(value))[:_XLSX_MAX_CELL]
    cell = WriteOnlyCell(ws, value=text)
    # openpyxl turns any string starting with "=" into a formula; pin the type to a
    # plain string so that nothing written here is ever evaluated.
    cell.data_type = "s"
    return cell


def write_xlsx_sheets(
    path: str | Path, sheets: Mapping[str, tuple[Sequence[str], Iterable[Row]]]
) -> dict[str, int]:
    """Write one workbook with a worksheet per entry: ``{name: (header, rows)}``.

    Returns the number of data rows per sheet title actually used (titles are cut to
    31 characters and made unique as Excel requires). Numbers stay numeric; every
    string goes through :func:`safe_cell` and is stored as a plain string.
    """
    from openpyxl import Workbook

    target = Path(path)
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    counts: dict[str, int] = {}
    if not sheets:
        sheets = {"Sheet": ((), ())}
    try:
        for name, (header, rows) in sheets.items():
            title = _sheet_title(name, used)
            ws = workbook.create_sheet(title=title)
            ws.append([_xlsx_cell(ws, h) for h in header])
            count = 0
            for row in rows:
                ws.append([_xlsx_cell(ws, v) for v in _row_values(header, row)])
                count += 1
            # Finish the sheet's spool file now rather than inside save(): a save that
            # fails part-way then leaves no half-written sheet whose clean-up would
            # print a stray traceback when it is garbage-collected.
            ws.close()
            counts[title] = count
    except OSError as exc:
        # openpyxl spools write-only sheets to the system temp folder; a full disk
        # there fails here, before the target is opened, but it is this file that
        # cannot be written.
        if exc.filename is not None:
            raise
        raise write_error(exc, target) from None
    with atomic_writer(target, "wb") as handle:
        sink = _Sink(handle)
        try:
            workbook.save(sink)
        except BaseException:
            sink.spend()
            raise
    return counts


class _Sink:
    """The file openpyxl saves a workbook into; a bottomless one once the save failed.

    openpyxl leaves its ZipFile open when a write fails (a full disk), and the
    ZipFile's finaliser later tries to finish the archive on a file that is closed
    by then, printing a stray traceback at exit. Once spent, writes go nowhere
    (positions are still counted, which is all the ZipFile checks), so that
    finaliser has nothing to complain about.
    """

    def __init__(self, handle: Any) -> None:
        self._target: Any = handle

    def spend(self) -> None:
        try:
            position = self._target.tell()
        except (OSError, ValueError):  # a closed or failed handle; the ZipFile seeks anyway
            position = 0
        self._target = _Void(position)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class _Void:
    def __init__(self, position: int) -> None:
        self.position = position
        self.closed = False

    def write(self, data: bytes) -> int:
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else self.position + offset
        return self.position

    def flush(self) -> None:
        pass

    def truncate(self, size: int | None = None) -> int:
        return self.position if size is None else size


def write_xlsx(
    path: str | Path,
    header: Sequence[str],
    rows: Iterable[Row],
    *,
    sheet: str = "results",
) -> int:
    """Write a one-sheet XLSX workbook safely; return the number of data rows."""
    counts = write_xlsx_sheets(path, {sheet: (header, rows)})
    return next(iter(counts.values()))
