"""Reading product files: CSV/TSV, XLSX and JSONL into ``Product`` rows.

Rows stream: a file is read record by record (CSV through ``csv.reader`` on an
open text file, XLSX through openpyxl's read-only mode, JSONL line by line), so
memory does not grow with the file. Only the set of SKUs seen so far is kept, to
warn about duplicates.

Row numbers are 1-based *data* rows: the first row under the header is row 1 (in
a spreadsheet, data row N sits on sheet row N+1). Blank rows are skipped but still
counted, so a row number always points at the same row the user sees. In JSONL the
row is the line number.

Every problem is an ``InputError`` naming the file, the row and the column.

Everything is bounded: a cell by ``max_cell_chars`` (``inputs.cells``, which also
refuses NUL, lone surrogates and line breaks in SKUs, and cleans control characters),
a physical line by ``LINE_CELLS`` cells, an XLSX by its parts' sizes and its last row
holding a value (``inputs.xlsx_files``). The encoding of a CSV/JSONL file is decided
on the whole file (``inputs.text_files``). A file without a product row is an error.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from copygen.config import DEFAULT_MAX_CELL_CHARS, PRODUCT_FIELDS
from copygen.errors import InputError
from copygen.ids import IdNumbers
from copygen.inputs.cells import (
    clean_value,
    plain,
    shown,
    sku_refusal,
    text_refusal,
    value_refusal,
)
from copygen.inputs.columns import (
    CATEGORY_L1,
    CATEGORY_L2,
    ColumnNames,
    canonical_column,
    missing_hint,
)
from copygen.inputs.product import CATEGORIES, FieldValueError, Product, category_of
from copygen.inputs.product_categories import first_level
from copygen.inputs.text_files import (
    SAVE_AS_UTF8,
    BoundedLines,
    TextEncoding,
    csv_field_limit,
    csv_header_error,
    csv_records,
    detect,
)
from copygen.inputs.xlsx_files import (
    BROKEN_WORKBOOK,
    Sheet,
    broken,
    header_text,
    open_first_sheet,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "WarningHandler",
    "canonical_column",
    "detect_encoding",
    "numbered_sku",
    "product_at",
    "read_products",
]

WarningHandler = Callable[[str], None]

CSV_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".txt")
XLSX_EXTENSIONS: tuple[str, ...] = (".xlsx", ".xlsm")
JSONL_EXTENSIONS: tuple[str, ...] = (".jsonl", ".ndjson")
SUPPORTED_EXTENSIONS: tuple[str, ...] = CSV_EXTENSIONS + XLSX_EXTENSIONS + JSONL_EXTENSIONS


def _warn(handler: WarningHandler | None, message: str) -> None:
    if handler is not None:
        handler(message)


# --- headers ------------------------------------------------------------------------------


class _Header:
    """Maps the cells of one header row to canonical and extra column names."""

    def __init__(
        self, cells: Sequence[Any], *, file: str, names: ColumnNames, every_map: bool = True
    ) -> None:
        self.names: list[str | None] = []  # per cell position: key in the row mapping
        self.original: dict[str, str] = {}  # canonical -> header as written
        texts = ["" if c is None else str(c).replace("\ufeff", "").strip() for c in cells]
        found = [t for t in texts if t]
        # A JSONL record leaves out keys it has no value for: only a sheet's header must
        # hold every mapped column.
        absent = names.missing(found) if every_map else []
        if absent:
            field, column = absent[0]
            raise InputError(
                f"no column '{column}' (mapped to {field})"
                f" (found: {', '.join(found) if found else 'no columns'})",
                file=file,
                column=column,
                hint="check the name in --map / columns:, it must match a header cell",
            )
        # A generic name (id, name) stands for its field only when no other column does.
        strong = {names.field_of(t) for t in found if not names.weak(t)}
        levels: dict[str, int] = {}
        seen: dict[str, str] = {}
        for text in texts:
            if not text:
                self.names.append(None)  # an unnamed column (trailing commas): ignored
                continue
            canonical = names.field_of(text)
            if canonical is not None and names.weak(text) and canonical in strong:
                canonical = None
            key = canonical or text
            if canonical is None and key in PRODUCT_FIELDS:
                # 'title' when --map took the title from another column: kept, renamed,
                # so it cannot pass for the field.
                key = f"{text} (unmapped)"
            if key in seen:
                raise InputError(
                    f"columns '{seen[key]}' and '{text}' both mean '{key}'; keep one",
                    file=file,
                    column=text,
                    hint=f"or say which: --map {key}=COLUMN",
                )
            seen[key] = text
            level = names.level_of(text) if canonical is None else None
            if level is not None and level not in levels:
                levels[level] = len(self.names)
            self.names.append(key)
            if canonical is not None:
                self.original[canonical] = text
        # category_l1 stands in for a missing category; category_l2 backs it up.
        self.detail: int | None = None
        if "category" not in self.original and CATEGORY_L1 in levels:
            index = levels[CATEGORY_L1]
            text = str(self.names[index])
            self.names[index] = "category"
            self.original["category"] = text
            self.detail = levels.get(CATEGORY_L2)
        self.has_category = "category" in self.original
        #: No SKU column: rows are named by their number (ROW-0001).
        self.numbered = "sku" not in self.original
        if "title" not in self.original:
            raise InputError(
                "missing required column 'title'"
                f" (found: {', '.join(found) if found else 'no columns'})",
                file=file,
                column="title",
                hint=missing_hint("title"),
            )

    def mapping(self, values: Sequence[Any]) -> dict[str, Any]:
        # A short row (Excel drops trailing empty cells) still has every column.
        out: dict[str, Any] = {name: None for name in self.names if name is not None}
        for name, value in zip(self.names, values, strict=False):
            if name is not None:
                out[name] = value
        if self.detail is not None and self.detail < len(values):
            out[CATEGORY_DETAIL] = values[self.detail]
        return out

    def column_name(self, canonical: str) -> str:
        return self.original.get(canonical, canonical)


# --- values -------------------------------------------------------------------------------


def _cell_text(value: Any) -> Any:
    """Spreadsheet cell -> the text a person sees (1001.0 -> '1001'); None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _is_blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _is_empty(value: Any) -> bool:
    if isinstance(value, (dict, list)):
        return not value
    return value is None or (isinstance(value, str) and not value.strip())


#: Key of a row's second category level in the row mapping (never a header: it has a NUL).
CATEGORY_DETAIL = "\0category_l2"

#: How many unmapped category names a warning lists.
_SHOWN_CATEGORIES = 5


class _RowBuilder:
    """Turns row mappings into Products: checks and cleans each cell (``cells``), names
    rows without a SKU by their number, tracks duplicate SKUs and counts the rows whose
    category copygen does not know (said once, at the end: ``finish``)."""

    def __init__(
        self,
        file: str,
        on_warning: WarningHandler | None,
        max_cell_chars: int,
        names: ColumnNames,
    ) -> None:
        self.file = file
        self.on_warning = on_warning
        self.max_cell_chars = max_cell_chars
        self.names = names
        # By digest: a million-row sheet would hold a million sku strings otherwise.
        self.first_row = IdNumbers()
        self.rows = 0
        self.unknown_categories: Counter[str] = Counter()
        self.numbered_from: int | None = None
        self.category_column: str | None = None
        self.notices = True

    def build(
        self,
        data: Mapping[str, Any],
        row: int,
        column_name: Callable[[str], str],
        *,
        numbered: bool = False,
    ) -> Product:
        checked: dict[str, Any] = {}
        limit = self.max_cell_chars
        detail = None
        for key, value in data.items():
            if key == CATEGORY_DETAIL:
                detail = value
                continue
            if value is None or (plain(value, limit) and key != "sku"):
                checked[key] = value
                continue
            problem = value_refusal(value, limit)
            if problem is None and key == "sku" and isinstance(value, str):
                problem = sku_refusal(value.strip())
            if problem is not None:
                raise InputError(problem, file=self.file, row=row, column=column_name(key))
            checked[key] = clean_value(value)
        if numbered:
            checked["sku"] = numbered_sku(row)
            if self.numbered_from is None:
                self.numbered_from = row
        self._category(checked, detail)
        try:
            product = Product.from_mapping(checked, row=row, source=self.file)
        except FieldValueError as exc:
            header = column_name(exc.column)
            label = header if header == exc.column else f"{header} ({exc.column})"
            raise InputError(
                f"bad value in {label}: {exc}", file=self.file, row=row, column=header
            ) from None
        self.rows += 1
        first = self.first_row.get(product.sku)
        if not first:
            self.first_row.set(product.sku, row)
        else:
            _warn(
                self.on_warning,
                f"{self.file}:{row}: duplicate sku '{product.sku}' (first in row {first})",
            )
        return product

    def _category(self, checked: dict[str, Any], detail: Any) -> None:
        """The second level decides when the first names nothing known; rows left
        without a known category are counted by the name they had."""
        value = checked.get("category")
        if category_of(value) is not None:
            return
        if detail is not None and category_of(detail) is not None:
            checked["category"] = f"{value or ''} > {detail}"
            return
        self.unknown_categories[first_level(value)] += 1

    def finish(self) -> None:
        """The notices about the whole file, once it has been read to the end."""
        if not self.notices:
            return
        if self.numbered_from is not None:
            _warn(
                self.on_warning,
                f"{self.file}: no SKU column, so rows are named by their row number"
                f" ({numbered_sku(self.numbered_from)}, …); add a sku column or"
                " --map sku=COLUMN to keep item names when rows move",
            )
        unknown = sum(self.unknown_categories.values())
        if not unknown:
            return
        named = [(n, c) for n, c in self.unknown_categories.most_common() if n]
        blank = self.unknown_categories.get("", 0)
        of = f"{unknown} of {self.rows} row{'s' if self.rows != 1 else ''}"
        if not named:
            what = "have no category" if self.category_column else "have no category column"
        else:
            shown_names = ", ".join(f"{shown(n, 24)} ×{c}" for n, c in named[:_SHOWN_CATEGORIES])
            more = len(named) - _SHOWN_CATEGORIES
            what = f"have a category copygen does not know ({shown_names}"
            what += f", {more} more" if more > 0 else ""
            what += f"; {blank} blank)" if blank else ")"
        known = ", ".join(c for c in CATEGORIES if c != "other")
        _warn(
            self.on_warning,
            f"{self.file}: {of} {what} and are written and checked as 'other':"
            f" category rules and lexicons are skipped for them. Name one of {known}"
            " (or 美妆, 食品, 宠物 …) in the category column, or pick another column with"
            " --map category=COLUMN",
        )


def numbered_sku(row: int) -> str:
    """The SKU of a row in a sheet without a SKU column: ``ROW-0001``."""
    return f"ROW-{row:04d}"


def _check_header(cells: Sequence[Any], file: str, limit: int) -> None:
    """Header cells are cells too: bounded, whole characters."""
    for value in cells:
        if isinstance(value, str):
            problem = text_refusal(value, limit)
            if problem is not None:
                raise InputError(f"header '{shown(value, 30)}': {problem}", file=file)


def _no_rows(file: str, why: str) -> InputError:
    return InputError(f"no product rows: {why}", file=file)


# --- encodings ----------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """The codec a CSV/JSONL file is read with: see ``copygen.inputs.text_files``."""
    return detect(Path(path)).codec


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _check_decoded(
    encoding: TextEncoding, value: str, file: str, row: int | None, column: str | None
) -> None:
    """A cell holding bytes its file's encoding does not have, or (in a GB18030 file that
    mixes encodings) a UTF-8 row, is refused by row and column."""
    if _UNDECODABLE.search(value):
        raise InputError(
            encoding.undecodable(),
            file=file,
            row=row,
            column=column,
            hint=SAVE_AS_UTF8,
        )
    if (
        encoding.mixed
        and not value.isascii()
        and encoding.foreign_row(value.encode(encoding.codec, "surrogateescape"))
    ):
        raise InputError(
            encoding.foreign_message(),
            file=file,
            row=row,
            column=column,
            hint=SAVE_AS_UTF8,
        )


# --- readers ------------------------------------------------------------------------------

#: Characters of one physical line read at most, per allowed cell: lines hold many
#: cells, quotes double in CSV and JSON escapes take up to 6 characters per character.
LINE_CELLS = 96


def _line_limit(max_cell_chars: int, width: int = 0) -> int:
    return max(LINE_CELLS * max_cell_chars, width * (2 * max_cell_chars + 3) + 2)


def _delimiter(first_line: str, path: Path) -> str:
    """Comma, or tab/semicolon when the header uses those (Excel in some locales)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _read_csv(path: Path, builder: _RowBuilder) -> Iterator[Product]:
    file = builder.file
    limit = builder.max_cell_chars
    encoding = detect(path)
    handle = encoding.open(path, newline="")
    try:
        lines = BoundedLines(handle, _line_limit(limit), file)
        first_line = next(lines, "")
        if not first_line.strip():
            raise _no_rows(file, "the file is empty, no header row")
        _check_decoded(encoding, first_line, file, None, None)
        delimiter: str | None = None
        # Excel writes a "sep=;" line first when asked to; it names the delimiter.
        if first_line.lower().startswith("sep=") and len(first_line.strip()) == 5:
            delimiter = first_line.strip()[4]
            first_line = next(lines, "")
            if not first_line.strip():
                raise _no_rows(file, "the file is empty, no header row")
        if delimiter is None:
            delimiter = _delimiter(first_line, path)
        try:
            with csv_field_limit(limit):
                header_cells = next(csv.reader([first_line], delimiter=delimiter))
        except csv.Error as exc:
            raise csv_header_error(exc, limit, file) from None
        _check_header(header_cells, file, limit)
        header = _Header(header_cells, file=file, names=builder.names)
        builder.category_column = header.original.get("category")
        width = len(header.names)

        def column_at(index: int | None) -> str | None:
            name = header.names[index] if index is not None and index < width else None
            return header.column_name(name) if name else None

        lines.limit = _line_limit(limit, width)
        reader = csv.reader(lines, delimiter=delimiter)
        records = csv_records(
            lines, reader, delimiter=delimiter, limit=limit, file=file, column_at=column_at
        )
        for row, values in records:
            if _is_blank(values):
                continue
            for index, value in enumerate(values):
                if _UNDECODABLE.search(value) or (encoding.mixed and not value.isascii()):
                    _check_decoded(encoding, value, file, row, column_at(index))
            if len(values) > width and not _is_blank(values[width:]):
                _warn(
                    builder.on_warning,
                    f"{file}:{row}: {len(values)} values but {width} columns in the header;"
                    " extra values ignored",
                )
            yield builder.build(
                header.mapping(values), row, header.column_name, numbered=header.numbered
            )
        encoding.refuse_if_mixed(file)
    finally:
        handle.close()


def _read_xlsx(path: Path, builder: _RowBuilder) -> Iterator[Product]:
    file = builder.file
    sheet = open_first_sheet(path, file, builder.max_cell_chars)
    try:
        if sheet.scan.oversized is not None:
            raise _oversized_cell(sheet, file, builder.max_cell_chars)
        header: _Header | None = None
        header_row = 0
        for sheet_row, values in enumerate(_sheet_rows(sheet, file), start=1):
            cells = [_cell_text(v) for v in values]
            # Leading empty sheet rows are not the header.
            if not _is_blank(cells):
                _check_header(cells, file, builder.max_cell_chars)
                header = _Header(cells, file=file, names=builder.names)
                builder.category_column = header.original.get("category")
                header_row = sheet_row
                break
        if header is None:
            raise _no_rows(file, f"sheet '{sheet.title}' is empty, no header row")
        width = max((i + 1 for i, name in enumerate(header.names) if name), default=1)
        rows = _sheet_rows(sheet, file, min_row=header_row + 1, max_col=width)
        for row, values in enumerate(rows, start=1):
            cells = [_cell_text(v) for v in values]
            if _is_blank(cells):
                continue
            yield builder.build(
                header.mapping(cells), row, header.column_name, numbered=header.numbered
            )
    finally:
        sheet.close()


def _sheet_rows(
    sheet: Sheet, file: str, *, min_row: int = 1, max_col: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """``sheet.rows``, a broken sheet reported as one line (it shows only as rows are
    parsed: bad XML, a bad CRC, a shared string that is not there)."""
    rows = sheet.rows(min_row=min_row, max_col=max_col)
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except BROKEN_WORKBOOK as exc:
            raise broken(file, exc) from None
        yield values


def _oversized_cell(sheet: Sheet, file: str, limit: int) -> InputError:
    sheet_row, letters, size = sheet.scan.oversized or (None, None, 0)
    first = sheet.scan.first_row
    column = None
    if letters is not None:
        column = header_text(sheet.scan, letters, sheet.strings) or letters
    row = sheet_row - first if sheet_row is not None and first and sheet_row > first else None
    where = f" (sheet row {sheet_row})" if row is None and sheet_row is not None else ""
    return InputError(
        f"a cell of {size:,}+ bytes{where}: longer than max_cell_chars ({limit:,} characters)"
        " allows",
        file=file,
        row=row,
        column=column,
    )


#: Key sets of a JSONL file remembered at most.
_JSONL_HEADERS = 64


def _read_jsonl(path: Path, builder: _RowBuilder) -> Iterator[Product]:
    file = builder.file
    encoding = detect(path)
    line_limit = _line_limit(builder.max_cell_chars)
    row = 0
    # Records of one file mostly share their keys: one header per key set.
    headers: dict[tuple[str, ...], _Header] = {}
    with encoding.open(path) as handle:
        while True:
            line = handle.readline(line_limit + 1)
            if not line:
                break
            row += 1
            if len(line) > line_limit and not line.endswith(("\n", "\r")):
                raise InputError(
                    f"a line longer than {line_limit:,} characters ({LINE_CELLS} x max_cell_chars)",
                    file=file,
                    row=row,
                )
            if not line.strip():
                continue
            _check_decoded(encoding, line, file, row, None)
            record = _json_line(line, file, row)
            if not isinstance(record, dict):
                raise InputError(
                    f"expected a JSON object per line, got {type(record).__name__}",
                    file=file,
                    row=row,
                )
            for key in record:
                problem = text_refusal(key, builder.max_cell_chars)
                if problem is not None:
                    raise InputError(f"key '{shown(key, 30)}': {problem}", file=file, row=row)
            if all(_is_empty(v) for v in record.values()):
                continue
            header = headers.get(tuple(record))
            if header is None:
                try:
                    header = _Header(list(record), file=file, names=builder.names, every_map=False)
                except InputError as exc:
                    raise InputError(
                        exc.message.replace("column", "key"),
                        file=file,
                        row=row,
                        column=exc.column,
                        hint=exc.hint,
                    ) from None
                if len(headers) < _JSONL_HEADERS:
                    headers[tuple(record)] = header
            builder.category_column = builder.category_column or header.original.get("category")
            data = header.mapping(list(record.values()))
            for name, value in data.items():
                # Nested values of extra columns stay readable JSON, not Python reprs.
                if isinstance(value, (dict, list)) and name not in header.original:
                    problem = value_refusal(value, builder.max_cell_chars)
                    if problem is not None:
                        raise InputError(problem, file=file, row=row, column=name)
                    data[name] = json.dumps(value, ensure_ascii=False)
            yield builder.build(data, row, header.column_name, numbered=header.numbered)
    encoding.refuse_if_mixed(file)


def _json_line(line: str, file: str, row: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at character {exc.colno}: {exc.msg}", file=file, row=row
        ) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", file=file, row=row) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"invalid JSON: {exc}", file=file, row=row) from None


def _check_path(path: Path) -> str:
    file = str(path)
    if not path.exists():
        raise InputError("file not found", file=file)
    if path.is_dir():
        raise InputError("is a directory, expected a product file", file=file)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        hint = "save it as .xlsx or CSV" if suffix in (".xls", ".numbers", ".ods") else None
        raise InputError(
            f"unsupported file type '{suffix or path.name}';"
            f" expected one of {', '.join(SUPPORTED_EXTENSIONS)}",
            file=file,
            hint=hint,
        )
    return file


def read_products(
    path: str | Path,
    *,
    on_warning: WarningHandler | None = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    columns: Mapping[str, str] | None = None,
    notices: bool = True,
) -> Iterator[Product]:
    """Stream the products of a CSV/TSV, XLSX or JSONL file.

    Checks that the file exists and has a supported extension before returning;
    everything else (header, rows) is read lazily as the iterator is consumed.
    ``on_warning`` receives one line per non-fatal problem (a duplicate SKU,
    surplus values in a row). A cell longer than ``max_cell_chars`` is refused. Raises
    ``InputError`` with file, row and column; a file without a product row is one too.

    ``columns`` maps product fields to the file's own column names (``--map``). A file
    without a SKU column names its rows ``ROW-0001`` …; that, and rows whose category
    copygen does not know, are said once through ``on_warning`` when the file has been
    read to its end (``notices=False``: not at all, for a reader after one row).
    """
    path = Path(path)
    file = _check_path(path)
    builder = _RowBuilder(file, on_warning, max_cell_chars, ColumnNames(columns))
    builder.notices = notices
    suffix = path.suffix.lower()
    if suffix in XLSX_EXTENSIONS:
        return _at_least_one(_read_xlsx(path, builder), builder)
    if suffix in JSONL_EXTENSIONS:
        return _at_least_one(_read_jsonl(path, builder), builder)
    return _at_least_one(_read_csv(path, builder), builder)


def _at_least_one(products: Iterator[Product], builder: _RowBuilder) -> Iterator[Product]:
    count = 0
    try:
        for product in products:
            count += 1
            yield product
    finally:
        # Close the reader (and its file) even when the caller stops early.
        close = getattr(products, "close", None)
        if close is not None:
            close()
    if count == 0:
        raise _no_rows(builder.file, "only a header, or only blank rows")
    builder.finish()


def product_at(
    path: str | Path,
    row: int,
    *,
    on_warning: WarningHandler | None = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    columns: Mapping[str, str] | None = None,
) -> Product:
    """The product in 1-based data row ``row`` (reads only up to that row)."""
    if row < 1:
        raise InputError(f"row must be 1 or more, got {row}", file=str(path))
    count = 0
    for product in read_products(
        path, on_warning=on_warning, max_cell_chars=max_cell_chars, columns=columns, notices=False
    ):
        count = product.row or count
        if product.row == row:
            return product
        if product.row is not None and product.row > row:
            raise InputError("row is blank", file=str(path), row=row)
    raise InputError(
        f"no data row {row}: the file has {count} data row{'s' if count != 1 else ''}",
        file=str(path),
        row=row,
    )
