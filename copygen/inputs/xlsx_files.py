"""XLSX workbooks in, bounded: no part, cell or run of blank rows is read without a limit.

openpyxl's read-only mode streams a sheet's rows, but four things it does are not
bounded by the rows a person sees:

- it reads the whole shared-strings table into memory when the workbook opens, so one
  100 MB cell (a 100 KB file: XML compresses 1000:1) is loaded before any row is seen;
- it builds each row whole, so the same goes for an inline-string cell;
- it reads rows up to the sheet's ``<dimension>``, which writers get wrong, padding
  every row to its width (``A1:XFD1048576`` is 16,384 columns), and a styled but empty
  row costs as much as a full one: 5 M of them took 177 s to give 0 products;
- without a ``<dimension>``, it parses the whole sheet just to find out its size.

So here, before openpyxl parses a row:

1. The uncompressed sizes the zip's central directory declares are checked against
   ``PART_LIMITS``. zipfile never inflates a member past its declared size (it fails
   the CRC instead), so these are real bounds on what is read.
2. The shared strings are read by a streaming parser that keeps at most
   max_cell_chars + 1 characters of each string and counts the rest
   (``cells.LongText``); a longer one is refused when a row uses it, by row and column,
   like any other cell.
3. The first sheet's XML is scanned as bytes (regular expressions, no tree: ~1 s for
   300 MB) for the row of its last value, and for a value element too large to be a
   cell, which is refused before openpyxl would build it.
4. openpyxl then reads sheet rows 1..last only, ignoring ``<dimension>``, data rows at
   the header's width. Blank rows after the last value are never parsed.

The scan relies on rows being in ascending order, as the format requires (openpyxl
itself skips a row numbered lower than the one before). If a row element without an
``r`` attribute is met where the scan needs a row number, it gives no bound and every
row is read, as before.
"""

from __future__ import annotations

import re
import warnings
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from copygen.errors import InputError
from copygen.inputs.cells import LongText

#: Uncompressed bytes read at most from each part of a workbook.
PART_LIMITS: dict[str, int] = {
    "sheet": 1 << 30,  # the first sheet: streamed, so only time grows with it
    "shared strings": 256 << 20,  # held in memory while the sheet is read
    "metadata": 64 << 20,  # content types, workbook, relationships, styles
}
#: A value element longer than this many bytes per allowed character cannot be a cell
#: within the limit (a character is at most 10 bytes of XML: ``&#x10FFFF;``).
_BYTES_PER_CHAR = 10
_CHUNK = 1 << 20

#: What a broken workbook makes openpyxl, zipfile or zlib raise.
BROKEN_WORKBOOK: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    IndexError,
    OSError,
    ValueError,
    TypeError,
    AttributeError,
    ParseError,
    EOFError,
    NotImplementedError,
    xml.parsers.expat.ExpatError,
)

_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_VALUE_OPEN = re.compile(rb"<" + _PREFIX + rb"[vt](?:\s[^<>]*)?(?<!/)>")
_ROW_OPEN = re.compile(rb"<" + _PREFIX + rb"row(?=[\s>/])[^<>]*>")
_CELL_OPEN = re.compile(rb"<" + _PREFIX + rb"c(?=[\s>/])[^<>]*>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\s*(\d+)(?:\.0*)?\s*["']""")
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]{1,3})(\d+)\s*["']""")
_CELL_TYPE = re.compile(rb"""\st\s*=\s*["']([A-Za-z]+)["']""")


def broken(file: str, exc: BaseException) -> InputError:
    """The one line for a workbook openpyxl, zipfile or zlib cannot read."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(f"not a readable XLSX workbook: {detail}", file=file)


# --- 1. sizes --------------------------------------------------------------------------------


def _check_size(archive: zipfile.ZipFile, name: str, kind: str, file: str) -> None:
    try:
        size = archive.getinfo(name).file_size
    except KeyError:
        return  # a missing part is openpyxl's to report
    limit = PART_LIMITS[kind]
    if size > limit:
        raise InputError(
            f"the workbook's {kind} part ({name}) is {size:,} bytes uncompressed;"
            f" at most {limit:,} are read",
            file=file,
            hint="save the sheet as CSV",
        )


# --- 2. shared strings -----------------------------------------------------------------------


def read_shared_strings(source: IO[bytes], keep: int) -> list[str]:
    """The shared strings as openpyxl reads them (the ``<t>`` of each ``<si>`` and of
    its ``<r>`` runs, phonetic ``<rPh>`` left out, ``x005F_`` removed), each cut to
    ``keep + 1`` characters: a longer one comes back as a ``LongText`` with its length."""
    strings: list[str] = []
    path: list[str] = []
    parts: list[str] = []
    state = {"kept": 0, "length": 0, "collect": False}

    def start(name: str, _attrs: Any) -> None:
        local = name.rpartition(":")[2]
        path.append(local)
        if local == "si" and len(path) == 2:
            parts.clear()
            state["kept"] = state["length"] = 0
        elif local == "t" and len(path) >= 3:
            parent = path[-2]
            state["collect"] = parent == "si" or (parent == "r" and path[-3] == "si")

    def end(name: str) -> None:
        local = path.pop()
        if local == "t":
            state["collect"] = False
        elif local == "si" and len(path) == 1:
            text = "".join(parts)
            if state["length"] > keep:
                strings.append(LongText(text, state["length"]))
            else:
                strings.append(text.replace("x005F_", ""))

    def characters(data: str) -> None:
        if state["collect"]:
            room = keep + 1 - state["kept"]
            if room > 0:
                parts.append(data[:room])
                state["kept"] += min(room, len(data))
            state["length"] += len(data)

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    while chunk := source.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return strings


# --- 3. the sheet scan -----------------------------------------------------------------------


@dataclass
class SheetScan:
    """What the byte scan of a sheet found."""

    #: Sheet row of the last value; 0: no value at all; None: unknown (read every row).
    last_row: int | None = 0
    #: Sheet row of the first value (the header, in a product sheet).
    first_row: int | None = None
    #: The first row's cells: column letters -> (type attribute, raw value bytes).
    first_cells: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    #: A value element too large to be a cell: (sheet row, column letters, bytes).
    oversized: tuple[int | None, str | None, int] | None = None


def _tag_before(buf: bytes, pos: int, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """The last tag matching ``pattern`` that starts before ``pos`` in ``buf``."""
    lt = pos
    while True:
        lt = buf.rfind(b"<", 0, lt)
        if lt < 0:
            return None
        found = pattern.match(buf, lt)
        if found is not None:
            return found


def _row_number(tag: re.Match[bytes] | None) -> int | bool | None:
    """The row number of a row tag; None: no tag; False: a tag without a number."""
    if tag is None:
        return None
    number = _ROW_NUMBER.search(tag.group())
    return int(number.group(1)) if number else False


def scan_sheet(source: IO[bytes], max_value_bytes: int) -> SheetScan:
    """One pass over a sheet's XML bytes; see the module docstring."""
    scan = SheetScan()
    carried: int | None = 0  # number of the last row tag before the buffer
    exact = True
    first_done = False
    data = source.read(_CHUNK)
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00")):
        # Bytes of UTF-16 XML hide every tag from the scan; no spreadsheet writes it.
        raise ValueError("the sheet's XML is in UTF-16")
    buf = b""
    eof = False
    while not eof:
        eof = not data
        buf += data
        pos, keep_from, last_value = 0, len(buf), -1
        while True:
            found = _VALUE_OPEN.search(buf, pos)
            if found is None:
                break
            close = buf.find(b"</", found.end())
            body_end = len(buf) if close < 0 else close
            if body_end - found.end() > max_value_bytes:
                scan.oversized = _where(buf, found.start(), carried, body_end - found.end())
                return scan
            if close < 0:
                keep_from = found.start()  # the value goes on in the next chunk
                break
            body = buf[found.end() : close]
            if body.strip():
                last_value = found.start()
                if not first_done:
                    first_done = _note_first_row(buf, found.start(), body, carried, scan)
            pos = close
        if keep_from == len(buf):
            # Keep a tag cut at the end of the chunk for the next round.
            lt = buf.rfind(b"<")
            if lt >= 0 and buf.find(b">", lt) < 0:
                keep_from = lt
        if last_value >= 0:
            row = _row_number(_tag_before(buf, last_value, _ROW_OPEN))
            row = carried if row is None else row
            if row is False or row is None:
                exact = False
            else:
                scan.last_row = max(scan.last_row or 0, row)
        tail = _row_number(_tag_before(buf, keep_from, _ROW_OPEN))
        if tail is False:
            carried = None
        elif tail is not None:
            carried = tail
        buf = buf[keep_from:]
        data = b"" if eof else source.read(_CHUNK)
    if not exact:
        scan.last_row = None
    return scan


def _where(
    buf: bytes, pos: int, carried: int | None, size: int
) -> tuple[int | None, str | None, int]:
    cell = _tag_before(buf, pos, _CELL_OPEN)
    ref = _CELL_REF.search(cell.group()) if cell is not None else None
    if ref is not None:
        return int(ref.group(2)), ref.group(1).decode().upper(), size
    row = _row_number(_tag_before(buf, pos, _ROW_OPEN))
    return (carried if row is None else (row or None)), None, size


def _note_first_row(
    buf: bytes, pos: int, body: bytes, carried: int | None, scan: SheetScan
) -> bool:
    """Remember the first row's cells, to name a column by its header; True once a value
    in a later row shows the first row is over."""
    row = _row_number(_tag_before(buf, pos, _ROW_OPEN))
    row = carried if row is None else row
    number = row if isinstance(row, int) and row is not False else None
    if scan.first_cells and number != scan.first_row:
        return True
    scan.first_row = number
    cell = _tag_before(buf, pos, _CELL_OPEN)
    ref = _CELL_REF.search(cell.group()) if cell is not None else None
    if ref is None:
        return number is None
    kind = _CELL_TYPE.search(cell.group()) if cell is not None else None
    letters = ref.group(1).decode().upper()
    previous = scan.first_cells.get(letters, (b"", b""))[1]
    scan.first_cells[letters] = (kind.group(1) if kind else b"n", previous + body[:512])
    return len(scan.first_cells) >= 1024


def column_index(letters: str) -> int:
    """``A`` -> 1, ``AA`` -> 27."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def header_text(scan: SheetScan, letters: str, strings: list[str]) -> str | None:
    """The first row's text in column ``letters``, when the scan can tell it."""
    kind, raw = scan.first_cells.get(letters, (b"", b""))
    if not raw:
        return None
    if kind == b"s":
        try:
            text = strings[int(raw)]
        except (ValueError, IndexError):
            return None
        return text.strip() or None
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8", "replace")).strip() or None


# --- 4. the workbook ---------------------------------------------------------------------


@dataclass
class Sheet:
    """The first worksheet of a workbook, ready to be read row by row."""

    title: str
    worksheet: Any
    scan: SheetScan
    strings: list[str]
    archive: zipfile.ZipFile

    def rows(self, *, min_row: int = 1, max_col: int | None = None) -> Iterator[tuple[Any, ...]]:
        """Values of sheet rows ``min_row``.. up to the last row holding a value."""
        last = self.scan.last_row
        if last == 0 or (last is not None and min_row > last):
            return iter(())
        return iter(
            self.worksheet.iter_rows(
                min_row=min_row, max_row=last, max_col=max_col, values_only=True
            )
        )

    def close(self) -> None:
        self.archive.close()


def open_first_sheet(path: Any, file: str, max_cell_chars: int) -> Sheet:
    """The first worksheet of the workbook at ``path``, after the checks above."""
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_STYLE, SHARED_STRINGS

    class _Worksheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            # The <dimension> is not trusted (see the module docstring), and without
            # one openpyxl would parse the whole sheet here just to size it.
            return None

    try:
        reader = ExcelReader(path, read_only=True, data_only=True, keep_links=False)
    except BROKEN_WORKBOOK as exc:
        raise broken(file, exc) from None
    archive = reader.archive
    try:
        _check_size(archive, ARC_CONTENT_TYPES, "metadata", file)
        reader.read_manifest()
        workbook_part = _workbook_part(reader.package)
        for name in (workbook_part, get_rels_path(workbook_part), ARC_STYLE):
            _check_size(archive, name, "metadata", file)
        strings_part = reader.package.find(SHARED_STRINGS)
        strings: list[str] = []
        if strings_part is not None:
            strings_name = strings_part.PartName[1:]
            _check_size(archive, strings_name, "shared strings", file)
            with archive.open(strings_name) as source:
                strings = read_shared_strings(source, max_cell_chars)
        reader.shared_strings = strings
        reader.read_workbook()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style": irrelevant to values
            apply_stylesheet(archive, reader.wb)
        target = title = None
        for sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                target, title = rel.target, sheet.name
                break
        if target is None:
            raise InputError("no product rows: the workbook has no sheets", file=file)
        _check_size(archive, target, "sheet", file)
        with archive.open(target) as source:
            scan = scan_sheet(source, _BYTES_PER_CHAR * max_cell_chars + 64)
        worksheet = _Worksheet(reader.wb, title, target, strings)
    except InputError:
        archive.close()
        raise
    except BROKEN_WORKBOOK as exc:
        archive.close()
        raise broken(file, exc) from None
    return Sheet(str(title), worksheet, scan, strings, archive)


def _workbook_part(package: Any) -> str:
    from openpyxl.xml.constants import ARC_WORKBOOK, XLSM, XLSX, XLTM, XLTX

    for content_type in (XLTM, XLTX, XLSM, XLSX):
        part = package.find(content_type)
        if part is not None:
            return str(part.PartName[1:])
    return str(ARC_WORKBOOK)
