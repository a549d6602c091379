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
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from copygen.errors import InputError
from copygen.inputs.product import FieldValueError, Product

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
    """Turns row mappings into Products; tracks duplicate SKUs."""

    def __init__(self, file: str, on_warning: WarningHandler | None) -> None:
        self.file = file
        self.on_warning = on_warning
        self.first_row: dict[str, int] = {}

    def build(
        self, data: Mapping[str, Any], row: int, column_name: Callable[[str], str]
    ) -> Product:
        try:
            product = Product.from_mapping(data, row=row, source=self.file)
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


# --- encodings ----------------------------------------------------------------------------

_SAMPLE_BYTES = 64 * 1024
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV/JSONL file, judged from its first 64 KiB.

    UTF-8 (with or without BOM) and UTF-16 with BOM are recognised directly; other
    files go to charset-normalizer. Chinese Excel saves CSV as GBK; GB18030 (its
    superset) is used whenever it is among the plausible candidates, because short
    Chinese samples are otherwise often taken for Korean cp949.
    """
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
        more = bool(handle.read(1))
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if more:
        # Cut at a line end so that a multi-byte character is not split.
        cut = sample.rfind(b"\n")
        if cut > 0:
            sample = sample[: cut + 1]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(sample)
    best = results.best()
    for match in results:
        if match.encoding.lower().replace("-", "").replace("_", "") in _GB_FAMILY and (
            match.chaos <= 0.2
        ):
            return "gb18030"
    if best is None:
        raise InputError(
            "unreadable encoding: not UTF-8, GBK/GB18030 or another text encoding",
            file=str(path),
            hint="save the file as CSV UTF-8",
        )
    encoding = best.encoding
    if encoding.lower().replace("-", "").replace("_", "") in _GB_FAMILY:
        return "gb18030"
    return str(encoding)


# --- readers ------------------------------------------------------------------------------


def _delimiter(first_line: str, path: Path) -> str:
    """Comma, or tab/semicolon when the header uses those (Excel in some locales)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _bad_bytes(file: str, encoding: str, row: int | None, column: str | None) -> InputError:
    return InputError(
        f"unreadable encoding: bytes that are not valid {encoding}",
        file=file,
        row=row,
        column=column,
        hint="save the file as CSV UTF-8",
    )


def _read_csv(
    path: Path, builder: _RowBuilder, on_warning: WarningHandler | None
) -> Iterator[Product]:
    file = builder.file
    encoding = detect_encoding(path)
    # surrogateescape keeps undecodable bytes as marked characters, so the error can
    # name the exact row and column rather than wherever the decoder's chunk began.
    handle: IO[str] = path.open("r", encoding=encoding, errors="surrogateescape", newline="")
    row = 0
    try:
        first_line = handle.readline()
        if not first_line.strip():
            raise InputError("empty file: no header row", file=file)
        if _UNDECODABLE.search(first_line):
            raise _bad_bytes(file, encoding, None, None)
        delimiter: str | None = None
        # Excel writes a "sep=;" line first when asked to; it names the delimiter.
        if first_line.lower().startswith("sep=") and len(first_line.strip()) == 5:
            delimiter = first_line.strip()[4]
            first_line = handle.readline()
            if not first_line.strip():
                raise InputError("empty file: no header row", file=file)
        if delimiter is None:
            delimiter = _delimiter(first_line, path)
        header_cells = next(csv.reader([first_line], delimiter=delimiter))
        header = _Header(header_cells, file=file)
        width = len(header.names)
        reader = csv.reader(handle, delimiter=delimiter)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", file=file, row=row + 1) from None
            row += 1
            if _is_blank(values):
                continue
            for index, value in enumerate(values):
                if _UNDECODABLE.search(value):
                    name = header.names[index] if index < width else None
                    column = header.column_name(name) if name else None
                    raise _bad_bytes(file, encoding, row, column)
            if len(values) > width and not _is_blank(values[width:]):
                _warn(
                    on_warning,
                    f"{file}:{row}: {len(values)} values but {width} columns in the header;"
                    " extra values ignored",
                )
            yield builder.build(header.mapping(values), row, header.column_name)
    finally:
        handle.close()


def _read_xlsx(
    path: Path, builder: _RowBuilder, on_warning: WarningHandler | None
) -> Iterator[Product]:
    import zipfile

    from openpyxl import load_workbook

    file = builder.file
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable XLSX workbook: {exc}", file=file) from None
    try:
        if not workbook.worksheets:
            raise InputError("the workbook has no sheets", file=file)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header: _Header | None = None
        row = 0
        for values in rows:
            cells = [_cell_text(v) for v in values]
            if header is None:
                # Leading empty sheet rows are not the header.
                if _is_blank(cells):
                    continue
                header = _Header(cells, file=file)
                continue
            row += 1
            if _is_blank(cells):
                continue
            yield builder.build(header.mapping(cells), row, header.column_name)
        if header is None:
            raise InputError(f"sheet '{sheet.title}' is empty: no header row", file=file)
    finally:
        workbook.close()


def _namer(original: Mapping[str, str]) -> Callable[[str], str]:
    return lambda column: original.get(column, column)


def _read_jsonl(
    path: Path, builder: _RowBuilder, on_warning: WarningHandler | None
) -> Iterator[Product]:
    file = builder.file
    encoding = detect_encoding(path)
    row = 0
    with path.open("r", encoding=encoding, errors="surrogateescape") as handle:
        while True:
            line = handle.readline()
            if not line:
                break
            row += 1
            if not line.strip():
                continue
            if _UNDECODABLE.search(line):
                raise _bad_bytes(file, encoding, row, None)
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON at character {exc.colno}: {exc.msg}", file=file, row=row
                ) from None
            if not isinstance(record, dict):
                raise InputError(
                    f"expected a JSON object per line, got {type(record).__name__}",
                    file=file,
                    row=row,
                )
            data: dict[str, Any] = {}
            original: dict[str, str] = {}
            for key, value in record.items():
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
    path: str | Path, *, on_warning: WarningHandler | None = None
) -> Iterator[Product]:
    """Stream the products of a CSV/TSV, XLSX or JSONL file.

    Checks that the file exists and has a supported extension before returning;
    everything else (header, rows) is read lazily as the iterator is consumed.
    ``on_warning`` receives one line per non-fatal problem (a duplicate SKU,
    surplus values in a row). Raises ``InputError`` with file, row and column.
    """
    path = Path(path)
    file = _check_path(path)
    builder = _RowBuilder(file, on_warning)
    suffix = path.suffix.lower()
    if suffix in XLSX_EXTENSIONS:
        return _read_xlsx(path, builder, on_warning)
    if suffix in JSONL_EXTENSIONS:
        return _read_jsonl(path, builder, on_warning)
    return _read_csv(path, builder, on_warning)


def product_at(path: str | Path, row: int, *, on_warning: WarningHandler | None = None) -> Product:
    """The product in 1-based data row ``row`` (reads only up to that row)."""
    if row < 1:
        raise InputError(f"row must be 1 or more, got {row}", file=str(path))
    count = 0
    for product in read_products(path, on_warning=on_warning):
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
