"""Text files in: their encoding, decided on the whole file, never on a byte-cut sample.

Encodings read: UTF-8 (with or without BOM); UTF-16 and UTF-32 with a BOM; GB18030,
the superset of the GBK and GB2312 that Chinese Excel saves CSV in. Anything else is
refused with the line where it stops being one of these: guessing among single-byte
code pages from a few bytes (cp775, cp1006...) publishes garbled copy with exit 0.

How it is decided (``detect``), in at most two streaming passes, chunk by chunk:

1. A byte order mark names the encoding, and the rest of the file must agree with it:
   a UTF-16/UTF-32 mark must be followed by valid UTF-16/UTF-32, and not by UTF-8
   text (a stray ``FF FE`` before UTF-8 decodes as "valid" UTF-16 nonsense).
2. Without a mark, the whole file is decoded as strict UTF-8. Most files end here.
3. Otherwise each line is classed: ASCII; UTF-8 (it decodes as UTF-8 and reads as
   more plausible text that way than as GB18030); GB18030; or neither. A file with
   GB18030 lines and no UTF-8 lines is GB18030; with UTF-8 lines and no GB18030 lines
   it is UTF-8. A file with both mixes encodings: it is read in the encoding of its
   first non-ASCII line, and the first row in the other one is refused by name.

Rows that do not decode in the chosen encoding are found by the row readers, which
decode with ``surrogateescape`` so that the error names the exact row and column.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol, TypeVar

from copygen.errors import InputError

#: Bytes decoded at a time: decoding allocates several times its input, briefly.
_CHUNK = 64 << 10
#: Bytes of a line looked at to class it (longer lines: their start).
_LINE_HEAD = 4096
#: The fix for every encoding problem, in the words of Excel's "Save as" menu.
SAVE_AS_UTF8 = "save the file as UTF-8 (in Excel: CSV UTF-8)"

_BOMS: tuple[tuple[bytes, str, str, str], ...] = (
    # (mark, codec, name, codec without the mark, for counting lines)
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 LE", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 BE", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE", "utf-16-be"),
)


@dataclass(frozen=True)
class TextEncoding:
    """How to decode a file, and whether it mixes encodings."""

    codec: str
    label: str
    #: Both UTF-8 and GB18030 lines were seen: rows are checked as they are read, so
    #: that the first one not in ``label`` is refused by row and column.
    mixed: bool = False
    #: The first line in the other encoding, for a file-level error if no row is caught.
    other_line: int | None = None

    def open(self, path: Path, *, newline: str | None = None) -> IO[str]:
        # surrogateescape keeps undecodable bytes as marked characters (U+DC80..U+DCFF),
        # so the row reader can name the exact row and column they are in.
        return path.open("r", encoding=self.codec, errors="surrogateescape", newline=newline)

    def undecodable(self) -> str:
        """The message for a row holding bytes that are not in this encoding."""
        text = f"unreadable encoding: bytes that are not valid {self.label}"
        if self.mixed:
            text += f" (the rows before it are {self.label}: the file mixes encodings)"
        return text

    def foreign_row(self, raw: bytes) -> bool:
        """True when ``raw`` (a row's bytes) reads as UTF-8 in a GB18030 file that mixes
        encodings; such a row decodes as GB18030 too, but into nonsense."""
        return self.mixed and self.codec == "gb18030" and _reads_as_utf8(raw)

    def foreign_message(self) -> str:
        return (
            f"this row is UTF-8 but the rows before it are {self.label}: the file mixes encodings"
        )

    def refuse_if_mixed(self, file: str) -> None:
        """After the last row: a row of the other encoding that no cell check caught (a
        short one, read the same either way line by line) is still refused, by the line
        the file pass found."""
        if self.mixed and self.codec == "gb18030":
            raise InputError(
                f"line {self.other_line} is UTF-8 but the lines before it are GB18030:"
                " the file mixes encodings",
                file=file,
                hint=SAVE_AS_UTF8,
            )


UTF8 = TextEncoding("utf-8", "UTF-8")


def detect(path: Path) -> TextEncoding:
    """The encoding of the text file ``path`` (see the module docstring)."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(_CHUNK)
            for bom, codec, label, plain in _BOMS:
                if head.startswith(bom):
                    if codec == "utf-8-sig":
                        return TextEncoding(codec, label)
                    _check_marked(handle, head, bom, label, plain, file)
                    return TextEncoding(codec, label)
            if _mostly_nul(head):
                raise InputError(
                    "NUL bytes: not a text file, or UTF-16/UTF-32 without a byte order mark",
                    file=file,
                    hint=SAVE_AS_UTF8,
                )
            if _is_utf8(handle, head):
                return UTF8
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=file) from None
    return _by_lines(path)


def _mostly_nul(head: bytes) -> bool:
    # UTF-16 text without its mark is ~50 % NUL bytes; a NUL or two in a text file are
    # left to the row readers, which name the row and column.
    nuls = head.count(0)
    return nuls >= 2 and nuls * 10 >= len(head)


def _is_utf8(handle: IO[bytes], head: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    chunk = head
    try:
        while chunk:
            decoder.decode(chunk)
            chunk = handle.read(_CHUNK)
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _check_marked(
    handle: IO[bytes], head: bytes, bom: bytes, label: str, plain: str, file: str
) -> None:
    """A UTF-16/UTF-32 mark must be followed by valid UTF-16/UTF-32 that is not UTF-8."""
    decoder = codecs.getincrementaldecoder(plain)("strict")
    as_utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_ok, nul, lines = True, False, 1
    bad_line: int | None = None
    chunk = head[len(bom) :]
    while True:
        final = not chunk
        if bad_line is None:
            try:
                lines += decoder.decode(chunk, final).count("\n")
            except UnicodeDecodeError as exc:
                good = chunk[: max(exc.start, 0)]
                bad_line = lines + codecs.decode(good, plain, "ignore").count("\n")
        if utf8_ok:
            nul = nul or b"\x00" in chunk
            try:
                as_utf8.decode(chunk, final)
            except UnicodeDecodeError:
                utf8_ok = False
        if final or (bad_line is not None and not utf8_ok):
            break
        chunk = handle.read(_CHUNK)
    marks = " ".join(f"{b:02X}" for b in bom)
    if utf8_ok and not nul and len(head) > len(bom):
        raise InputError(
            f"starts with a {label} byte order mark ({marks}) but the rest of the file"
            " is UTF-8 text: the mark is wrong",
            file=file,
            hint=f"delete the first {len(bom)} bytes, or {SAVE_AS_UTF8}",
        )
    if bad_line is not None:
        raise InputError(
            f"not valid {label} near line {bad_line}, though it starts with a {label}"
            f" byte order mark ({marks})",
            file=file,
            hint=SAVE_AS_UTF8,
        )


# --- files without a mark that are not UTF-8 ---------------------------------------------


def _by_lines(path: Path) -> TextEncoding:
    first_utf8: int | None = None
    first_gb: int | None = None
    with path.open("rb") as handle:
        for number, head, ascii_only, utf8_ok in _lines(handle):
            if ascii_only:
                continue
            if utf8_ok and _reads_as_utf8(head):
                first_utf8 = first_utf8 or number
            elif _decodes(head, "gb18030"):
                first_gb = first_gb or number
    if first_gb is None:
        # UTF-8 with some rows in no encoding read: the row reader names them.
        return UTF8
    gb = TextEncoding("gb18030", "GB18030")
    if first_utf8 is None:
        return gb
    if first_utf8 < first_gb:
        return TextEncoding("utf-8", "UTF-8", mixed=True, other_line=first_gb)
    return TextEncoding("gb18030", "GB18030", mixed=True, other_line=first_utf8)


def _lines(handle: IO[bytes]) -> Iterator[tuple[int, bytes, bool, bool]]:
    """(line number, first bytes, all ASCII, valid UTF-8) per line, read in bounded
    pieces so that a line of any length costs constant memory."""
    number = 1
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    head = b""
    ascii_only = utf8_ok = True
    started = False
    while True:
        piece = handle.readline(_CHUNK)
        if not piece:
            if started:
                yield number, head, ascii_only, utf8_ok and _finished(decoder)
            return
        started = True
        ascii_only = ascii_only and piece.isascii()
        if utf8_ok:
            try:
                decoder.decode(piece)
            except UnicodeDecodeError:
                utf8_ok = False
        if len(head) < _LINE_HEAD:
            head += piece[: _LINE_HEAD - len(head)]
        if piece.endswith(b"\n"):
            yield number, head, ascii_only, utf8_ok and _finished(decoder)
            number += 1
            decoder.reset()
            head, ascii_only, utf8_ok, started = b"", True, True, False


def _finished(decoder: codecs.IncrementalDecoder) -> bool:
    try:
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        # A line's first bytes may end inside a character.
        try:
            codecs.getincrementaldecoder(codec)("strict").decode(raw)
        except UnicodeDecodeError:
            return False
    return True


def _reads_as_utf8(raw: bytes) -> bool:
    """True when non-ASCII ``raw`` is UTF-8, and reads as more plausible text as UTF-8
    than as GB18030. Two-byte GBK characters are often valid UTF-8 by chance (C3 A9
    is both 'é' and a common hanzi); ties go to GB18030, the file's other reading."""
    try:
        as_utf8 = codecs.getincrementaldecoder("utf-8")("strict").decode(raw)
    except UnicodeDecodeError:
        return False
    if as_utf8.isascii():
        return False
    try:
        as_gb = codecs.getincrementaldecoder("gb18030")("strict").decode(raw)
    except UnicodeDecodeError:
        return True
    return _plausibility(as_utf8) > _plausibility(as_gb)


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that are common in copy: GB2312 level-1 hanzi
    and its punctuation and full-width rows, Latin-1 letters, emoji. UTF-8 Chinese read
    as GB18030 gives mostly rare level-2 and extension hanzi; GBK read as UTF-8 gives
    stray Latin, Greek and Cyrillic letters."""
    total = common = 0
    for char in text:
        code = ord(char)
        if code < 0x80:
            continue
        total += 1
        if 0xC0 <= code <= 0xFF or 0x1F300 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF:
            common += 1
            continue
        try:
            lead = char.encode("gb2312")[0]
        except UnicodeEncodeError:
            continue
        if 0xB0 <= lead <= 0xD7 or 0xA1 <= lead <= 0xA3:
            common += 1
    return common / total if total else 0.0


# --- bounded reading ------------------------------------------------------------------


class BoundedLines:
    """The physical lines of a text file for ``csv.reader``, each read with a bound, so
    that a line of any length costs bounded memory; keeps the current record's lines to
    find the column of a cell that is too long."""

    def __init__(
        self, handle: IO[str], limit: int, file: str, *, too_long: str | None = None
    ) -> None:
        self.handle = handle
        self.limit = limit
        self.file = file
        self.too_long = too_long
        self.row: int | None = None
        self.record: list[str] = []

    def start(self, row: int | None) -> None:
        self.row = row
        self.record.clear()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(self.limit + 1)
        if not line:
            raise StopIteration
        if len(line) > self.limit and not line.endswith(("\n", "\r")):
            raise InputError(
                self.too_long
                or f"a line longer than {self.limit:,} characters: a cell in it is longer"
                " than max_cell_chars allows, or a quote is never closed",
                file=self.file,
                row=self.row,
            )
        self.record.append(line)
        return line


class csv_field_limit:
    """csv's field limit, set only while one record is parsed: it is process-wide
    state, and other readers (of results files...) must keep theirs."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.previous = 0

    def __enter__(self) -> None:
        self.previous = csv.field_size_limit(self.limit)

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.previous)


def long_field(record: Sequence[str], delimiter: str, limit: int) -> int | None:
    """The index of the first field over ``limit`` in a record's text, cut short where
    csv stopped."""
    text = "".join(record)
    with csv_field_limit(len(text) + 1):
        fields = next(csv.reader([text], delimiter=delimiter), [])
    for index, value in enumerate(fields):
        if len(value) > limit:
            return index
    return len(fields) - 1 if fields else None


_Record = TypeVar("_Record")


class RecordingLines(Protocol):
    """Lines that keep the text of the record being parsed (see BoundedLines)."""

    record: list[str]

    def start(self, row: int | None) -> None: ...


def csv_header_error(exc: csv.Error, limit: int, file: str) -> InputError:
    """The one-line error for a header row csv could not parse."""
    if "field limit" in str(exc):
        return InputError(
            f"a header cell longer than {limit:,} characters (max_cell_chars)", file=file
        )
    return InputError(f"malformed CSV header: {exc}", file=file)


def csv_records(
    lines: RecordingLines,
    reader: Iterator[_Record],
    *,
    delimiter: str,
    limit: int,
    file: str,
    column_at: Callable[[int | None], str | None],
) -> Iterator[tuple[int, _Record]]:
    """Each record of ``reader`` (reading ``lines``) with its row number, the first
    under the header being 1, parsed under the cell limit. A cell over ``limit`` is an
    error naming its row and column (``column_at`` turns a field index into the
    column's name); other malformed CSV names the row."""
    number = 0
    while True:
        lines.start(number + 1)
        try:
            with csv_field_limit(limit):
                record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                index = long_field(lines.record, delimiter, limit)
                raise InputError(
                    f"a cell longer than {limit:,} characters (max_cell_chars)",
                    file=file,
                    row=number + 1,
                    column=column_at(index),
                ) from None
            raise InputError(f"malformed CSV: {exc}", file=file, row=number + 1) from None
        number += 1
        yield number, record
