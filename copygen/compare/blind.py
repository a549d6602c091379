"""A blind rating sheet: people score the backends' texts without knowing who wrote which.

:func:`write_blind_sheet` writes an XLSX with one row per text (every record of
every backend that has copy), grouped by task (sku, platform, lang, variant). The
groups come in a shuffled order and the texts of a group are shuffled too, each
named only by an opaque code (``T-7Q3K``) drawn from a seeded generator. The
raters give each text a score from 1 to 5 and mark the best text of each group
with an ``x``.

The key (code -> backend, item id, group) is never in the sheet: it goes to
``OUTDIR/blind_key.json`` with the seed and the sheet's sha256, and
:func:`read_ratings` needs it to turn the filled sheet back into numbers per
backend: mean score and win rate.

Every cell is data: the texts come from models, so each string goes through
:func:`copygen.files.tables.safe_cell` and is stored as a plain string, never a
formula. The filled sheet is read through the bounded XLSX reader of
:mod:`copygen.inputs.xlsx_files`, and a sheet with far more rows than the key has
texts is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from copygen.compare.records import ItemKey, backend_folder, fields_text, item_key, load_records
from copygen.errors import InputError

__all__ = [
    "BLIND_KEY",
    "HOWTO_SHEET",
    "RATE_SHEET",
    "BlindSheetInfo",
    "read_ratings",
    "write_blind_sheet",
]

BLIND_KEY = "blind_key.json"
RATE_SHEET = "rate 评分"
HOWTO_SHEET = "how to 说明"
_KEY_FORMAT = "copygen-blind-key"
_KEY_VERSION = 1

#: The rating sheet's columns: (header, width in characters).
_COLUMNS: tuple[tuple[str, int], ...] = (
    ("group 组", 9),
    ("product 商品", 28),
    ("platform 平台", 13),
    ("code 编号", 11),
    ("text 文案", 72),
    ("score 评分 (1-5)", 15),
    ("preferred 最佳 (x)", 17),
)
_GROUP, _TITLE, _PLATFORM, _CODE, _TEXT, _SCORE, _PREFERRED = range(1, 8)
#: Words that find a column in the filled sheet's header row (a rater may have
#: widened or re-typed a header, or inserted a column of notes).
_HEADER_WORDS: dict[int, tuple[str, ...]] = {
    _CODE: ("code", "编号"),
    _SCORE: ("score", "评分"),
    _PREFERRED: ("preferred", "最佳"),
}

_INSTRUCTIONS: tuple[str, ...] = (
    "每组是为同一商品、同一平台写的几条文案，顺序是随机的。"
    " / Each group holds several texts written for the same product and platform,"
    " in random order.",
    "在「score 评分」列给每条文案打 1-5 分（5 最好），不想打分可以留空。"
    " / Give each text a whole-number score from 1 to 5 (5 = best) in the score column;"
    " leave it empty to skip a text.",
    "在每组最好的那条文案的「preferred 最佳」列填 x，每组最多一个 x。"
    " / Mark the best text of each group with an x in the preferred column:"
    " at most one x per group.",
    "不要修改编号列，不要删除或调换行；填好后保存为 .xlsx 交回。"
    " / Do not change the code column or move rows; save the file as .xlsx and hand it back.",
)

# Codes: "T-" and random characters that cannot be mistaken for one another.
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CODE_PREFIX = "T-"
# Control characters that XLSX (XML 1.0) cannot hold; openpyxl refuses them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_MAX_CELL = 32767
#: Rows a filled sheet may have beyond the header and one row per text (notes a
#: rater adds below): more, and it is not the sheet that was handed out.
MARGIN_ROWS = 1000
#: Columns of the header row looked at.
_MAX_HEADER_COLUMNS = 64
_MARKS = frozenset({"x", "×", "✓", "✔", "√", "v", "y", "yes", "1", "是", "对"})

_GROUP_FILL = "F2F2F2"
_HEADER_FILL = "DDEBF7"


@dataclass(frozen=True)
class BlindSheetInfo:
    """What :func:`write_blind_sheet` wrote."""

    sheet: Path
    key: Path
    texts: int
    groups: int
    seed: int
    #: Texts per backend, in the order of ``names``.
    per_backend: dict[str, int] = field(default_factory=dict)

    @property
    def key_path(self) -> Path:
        """``key`` under the name the brief gave it."""
        return self.key


@dataclass
class _Text:
    backend: str
    item_id: str
    title: str
    platform: str
    text: str
    code: str = ""


# --- writing -----------------------------------------------------------------------------------


def write_blind_sheet(
    outdir: Path, sheet: Path, *, names: Sequence[str], seed: int = 0
) -> BlindSheetInfo:
    """Write the blind rating sheet ``sheet`` and its key ``outdir/blind_key.json``.

    One row per text of every backend in ``names`` (records without copy, i.e.
    errors, are left out), grouped by task; groups and the texts within a group in
    an order shuffled by ``seed`` (the same folders and seed give the same rows and
    codes, so a sheet written again still reads with the key written again).
    Both files are replaced atomically, the sheet first.
    """
    outdir, sheet = Path(outdir), Path(sheet)
    names = list(dict.fromkeys(names))
    if not names:
        raise InputError("no backends to rate", file=outdir)
    groups = _collect(outdir, names)
    if not groups:
        raise InputError("nothing to rate: no backend has a text without an error", file=outdir)
    rng = random.Random(_rng_seed(seed, groups))
    order = sorted(groups)
    rng.shuffle(order)
    ordered: list[list[_Text]] = []
    for key in order:
        texts = groups[key]
        rng.shuffle(texts)
        ordered.append(texts)
    total = sum(len(texts) for texts in ordered)
    codes = _codes(rng, total)
    for text, code in zip((t for texts in ordered for t in texts), codes, strict=True):
        text.code = code

    data = _workbook_bytes(ordered)
    from copygen.files.atomic import atomic_writer

    with atomic_writer(sheet, "wb") as handle:
        handle.write(data)
    key_path = outdir / BLIND_KEY
    key_doc = {
        "format": _KEY_FORMAT,
        "version": _KEY_VERSION,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "sheet": sheet.name,
        "sheet_sha256": hashlib.sha256(data).hexdigest(),
        "backends": names,
        "groups": len(ordered),
        "texts": {
            t.code: {"backend": t.backend, "id": t.item_id, "group": number}
            for number, texts in enumerate(ordered, start=1)
            for t in texts
        },
    }
    with atomic_writer(key_path, "w", encoding="utf-8") as handle:
        json.dump(key_doc, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    per_backend = {name: 0 for name in names}
    for texts in ordered:
        for t in texts:
            per_backend[t.backend] += 1
    return BlindSheetInfo(
        sheet=sheet,
        key=key_path,
        texts=total,
        groups=len(ordered),
        seed=seed,
        per_backend=per_backend,
    )


def _collect(outdir: Path, names: Sequence[str]) -> dict[ItemKey, list[_Text]]:
    """The texts to rate by task, each task's texts in the order of ``names``."""
    groups: dict[ItemKey, list[_Text]] = {}
    for name in names:
        folder = backend_folder(outdir, name)
        if not (folder / "results.jsonl").is_file():
            raise InputError(f"no results for backend {name!r}", file=folder)
        for record in load_records(folder):
            fields = record.get("fields")
            if record.get("status") == "error" or not isinstance(fields, Mapping):
                continue
            text = fields_text(fields)
            if not text.strip():
                continue
            key = item_key(record)
            groups.setdefault(key, []).append(
                _Text(
                    backend=name,
                    item_id=str(record.get("id")),
                    title=_title(record) or key[0],
                    platform=key[1],
                    text=text,
                )
            )
    return groups


def _title(record: Mapping[str, Any]) -> str | None:
    product = record.get("product")
    if isinstance(product, Mapping) and product.get("title"):
        return str(product["title"])
    return None


def _rng_seed(seed: int, groups: Mapping[ItemKey, list[_Text]]) -> str:
    """The generator's seed: ``seed`` and what is rated.

    With the seed alone, two comparisons with the same number of backends and tasks
    would get the same permutation, and a key seen once would tell a rater which
    position is which backend in every later sheet. (``random.Random`` hashes a str
    seed with SHA-512: the same in every process.)
    """
    digest = hashlib.sha256()
    for key in sorted(groups):
        for text in sorted(groups[key], key=lambda t: (t.backend, t.item_id)):
            digest.update(f"{text.backend}\0{text.item_id}\n".encode())
    return f"copygen-blind:{seed}:{digest.hexdigest()}"


def _codes(rng: random.Random, count: int) -> list[str]:
    """``count`` different random codes, long enough that a guess rarely hits one."""
    length = 4
    while len(_CODE_ALPHABET) ** length < 20 * count:
        length += 1
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < count:
        code = _CODE_PREFIX + "".join(rng.choice(_CODE_ALPHABET) for _ in range(length))
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def _cell_text(value: Any) -> str:
    """A string cell's content: never a formula, only characters XLSX can hold."""
    from copygen.files.tables import safe_cell

    return _XLSX_ILLEGAL.sub("", safe_cell(value))[:_XLSX_MAX_CELL]


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=column)
    if isinstance(value, int) and not isinstance(value, bool):
        cell.value = value
    else:
        cell.value = _cell_text(value)
        # openpyxl makes any string starting with "=" a formula; pin it to text.
        cell.data_type = "s"
    return cell


def _workbook_bytes(groups: Sequence[Sequence[_Text]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    ws = workbook.active
    ws.title = RATE_SHEET
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    center = Alignment(horizontal="center", vertical="top")
    group_fill = PatternFill("solid", fgColor=_GROUP_FILL)
    for column, (header, width) in enumerate(_COLUMNS, start=1):
        cell = _put(ws, 1, column, header)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(column)].width = width
    row = 1
    for number, texts in enumerate(groups, start=1):
        for text in texts:
            row += 1
            values = (number, text.title, text.platform, text.code, text.text, None, None)
            for column, value in enumerate(values, start=1):
                cell = (
                    ws.cell(row=row, column=column)
                    if value is None
                    else _put(ws, row, column, value)
                )
                if column in (_TITLE, _TEXT):
                    cell.alignment = wrap
                elif column in (_GROUP, _SCORE, _PREFERRED):
                    cell.alignment = center
                else:
                    cell.alignment = top
                if number % 2 == 0:
                    cell.fill = group_fill
    ws.freeze_panes = "A2"
    if row > 1:
        score = DataValidation(
            type="whole",
            operator="between",
            formula1="1",
            formula2="5",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="1-5",
            error="请填 1 到 5 的整数 / a whole number from 1 to 5",
        )
        letter = get_column_letter(_SCORE)
        score.add(f"{letter}2:{letter}{row}")
        ws.add_data_validation(score)

    howto = workbook.create_sheet(HOWTO_SHEET)
    howto.column_dimensions["A"].width = 110
    for number, line in enumerate(_INSTRUCTIONS, start=1):
        _put(howto, number, 1, line).alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------------


def read_ratings(outdir: Path, sheet: Path) -> dict[str, dict[str, Any]]:
    """The filled sheet's scores and preferences per backend, through the key.

    Per backend of the key: ``mean_rating`` (mean score, None without one),
    ``ratings`` (texts scored), ``wins`` (groups where its text was marked best),
    ``groups`` (groups with a mark in which it had a text) and ``win_rate``
    (wins / groups, None without such a group). Empty scores are skipped. Errors
    (InputError) name the sheet and its row as Excel numbers it, header included.
    """
    outdir, sheet = Path(outdir), Path(sheet)
    key = _read_key(outdir / BLIND_KEY)
    texts: dict[str, dict[str, Any]] = key["texts"]
    backends: list[str] = key["backends"]
    file = str(sheet)
    if not sheet.is_file():
        raise InputError("rating sheet not found", file=sheet)

    scores: dict[str, int] = {}
    marks: dict[int, list[tuple[int, str]]] = {}  # group -> (sheet row, code)
    for row, code, score, mark in _sheet_entries(
        sheet, file, limit=1 + len(texts) + MARGIN_ROWS, known=texts
    ):
        if score is not None:
            scores[code] = score
        if mark:
            marks.setdefault(int(texts[code]["group"]), []).append((row, code))

    for group, marked in sorted(marks.items()):
        if len(marked) > 1:
            rows = ", ".join(str(r) for r, _ in marked)
            raise InputError(
                f"group {group} has {len(marked)} texts marked preferred (rows {rows});"
                " mark at most one per group",
                file=file,
                row=marked[1][0],
                column=_COLUMNS[_PREFERRED - 1][0],
            )

    members: dict[int, set[str]] = {}
    for entry in texts.values():
        members.setdefault(int(entry["group"]), set()).add(str(entry["backend"]))
    out: dict[str, dict[str, Any]] = {}
    for name in backends:
        given = [s for c, s in scores.items() if texts[c]["backend"] == name]
        judged = [g for g in marks if name in members.get(g, set())]
        wins = sum(1 for g in judged if texts[marks[g][0][1]]["backend"] == name)
        out[name] = {
            "mean_rating": round(sum(given) / len(given), 3) if given else None,
            "ratings": len(given),
            "wins": wins,
            "groups": len(judged),
            "win_rate": round(wins / len(judged), 3) if judged else None,
        }
    return out


def _read_key(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "no blind key here: write the rating sheet with --blind-sheet first",
            file=path,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the blind key: {exc}", file=path) from None
    try:
        key = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"the blind key is not valid JSON: {exc}", file=path) from None
    if not isinstance(key, dict) or key.get("format") != _KEY_FORMAT:
        raise InputError("not a copygen blind key", file=path)
    texts, backends = key.get("texts"), key.get("backends")
    if (
        not isinstance(texts, dict)
        or not isinstance(backends, list)
        or not all(isinstance(b, str) for b in backends)
        or not all(
            isinstance(e, dict)
            and e.get("backend") in backends
            and isinstance(e.get("group"), int)
            and not isinstance(e.get("group"), bool)
            for e in texts.values()
        )
    ):
        raise InputError("the blind key is damaged (texts or backends)", file=path)
    return key


def _sheet_entries(
    sheet: Path, file: str, *, limit: int, known: Mapping[str, Any]
) -> Iterator[tuple[int, str, int | None, bool]]:
    """(sheet row, code, score, marked) of each row with a code, validated."""
    from copygen.inputs.xlsx_files import BROKEN_WORKBOOK, broken, open_first_sheet

    workbook = open_first_sheet(sheet, file, _XLSX_MAX_CELL)
    try:
        scan = workbook.scan
        if scan.oversized is not None:
            raise InputError(
                "a cell larger than any text of the sheet: not the rating sheet handed out",
                file=file,
                row=scan.oversized[0],
            )
        if scan.last_row is not None and scan.last_row > limit:
            raise _too_many_rows(file, scan.last_row, limit)
        rows = workbook.rows(max_col=_MAX_HEADER_COLUMNS)
        columns: dict[int, int] | None = None
        headers: dict[int, str] = {}
        seen: dict[str, int] = {}
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except BROKEN_WORKBOOK as exc:
                raise broken(file, exc) from None
            number += 1
            if number > limit:
                raise _too_many_rows(file, number, limit)
            if columns is None:
                if not any(_text(v) for v in values):
                    continue  # blank rows above the header
                columns, headers = _header(values, file, number, workbook.title)
                continue
            code_value = _at(values, columns[_CODE])
            score_value = _at(values, columns[_SCORE])
            mark_value = _at(values, columns[_PREFERRED])
            code = _text(code_value).upper()
            if not code:
                if _text(score_value) or _text(mark_value):
                    raise InputError(
                        "a score or mark on a row without a text code",
                        file=file,
                        row=number,
                        column=headers[_CODE],
                    )
                continue
            if code not in known:
                raise InputError(
                    f"text code {_shown(code)} is not in the blind key: this sheet was"
                    " not written with it, or the code was changed",
                    file=file,
                    row=number,
                    column=headers[_CODE],
                    hint="rate the sheet written last, or write it again with the same seed",
                )
            if code in seen:
                raise InputError(
                    f"text code {code} appears twice (rows {seen[code]} and {number})",
                    file=file,
                    row=number,
                    column=headers[_CODE],
                )
            seen[code] = number
            score = _score(score_value, file, number, headers[_SCORE])
            marked = _mark(mark_value, file, number, headers[_PREFERRED])
            yield number, code, score, marked
        if columns is None:
            raise InputError(f"sheet '{workbook.title}' is empty", file=file)
    finally:
        workbook.close()


def _too_many_rows(file: str, rows: int, limit: int) -> InputError:
    return InputError(
        f"the sheet has {rows:,}+ rows but its key has {limit - 1 - MARGIN_ROWS:,} texts:"
        " not the rating sheet handed out",
        file=file,
    )


def _header(
    values: Sequence[Any], file: str, row: int, title: str
) -> tuple[dict[int, int], dict[int, str]]:
    """Where the code, score and preferred columns are (0-based), and their headers."""
    cells = [_text(v) for v in values]
    columns: dict[int, int] = {}
    headers: dict[int, str] = {}
    for which, words in _HEADER_WORDS.items():
        for index, cell in enumerate(cells):
            folded = cell.casefold()
            if any(word in folded for word in words):
                columns[which] = index
                headers[which] = cell
                break
        else:
            wanted = _COLUMNS[which - 1][0]
            raise InputError(
                f"no '{wanted}' column in the first row of sheet '{title}':"
                " not a blind rating sheet",
                file=file,
                row=row,
                hint=f"the sheet '{RATE_SHEET}' must be the first sheet of the workbook",
            )
    return columns, headers


def _at(values: Sequence[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _score(value: Any, file: str, row: int, column: str) -> int | None:
    """A score 1-5, None for an empty cell; InputError for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                parsed = float(text)
            except ValueError:
                parsed = math.nan
            number = int(parsed) if math.isfinite(parsed) and parsed.is_integer() else None
    if number is None or not 1 <= number <= 5:
        raise InputError(
            f"score {_shown(_text(value))} is not a whole number from 1 to 5",
            file=file,
            row=row,
            column=column,
        )
    return number


def _mark(value: Any, file: str, row: int, column: str) -> bool:
    text = _text(value)
    if not text:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value == 1:
        return True
    if text.casefold() in _MARKS:
        return True
    raise InputError(
        f"{_shown(text)} is not a mark: put an x in the preferred column, or leave it empty",
        file=file,
        row=row,
        column=column,
    )
