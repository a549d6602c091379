"""Inputs and outcomes of ``copygen check``: reading texts, deciding the exit code.

Inputs are read lazily (:func:`iter_inputs`), one line at a time, so a file of any
size is read in constant memory: a malformed line fails the command (exit 2, naming
file and line) when it is reached. What can be decided up front still is: the file's
type and encoding before the first item. Reading is bounded: a text by
``max_cell_chars``, a line by ``LINE_CELLS`` of them.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from copygen.compliance.findings import SEVERITY_RANK, CheckResult
from copygen.config import DEFAULT_MAX_CELL_CHARS
from copygen.errors import InputError
from copygen.inputs.cells import value_refusal
from copygen.inputs.text_files import (
    SAVE_AS_UTF8,
    UTF8,
    BoundedLines,
    TextEncoding,
    csv_field_limit,
    csv_header_error,
    csv_records,
    detect,
)

FAIL_ON_RANK: dict[str, int] = {"block": 3, "warn": 2, "info": 1, "never": 99}
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class CheckItem:
    id: Any  # given id (kept as given), or the 1-based line/row/argument number
    content: str | dict[str, Any]
    lang: str | None = None
    category: str | None = None
    platform: str | None = None
    product: Mapping[str, Any] | None = None
    line: int | None = None  # 1-based line (txt, jsonl) or data row (csv) in the input


def exit_code_for(results: Iterable[CheckResult], fail_on: str) -> int:
    """1 if any finding is at or above ``fail_on``, else 0."""
    threshold = FAIL_ON_RANK[fail_on]
    for result in results:
        if any(SEVERITY_RANK[f.severity] >= threshold for f in result.findings):
            return 1
    return 0


#: Characters of one line of a ``.jsonl`` input or a ``--product`` file read at most,
#: per allowed cell (see ``copygen.inputs.product_files.LINE_CELLS``).
LINE_CELLS = 96
_STDIN = "<stdin>"


def read_inputs(
    source: str,
    *,
    column: str | None = None,
    stdin: Any = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
) -> list[CheckItem]:
    """Every item of ``source`` (see :func:`iter_inputs`), read and validated in full."""
    return list(iter_inputs(source, column=column, stdin=stdin, max_cell_chars=max_cell_chars))


def iter_inputs(
    source: str,
    *,
    column: str | None = None,
    stdin: Any = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
) -> Iterator[CheckItem]:
    """Items from ``.txt`` / ``.jsonl`` / ``.csv`` or ``-`` (stdin: JSONL if it starts
    with ``{``, otherwise one text per line), read as they are asked for.

    The type of a file and its encoding are decided when this is called; each line is
    read and validated when its item is asked for, and a file without any text is
    refused after its last line.

    Files are decoded as product files are (``copygen.inputs.text_files``: the whole
    file decides; a byte order mark the rest contradicts, or a file mixing encodings, is
    refused); stdin must be UTF-8. In files, lines end at ``\\n``, ``\\r\\n`` or ``\\r``. Every text
    is at most ``max_cell_chars`` long and holds no NUL or lone surrogate; each of these
    is refused by file, line (or row) and column."""
    limit = max_cell_chars
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin
        piped = _Stdin(stream, LINE_CELLS * limit)
        first = piped.peek_text()
        if column is not None:
            return _csv_items(piped, _STDIN, column, limit, UTF8)
        if first.lstrip().startswith("{"):
            return _jsonl_items(piped, _STDIN, limit, UTF8)
        return _txt_items(piped, _STDIN, limit, UTF8)
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".jsonl", ".ndjson", ".csv", ".tsv"):
        raise InputError(
            "unsupported input type; use .txt (one text per line), .jsonl or .csv", file=path
        )
    encoding = _detect(path)
    return _file_items(path, suffix, column, limit, encoding)


def _file_items(
    path: Path, suffix: str, column: str | None, limit: int, encoding: TextEncoding
) -> Iterator[CheckItem]:
    name = str(path)
    is_csv = suffix in (".csv", ".tsv")
    items: Iterator[CheckItem]
    count = 0
    with _open(path, encoding, newline="" if is_csv else None) as handle:
        if is_csv:
            lines = BoundedLines(handle, LINE_CELLS * limit, name)
            delimiter = "\t" if suffix == ".tsv" else ","
            items = _csv_items(lines, name, column, limit, encoding, delimiter=delimiter)
        elif suffix in (".jsonl", ".ndjson"):
            items = _jsonl_items(
                BoundedLines(handle, LINE_CELLS * limit, name), name, limit, encoding
            )
        else:
            too_long = f"a text longer than {limit:,} characters (max_cell_chars)"
            items = _txt_items(
                BoundedLines(handle, limit + 2, name, too_long=too_long), name, limit, encoding
            )
        for item in items:
            count += 1
            yield item
    if not count:
        raise InputError("nothing to check: no texts in the file", file=path)


def _detect(path: Path) -> TextEncoding:
    if not path.exists():
        raise InputError("input file not found", file=path)
    if path.is_dir():
        raise InputError("is a directory, expected a text file", file=path)
    return detect(path)


def _open(path: Path, encoding: TextEncoding, *, newline: str | None) -> IO[str]:
    try:
        return encoding.open(path, newline=newline)
    except OSError as exc:
        raise InputError(f"cannot read input: {exc.strerror or exc}", file=path) from None


class _Stdin:
    """Lines of stdin, read with a bound and decoded as strict UTF-8 when stdin gives
    bytes (a text stream has decoded them already)."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.raw = getattr(stream, "buffer", None)
        self.stream = stream
        self.limit = limit
        self.row: int | None = None
        self.record: list[str] = []
        # Peeked lines: how many blank ones, then the first with text (counted, not
        # kept: stdin may open with any number of blank lines).
        self.blank_lines = 0
        self.first: str | None = None
        self.number = 0

    def start(self, row: int | None) -> None:
        self.row = row
        self.record.clear()

    def peek_text(self) -> str:
        """The first non-blank line, left to be read again."""
        while True:
            line = self._read()
            if not line:
                return ""
            if line.strip():
                self.first = line
                return line
            self.blank_lines += 1

    def __iter__(self) -> _Stdin:
        return self

    def __next__(self) -> str:
        if self.blank_lines:
            self.blank_lines -= 1
            line = "\n"
        elif self.first is not None:
            line, self.first = self.first, None
        else:
            line = self._read()
        if not line:
            raise StopIteration
        self.record.append(line)
        return line

    def _read(self) -> str:
        self.number += 1
        try:
            if self.raw is None:
                line = str(self.stream.readline(self.limit + 1))
            else:
                data = self.raw.readline(4 * self.limit + 4)
                if len(data) > 4 * self.limit and not data.endswith(b"\n"):
                    raise InputError(
                        f"a line longer than {self.limit:,} characters",
                        file=_STDIN,
                        row=self.number,
                    )
                if self.number == 1 and data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
                line = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(
                "not valid UTF-8 (stdin must be UTF-8; give a file with --input to read"
                " another encoding)",
                file=_STDIN,
                row=self.number,
            ) from None
        if len(line) > self.limit and not line.endswith(("\n", "\r")):
            raise InputError(
                f"a line longer than {self.limit:,} characters", file=_STDIN, row=self.number
            )
        return line


Lines = BoundedLines | _Stdin


def _checked_line(line: str, name: str, number: int | None, encoding: TextEncoding) -> str:
    """The line without its end; bytes not in the file's encoding refused."""
    if _UNDECODABLE.search(line):
        raise InputError(encoding.undecodable(), file=name, row=number, hint=SAVE_AS_UTF8)
    raw = line.encode(encoding.codec, "surrogateescape") if encoding.mixed else b""
    if raw and not line.isascii() and encoding.foreign_row(raw):
        raise InputError(encoding.foreign_message(), file=name, row=number, hint=SAVE_AS_UTF8)
    return line.rstrip("\r\n")


def _refuse(value: Any, name: str, number: int | None, column: str | None, limit: int) -> None:
    problem = value_refusal(value, limit)
    if problem is not None:
        raise InputError(problem, file=name, row=number, column=column)


def _text_lines(lines: Lines, name: str, encoding: TextEncoding) -> Iterator[tuple[int, str]]:
    """(line number, line) of each non-blank line, checked; the encoding is checked once
    more after the last one."""
    lines.start(1)
    for number, raw in enumerate(lines, start=1):
        lines.start(number + 1)
        line = _checked_line(raw, name, number, encoding)
        if line.strip():
            yield number, line
    encoding.refuse_if_mixed(name)


def _txt_items(lines: Lines, name: str, limit: int, encoding: TextEncoding) -> Iterator[CheckItem]:
    for number, line in _text_lines(lines, name, encoding):
        _refuse(line, name, number, None, limit)
        yield CheckItem(id=number, content=line, line=number)


def _csv_items(
    lines: Lines,
    name: str,
    column: str | None,
    limit: int,
    encoding: TextEncoding,
    *,
    delimiter: str = ",",
) -> Iterator[CheckItem]:
    reader = csv.DictReader(lines, delimiter=delimiter)
    lines.start(None)
    with csv_field_limit(limit):
        try:
            fieldnames = reader.fieldnames or []
        except csv.Error as exc:
            raise csv_header_error(exc, limit, name) from None
    header = [h.strip() for h in fieldnames]
    reader.fieldnames = header
    for cell in header:
        _refuse(_checked_line(cell, name, None, encoding), name, None, None, limit)
    wanted = column or ("text" if "text" in header else None)
    if wanted is None:
        raise InputError(
            f"no 'text' column; pick one with --column (columns: {', '.join(header)})", file=name
        )
    if wanted not in header:
        raise InputError(
            f"no column {wanted!r} (columns: {', '.join(header)})", file=name, column=wanted
        )

    def column_at(index: int | None) -> str | None:
        return header[index] if index is not None and index < len(header) else None

    records = csv_records(
        lines, reader, delimiter=delimiter, limit=limit, file=name, column_at=column_at
    )
    for number, row in records:
        for key, value in row.items():
            if isinstance(value, str):
                _checked_line(value, name, number, encoding)
                _refuse(value, name, number, key, limit)
        value = row.get(wanted) or ""
        if not value.strip():
            continue
        given = (row.get("id") or "").strip()
        yield CheckItem(
            id=given or number,
            content=value,
            lang=(row.get("lang") or "").strip() or None,
            category=(row.get("category") or "").strip() or None,
            platform=(row.get("platform") or "").strip() or None,
            line=number,
        )
    encoding.refuse_if_mixed(name)


def _jsonl_items(
    lines: Lines, name: str, limit: int, encoding: TextEncoding
) -> Iterator[CheckItem]:
    for number, line in _text_lines(lines, name, encoding):
        yield _json_item(_json(line, name, number), name, number, limit)


def _json(text: str, name: str | Path, number: int | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", file=name, row=number if number else exc.lineno
        ) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", file=name, row=number) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"invalid JSON: {exc}", file=name, row=number) from None


def _json_item(data: Any, name: str, number: int, limit: int) -> CheckItem:
    def fail(message: str) -> InputError:
        return InputError(message, file=name, row=number)

    if not isinstance(data, dict):
        raise fail("each line must be a JSON object with 'text' or 'fields'")
    content: str | dict[str, Any]
    if "text" in data:
        if not isinstance(data["text"], str):
            raise fail("'text' must be a string")
        content = data["text"]
        _refuse(content, name, number, "text", limit)
    elif "fields" in data:
        fields = data["fields"]
        if not isinstance(fields, dict):
            raise fail("'fields' must be an object of field names to texts")
        for key, value in fields.items():
            ok = (
                value is None
                or isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            )
            if not ok:
                raise fail(f"field {key!r} must be a string or a list of strings")
            _refuse(key, name, number, "fields", limit)
            _refuse(value, name, number, f"fields.{key}", limit)
        content = fields
    else:
        raise fail("object has neither 'text' nor 'fields'")
    options: dict[str, str | None] = {}
    for key in ("lang", "category", "platform"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f"'{key}' must be a string")
        _refuse(value, name, number, key, limit)
        options[key] = value or None
    product = data.get("product")
    if product is not None and not isinstance(product, dict):
        raise fail("'product' must be an object")
    for key, value in (product or {}).items():
        _refuse(key, name, number, "product", limit)
        _refuse(value, name, number, f"product.{key}", limit)
    given = data.get("id")
    if given is not None and not isinstance(given, (str, int)):
        raise fail("'id' must be a string or a number")
    _refuse(given, name, number, "id", limit)
    return CheckItem(
        id=given if given is not None else number,
        content=content,
        lang=options["lang"],
        category=options["category"],
        platform=options["platform"],
        product=product,
        line=number,
    )


def read_product(path: Path, *, max_cell_chars: int = DEFAULT_MAX_CELL_CHARS) -> dict[str, Any]:
    """``--product FILE.json``: one JSON object of product columns, at most
    ``LINE_CELLS`` x ``max_cell_chars`` characters, each value within the cell limits."""
    size = LINE_CELLS * max_cell_chars
    encoding = _detect(path)
    with _open(path, encoding, newline=None) as handle:
        text = handle.read(size + 1)
    if len(text) > size:
        raise InputError(f"larger than {size:,} characters: not a product's columns", file=path)
    if _UNDECODABLE.search(text):
        raise InputError(encoding.undecodable(), file=path)
    data = _json(text, path, None)
    if not isinstance(data, dict):
        raise InputError("expected one JSON object of product columns", file=path)
    for key, value in data.items():
        _refuse(key, str(path), None, None, max_cell_chars)
        _refuse(value, str(path), None, str(key), max_cell_chars)
    validate_product(data, str(path))
    return data


def validate_product(data: Mapping[str, Any], source: str, row: int | None = None) -> None:
    """Prices and attributes must parse; other columns are free."""
    from copygen.inputs.product import FieldValueError, parse_attributes, parse_price

    try:
        parse_price(data.get("price"), "price")
        parse_price(data.get("promo_price"), "promo_price")
        parse_attributes(data.get("attributes"))
    except FieldValueError as exc:
        raise InputError(str(exc), file=source, row=row, column=exc.column) from None


def result_record(item: CheckItem, result: CheckResult) -> dict[str, Any]:
    """The ``--format jsonl`` object of one input."""
    return {
        "id": item.id,
        "status": result.status,
        "findings": [f.to_dict() for f in result.findings],
    }


def summary(results: Sequence[CheckResult]) -> dict[str, int]:
    counts = {"items": len(results), "pass": 0, "review": 0, "blocked": 0, "findings": 0}
    for result in results:
        counts[result.status] += 1
        counts["findings"] += len(result.findings)
    return counts
