"""Inputs and outcomes of ``copygen check``: reading texts, deciding the exit code.

Inputs are read and validated in full before anything is checked, so a malformed
line fails the command (exit 2, naming file and line) before any output is written.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copygen.compliance.findings import SEVERITY_RANK, CheckResult
from copygen.errors import InputError

FAIL_ON_RANK: dict[str, int] = {"block": 3, "warn": 2, "info": 1, "never": 99}


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


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("input file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read input: {exc.strerror or exc}", file=path) from None
    return _decode(data, path)


def _decode(data: bytes, path: Path | str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError("cannot detect the text encoding", file=path)
    return str(best)


def read_inputs(source: str, *, column: str | None = None, stdin: Any = None) -> list[CheckItem]:
    """Items from ``.txt`` / ``.jsonl`` / ``.csv`` or ``-`` (stdin: JSONL if it starts
    with ``{``, otherwise one text per line)."""
    if source == "-":
        stream = stdin if stdin is not None else sys.stdin
        raw = stream.read()
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        name = "<stdin>"
        if column is not None:
            return _csv_items(text, name, column)
        if text.lstrip().startswith("{"):
            return _jsonl_items(text, name)
        return _txt_items(text)
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".jsonl", ".ndjson", ".csv", ".tsv"):
        raise InputError(
            "unsupported input type; use .txt (one text per line), .jsonl or .csv", file=path
        )
    text = _read_text(path)
    if suffix in (".csv", ".tsv"):
        return _csv_items(text, str(path), column, delimiter="\t" if suffix == ".tsv" else ",")
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_items(text, str(path))
    return _txt_items(text)


def _txt_items(text: str) -> list[CheckItem]:
    return [
        CheckItem(id=number, content=line, line=number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _csv_items(
    text: str, name: str, column: str | None, *, delimiter: str = ","
) -> list[CheckItem]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    wanted = column or ("text" if "text" in header else None)
    if wanted is None:
        raise InputError(
            f"no 'text' column; pick one with --column (columns: {', '.join(header)})", file=name
        )
    if wanted not in header:
        raise InputError(
            f"no column {wanted!r} (columns: {', '.join(header)})", file=name, column=wanted
        )
    items: list[CheckItem] = []
    for number, row in enumerate(reader, start=1):
        value = row.get(wanted) or ""
        if not value.strip():
            continue
        given = (row.get("id") or "").strip()
        items.append(
            CheckItem(
                id=given or number,
                content=value,
                lang=(row.get("lang") or "").strip() or None,
                category=(row.get("category") or "").strip() or None,
                platform=(row.get("platform") or "").strip() or None,
                line=number,
            )
        )
    return items


def _jsonl_items(text: str, name: str) -> list[CheckItem]:
    items: list[CheckItem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=name, row=number) from None
        items.append(_json_item(data, name, number))
    return items


def _json_item(data: Any, name: str, number: int) -> CheckItem:
    def fail(message: str) -> InputError:
        return InputError(message, file=name, row=number)

    if not isinstance(data, dict):
        raise fail("each line must be a JSON object with 'text' or 'fields'")
    content: str | dict[str, Any]
    if "text" in data:
        if not isinstance(data["text"], str):
            raise fail("'text' must be a string")
        content = data["text"]
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
        content = fields
    else:
        raise fail("object has neither 'text' nor 'fields'")
    options: dict[str, str | None] = {}
    for key in ("lang", "category", "platform"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f"'{key}' must be a string")
        options[key] = value or None
    product = data.get("product")
    if product is not None and not isinstance(product, dict):
        raise fail("'product' must be an object")
    given = data.get("id")
    if given is not None and not isinstance(given, (str, int)):
        raise fail("'id' must be a string or a number")
    return CheckItem(
        id=given if given is not None else number,
        content=content,
        lang=options["lang"],
        category=options["category"],
        platform=options["platform"],
        product=product,
        line=number,
    )


def read_product(path: Path) -> dict[str, Any]:
    """``--product FILE.json``: one JSON object of product columns."""
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=path, row=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected one JSON object of product columns", file=path)
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
