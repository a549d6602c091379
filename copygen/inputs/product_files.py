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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from copygen.config import DEFAULT_MAX_CELL_CHARS
from copygen.errors import InputError
from copygen.inputs.cells import (
    clean_value,
    plain,
    shown,
    sku_refusal,
    text_refusal,
    value_refusal,
)
from copygen.inputs.product import FieldValueError, Product
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

WarningHandler = Callable[[str], None]

CSV_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".txt")
XLSX_EXTENSIONS: tuple[str, ...] = (".xlsx", ".xlsm")
JSONL_EXTENSIONS: tuple[str, ...] = (".jsonl", ".ndjson")
SUPPORTED_EXTENSIONS: tuple[str, ...] = CSV_EXTENSIONS + XLSX_EXTENSIONS + JSONL_EXTENSIONS

REQUIRED_COLUMNS: tuple[str, ...] = ("sku", "title")

# Canonical column -> names people use for it. English names are matched after
# _header_key (case, spaces, '_' and '-' ignored); Chinese names exactly (after strip).
_ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "货号", "商品货号", "商品编码", "商品编号", "款号", "itemno", "itemid"),
    "title": (
        "title",
        "商品名称",
        "标题",
        "名称",
        "商品标题",
        "品名",
        "name",
        "productname",
        "product",
    ),
    "category": ("category", "类目", "品类", "商品类目", "分类", "类别"),
    "brand": ("brand", "品牌"),
    "selling_points": (
        "sellingpoints",
        "卖点",
        "亮点",
        "商品卖点",
        "核心卖点",
        "features",
        "highlights",
    ),
    "attributes": ("attributes", "属性", "参数", "规格", "商品属性", "规格参数", "specs"),
    "price": ("price", "价格", "售价", "原价", "日常价", "零售价"),
    "promo_price": (
        "promoprice",
        "活动价",
        "到手价",
        "促销价",
        "直播价",
        "saleprice",
        "dealprice",
    ),
    "audience": ("audience", "人群", "目标人群", "适用人群", "targetaudience", "persona"),
    "platforms": ("platforms", "platform", "平台", "渠道"),
    "lang": ("lang", "语言", "language", "locale"),
}


def _header_key(name: str) -> str:
    """Case-, space-, '_'- and '-'-insensitive key of a header cell."""
    text = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


COLUMN_ALIASES: dict[str, str] = {
    _header_key(alias): canonical for canonical, names in _ALIASES.items() for alias in names
}


def canonical_column(header: str) -> str | None:
    """The canonical column a header names (``货号`` -> ``sku``), or None for extra columns."""
    return COLUMN_ALIASES.get(_header_key(header))


def _warn(handler: WarningHandler | None, message: str) -> None:
    if handler is not None:
        handler(message)


# --- headers ------------------------------------------------------------------------------


class _Header:
    """Maps the cells of one header row to canonical and extra column names."""

    def __init__(self, cells: Sequence[Any], *, file: str) -> None:
        self.names: list[str | None] = []  # per cell position: key in the row mapping
        self.original: dict[str, str] = {}  # canonical -> header as written
        seen: dict[str, str] = {}
        for cell in cells:
            text = "" if cell is None else str(cell).replace("\ufeff", "").strip()
            if not text:
                self.names.append(None)  # an unnamed column (trailing commas): ignored
                continue
            canonical = canonical_column(text)
            key = canonical or text
            if key in seen:
                raise InputError(
                    f"columns '{seen[key]}' and '{text}' both mean '{key}'; keep one",
                    file=file,
                    column=text,
                )
            seen[key] = text
            self.names.append(key)
            if canonical is not None:
                self.original[canonical] = text
        missing = [c for c in REQUIRED_COLUMNS if c not in self.original]
        if missing:
            found = [n for n in (str(c).strip() for c in cells if c is not None) if n]
            raise InputError(
                f"missing required column '{missing[0]}'"
                f" (found: {', '.join(found) if found else 'no columns'})",
                file=file,
                column=missing[0],
                hint=_missing_hint(missing[0]),
            )

    def mapping(self, values: Sequence[Any]) -> dict[str, Any]:
        # A short row (Excel drops trailing empty cells) still has every column.
        out: dict[str, Any] = {name: None for name in self.names if name is not None}
        for name, value in zip(self.names, values, strict=False):
            if name is not None:
                out[name] = value
        return out

    def column_name(self, canonical: str) -> str:
        return self.original.get(canonical, canonical)


def _missing_hint(column: str) -> str:
    names = ", ".join(_ALIASES[column][:4])
    return f"name it one of: {names}"


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


class _RowBuilder:
    """Turns row mappings into Products: checks and cleans each cell (``cells``), and
    tracks duplicate SKUs."""

    def __init__(self, file: str, on_warning: WarningHandler | None, max_cell_chars: int) -> None:
        self.file = file
        self.on_warning = on_warning
        self.max_cell_chars = max_cell_chars
        self.first_row: dict[str, int] = {}

    def build(
        self, data: Mapping[str, Any], row: int, column_name: Callable[[str], str]
    ) -> Product:
        checked: dict[str, Any] = {}
        limit = self.max_cell_chars
        for key, value in data.items():
            if value is None or (plain(value, limit) and key != "sku"):
                checked[key] = value
                continue
            problem = value_refusal(value, limit)
            if problem is None and key == "sku" and isinstance(value, str):
                problem = sku_refusal(value.strip())
            if problem is not None:
                raise InputError(problem, file=self.file, row=row, column=column_name(key))
            checked[key] = clean_value(value)
        try:
            product = Product.from_mapping(checked, row=row, source=self.file)
        except FieldValueError as exc:
            header = column_name(exc.column)
            label = header if header == exc.column else f"{header} ({exc.column})"
            raise InputError(
                f"bad value in {label}: {exc}", file=self.file, row=row, column=header
            ) from None
        first = self.first_row.get(product.sku)
        if first is None:
            self.first_row[product.sku] = row
        else:
            _warn(
                self.on_warning,
                f"{self.file}:{row}: duplicate sku '{product.sku}' (first in row {first})",
            )
        return product


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
        header = _Header(header_cells, file=file)
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
            yield builder.build(header.mapping(values), row, header.column_name)
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
                header = _Header(cells, file=file)
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
            yield builder.build(header.mapping(cells), row, header.column_name)
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


def _namer(original: Mapping[str, str]) -> Callable[[str], str]:
    return lambda column: original.get(column, column)


def _read_jsonl(path: Path, builder: _RowBuilder) -> Iterator[Product]:
    file = builder.file
    encoding = detect(path)
    line_limit = _line_limit(builder.max_cell_chars)
    row = 0
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
            data: dict[str, Any] = {}
            original: dict[str, str] = {}
            for key, value in record.items():
                problem = text_refusal(key, builder.max_cell_chars)
                if problem is not None:
                    raise InputError(f"key '{shown(key, 30)}': {problem}", file=file, row=row)
                canonical = canonical_column(str(key))
                name = canonical or str(key)
                if name in data:
                    raise InputError(
                        f"keys '{original[name]}' and '{key}' both mean '{name}'; keep one",
                        file=file,
                        row=row,
                        column=str(key),
                    )
                original[name] = str(key)
                # Nested values of extra columns stay readable JSON, not Python reprs.
                if canonical is None and isinstance(value, (dict, list)):
                    problem = value_refusal(value, builder.max_cell_chars)
                    if problem is not None:
                        raise InputError(problem, file=file, row=row, column=str(key))
                    value = json.dumps(value, ensure_ascii=False)
                data[name] = value
            if all(_is_empty(v) for v in data.values()):
                continue
            for column in REQUIRED_COLUMNS:
                if column not in data:
                    raise InputError(
                        f"missing required key '{column}'"
                        f" (found: {', '.join(original.values()) or 'no keys'})",
                        file=file,
                        row=row,
                        column=column,
                        hint=_missing_hint(column),
                    )
            yield builder.build(data, row, _namer(original))
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
) -> Iterator[Product]:
    """Stream the products of a CSV/TSV, XLSX or JSONL file.

    Checks that the file exists and has a supported extension before returning;
    everything else (header, rows) is read lazily as the iterator is consumed.
    ``on_warning`` receives one line per non-fatal problem (a duplicate SKU,
    surplus values in a row). A cell longer than ``max_cell_chars`` is refused. Raises
    ``InputError`` with file, row and column; a file without a product row is one too.
    """
    path = Path(path)
    file = _check_path(path)
    builder = _RowBuilder(file, on_warning, max_cell_chars)
    suffix = path.suffix.lower()
    if suffix in XLSX_EXTENSIONS:
        return _at_least_one(_read_xlsx(path, builder), file)
    if suffix in JSONL_EXTENSIONS:
        return _at_least_one(_read_jsonl(path, builder), file)
    return _at_least_one(_read_csv(path, builder), file)


def _at_least_one(products: Iterator[Product], file: str) -> Iterator[Product]:
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
        raise _no_rows(file, "only a header, or only blank rows")


def product_at(
    path: str | Path,
    row: int,
    *,
    on_warning: WarningHandler | None = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
) -> Product:
    """The product in 1-based data row ``row`` (reads only up to that row)."""
    if row < 1:
        raise InputError(f"row must be 1 or more, got {row}", file=str(path))
    count = 0
    for product in read_products(path, on_warning=on_warning, max_cell_chars=max_cell_chars):
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
