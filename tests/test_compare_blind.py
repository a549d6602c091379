"""The blind rating sheet of `copygen compare`: written without a trace of the backends,
read back through the key into mean scores and win rates."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from copygen.compare.blind import (
    BLIND_KEY,
    HOWTO_SHEET,
    RATE_SHEET,
    read_ratings,
    write_blind_sheet,
)
from copygen.errors import ExitCode, InputError
from copygen.generate.store import ResultStore

NAMES = ["backend_alpha", "backend_beta"]
MODELS = {"backend_alpha": "model-alpha-7b", "backend_beta": "model-beta-70b"}
STYLE = {"backend_alpha": "Sturdy", "backend_beta": "Lovely"}  # how each one writes
EVIL = '=HYPERLINK("http://evil.example/x","click me")'
CODE, SCORE, PREFERRED = 4, 6, 7  # 1-based columns of the rating sheet


def _record(name: str, sku: str, title: str, *, text: str | None) -> dict[str, Any]:
    return {
        "id": f"{sku}:taobao:zh:v1",
        "sku": sku,
        "platform": "taobao",
        "lang": "zh",
        "variant": 1,
        "fields": None if text is None else {"title": text, "bullets": [f"{title} bullet"]},
        "status": "error" if text is None else "pass",
        "findings": [],
        "backend": name,
        "model": MODELS[name],
        "product": {"sku": sku, "title": title},
        "error": "timeout" if text is None else None,
    }


def make_comparison(outdir: Path, products: int = 4) -> None:
    """Two backends over ``products`` SKUs; beta failed the last one, and alpha's first
    text is a formula."""
    for name in NAMES:
        folder = outdir / name
        folder.mkdir(parents=True)
        lines = []
        for n in range(1, products + 1):
            sku = f"SKU-{n}"
            title = f"Ceramic mug no. {n}"
            text: str | None = f"{STYLE[name]} {title}, copy {n}"
            if name == "backend_alpha" and n == 1:
                text = EVIL
            if name == "backend_beta" and n == products:
                text = None
            lines.append(json.dumps(_record(name, sku, title, text=text), ensure_ascii=False))
        (folder / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert len(ResultStore(folder).load()) == products  # the store reads them
    backends = [{"name": name, "model": MODELS[name]} for name in NAMES]
    (outdir / "compare.json").write_text(json.dumps({"backends": backends}), encoding="utf-8")


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    folder = tmp_path / "cmp"
    make_comparison(folder)
    return folder


def _key(outdir: Path) -> dict[str, Any]:
    key: dict[str, Any] = json.loads((outdir / BLIND_KEY).read_text(encoding="utf-8"))
    return key


def _rows(sheet: Path) -> list[tuple[Any, ...]]:
    wb = load_workbook(sheet)
    try:
        return [tuple(c.value for c in row) for row in wb[RATE_SHEET].iter_rows(min_row=2)]
    finally:
        wb.close()


def _fill(sheet: Path, values: dict[str, tuple[Any, Any]]) -> None:
    """Put (score, mark) into the rows of the given codes."""
    wb = load_workbook(sheet)
    ws = wb[RATE_SHEET]
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=CODE).value
        if code in values:
            score, mark = values[code]
            ws.cell(row=row, column=SCORE).value = score
            ws.cell(row=row, column=PREFERRED).value = mark
    wb.save(sheet)


def _code(outdir: Path, backend: str, sku: str) -> str:
    for code, entry in _key(outdir)["texts"].items():
        if entry["backend"] == backend and entry["id"].startswith(f"{sku}:"):
            return str(code)
    raise AssertionError(f"no text of {backend} for {sku}")


def _row_of(sheet: Path, code: str) -> int:
    for number, row in enumerate(_rows(sheet), start=2):
        if row[CODE - 1] == code:
            return number
    raise AssertionError(code)


# --- writing ------------------------------------------------------------------------------------


def test_sheet_rows_groups_and_key(outdir: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "rate.xlsx"
    info = write_blind_sheet(outdir, sheet, names=NAMES, seed=3)
    assert (info.texts, info.groups, info.seed) == (7, 4, 3)
    assert info.per_backend == {"backend_alpha": 4, "backend_beta": 3}
    assert info.key == info.key_path == outdir / BLIND_KEY and info.sheet == sheet

    wb = load_workbook(sheet)
    assert wb.sheetnames == [RATE_SHEET, HOWTO_SHEET]
    header = [c.value for c in wb[RATE_SHEET][1]]
    assert header[SCORE - 1] == "score 评分 (1-5)" and "评分" in header[SCORE - 1]
    assert "preferred" in header[PREFERRED - 1] and "最佳" in header[PREFERRED - 1]
    assert wb[RATE_SHEET].freeze_panes == "A2"
    assert wb[RATE_SHEET].column_dimensions["E"].width >= 60
    assert wb[RATE_SHEET]["E2"].alignment.wrap_text
    howto = [r[0] for r in wb[HOWTO_SHEET].iter_rows(values_only=True) if r[0]]
    assert 3 <= len(howto) <= 4 and all("x" in line or "1" in line for line in howto[1:3])
    wb.close()

    rows = _rows(sheet)
    assert len(rows) == 7
    # Rows come in groups 1..n, each group's rows together and about one product.
    numbers = [r[0] for r in rows]
    assert numbers == sorted(numbers) and set(numbers) == {1, 2, 3, 4}
    for group in range(1, 5):
        members = [r for r in rows if r[0] == group]
        assert len({(r[1], r[2]) for r in members}) == 1
        assert all(r[SCORE - 1] is None and r[PREFERRED - 1] is None for r in members)
    assert sorted(len([r for r in rows if r[0] == g]) for g in range(1, 5)) == [1, 2, 2, 2]
    codes = [r[CODE - 1] for r in rows]
    assert len(set(codes)) == 7 and all(c.startswith("T-") and len(c) == 6 for c in codes)

    key = _key(outdir)
    assert key["seed"] == 3 and key["backends"] == NAMES and key["groups"] == 4
    assert key["sheet_sha256"] == hashlib.sha256(sheet.read_bytes()).hexdigest()
    assert set(key["texts"]) == set(codes)
    for row in rows:
        entry = key["texts"][row[CODE - 1]]
        assert entry["group"] == row[0]
        assert entry["id"].startswith(row[1].replace("Ceramic mug no. ", "SKU-") + ":")
    assert not any(
        e["id"].startswith("SKU-4:")
        for e in key["texts"].values()
        if e["backend"] == "backend_beta"
    )  # the error record is not rated


def test_nothing_in_the_workbook_names_a_backend_or_an_item(outdir: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "rate.xlsx"
    write_blind_sheet(outdir, sheet, names=NAMES)
    secrets = [*NAMES, *MODELS.values(), "alpha", "beta"]
    ids = [e["id"] for e in _key(outdir)["texts"].values()]
    wb = load_workbook(sheet)
    cells = [
        str(cell.value)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    wb.close()
    assert cells
    for value in cells:
        for secret in [*secrets, *ids]:
            assert secret.lower() not in value.lower(), (secret, value)
    # Not in any part of the file either (properties, styles, shared strings).
    with zipfile.ZipFile(sheet) as archive:
        for name in archive.namelist():
            data = archive.read(name).decode("utf-8", "replace").lower()
            for secret in [*NAMES, *MODELS.values(), *ids]:  # (themes say "alpha")
                assert secret.lower() not in data, (secret, name)


def test_a_formula_in_the_copy_is_written_as_text(outdir: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "rate.xlsx"
    write_blind_sheet(outdir, sheet, names=NAMES)
    wb = load_workbook(sheet)
    ws = wb[RATE_SHEET]
    evil = [c for row in ws.iter_rows(min_row=2) for c in row if "HYPERLINK" in str(c.value)]
    assert len(evil) == 1
    assert evil[0].value.startswith("'=HYPERLINK(")
    assert evil[0].data_type == "s"
    wb.close()
    with zipfile.ZipFile(sheet) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode("utf-8")


def test_same_seed_same_sheet_other_seed_other_order(tmp_path: Path) -> None:
    outdir = tmp_path / "cmp"
    make_comparison(outdir, products=8)
    first, again, other = (tmp_path / f"{n}.xlsx" for n in ("first", "again", "other"))
    write_blind_sheet(outdir, first, names=NAMES, seed=7)
    key_first = _key(outdir)["texts"]
    write_blind_sheet(outdir, again, names=NAMES, seed=7)
    assert _rows(first) == _rows(again)
    assert _key(outdir)["texts"] == key_first
    write_blind_sheet(outdir, other, names=NAMES, seed=8)
    assert [r[1] for r in _rows(other)] != [r[1] for r in _rows(first)]  # group order
    assert set(_key(outdir)["texts"]) != set(key_first)  # other codes
    # Within groups the backends are not always in the same position.
    texts = _key(outdir)["texts"]
    firsts = {texts[r[CODE - 1]]["backend"] for r, prev in _pairs(_rows(other)) if prev != r[0]}
    assert firsts == set(NAMES)


def _pairs(rows: list[tuple[Any, ...]]) -> list[tuple[tuple[Any, ...], Any]]:
    """Each row with the group number of the row before it."""
    return [(row, rows[i - 1][0] if i else None) for i, row in enumerate(rows)]


def test_no_texts_or_missing_backend_is_an_input_error(tmp_path: Path) -> None:
    outdir = tmp_path / "cmp"
    make_comparison(outdir)
    with pytest.raises(InputError, match="no results for backend 'nope'"):
        write_blind_sheet(outdir, tmp_path / "s.xlsx", names=[*NAMES, "nope"])
    with pytest.raises(InputError, match="no backends"):
        write_blind_sheet(outdir, tmp_path / "s.xlsx", names=[])


# --- reading back ------------------------------------------------------------------------------


def _filled(outdir: Path, tmp_path: Path) -> Path:
    sheet = tmp_path / "rate.xlsx"
    write_blind_sheet(outdir, sheet, names=NAMES, seed=1)
    a = {n: _code(outdir, "backend_alpha", f"SKU-{n}") for n in range(1, 5)}
    b = {n: _code(outdir, "backend_beta", f"SKU-{n}") for n in range(1, 4)}
    _fill(
        sheet,
        {
            a[1]: (5, "x"),  # alpha wins SKU-1
            a[2]: (4, None),  # SKU-2: nobody marked
            a[3]: ("3", None),
            a[4]: (4.0, "X"),  # SKU-4: only alpha has a text
            b[1]: (2, None),
            b[2]: (None, None),  # not scored
            b[3]: (" 3 ", "x"),  # beta wins SKU-3
        },
    )
    return sheet


def test_ratings_come_back_per_backend(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    assert read_ratings(outdir, sheet) == {
        "backend_alpha": {
            "mean_rating": 4.0,
            "ratings": 4,
            "wins": 2,
            "groups": 3,
            "win_rate": 0.667,
        },
        "backend_beta": {
            "mean_rating": 2.5,
            "ratings": 2,
            "wins": 1,
            "groups": 2,
            "win_rate": 0.5,
        },
    }


def test_an_unfilled_sheet_gives_no_numbers(outdir: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "rate.xlsx"
    write_blind_sheet(outdir, sheet, names=NAMES)
    empty = {"mean_rating": None, "ratings": 0, "wins": 0, "groups": 0, "win_rate": None}
    assert read_ratings(outdir, sheet) == {name: empty for name in NAMES}


@pytest.mark.parametrize("bad", [7, 0, 3.5, "good", "4-5", True])
def test_a_score_outside_1_to_5_names_sheet_row_and_column(
    outdir: Path, tmp_path: Path, bad: Any
) -> None:
    sheet = _filled(outdir, tmp_path)
    code = _code(outdir, "backend_beta", "SKU-2")
    _fill(sheet, {code: (bad, None)})
    with pytest.raises(InputError, match="not a whole number from 1 to 5") as caught:
        read_ratings(outdir, sheet)
    error = caught.value
    assert error.file == str(sheet)
    assert error.row == _row_of(sheet, code)
    assert error.column is not None and "score" in error.column
    assert error.exit_code == ExitCode.USAGE
    assert f"{sheet}:{error.row}" in str(error)


def test_two_marks_in_one_group_names_the_group(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    code = _code(outdir, "backend_beta", "SKU-1")  # alpha's SKU-1 text is marked already
    _fill(sheet, {code: (2, "x")})
    group = _key(outdir)["texts"][code]["group"]
    with pytest.raises(InputError, match=rf"group {group} has 2 texts marked") as caught:
        read_ratings(outdir, sheet)
    assert caught.value.row in {
        _row_of(sheet, code),
        _row_of(sheet, _code(outdir, "backend_alpha", "SKU-1")),
    }


def test_an_unknown_mark_is_refused(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    code = _code(outdir, "backend_beta", "SKU-2")
    _fill(sheet, {code: (None, "maybe")})
    with pytest.raises(InputError, match="not a mark") as caught:
        read_ratings(outdir, sheet)
    assert caught.value.row == _row_of(sheet, code)


def test_a_code_not_in_the_key_names_its_row(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    code = _code(outdir, "backend_beta", "SKU-2")
    row = _row_of(sheet, code)
    wb = load_workbook(sheet)
    wb[RATE_SHEET].cell(row=row, column=CODE).value = "T-0000"
    wb.save(sheet)
    with pytest.raises(InputError, match="'T-0000' is not in the blind key") as caught:
        read_ratings(outdir, sheet)
    assert caught.value.row == row
    assert caught.value.column is not None and "code" in caught.value.column


def test_a_sheet_written_with_another_key_is_refused(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    write_blind_sheet(outdir, tmp_path / "newer.xlsx", names=NAMES, seed=99)
    with pytest.raises(InputError, match="not in the blind key"):
        read_ratings(outdir, sheet)


def test_a_missing_key_says_to_write_the_sheet_first(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    (outdir / BLIND_KEY).unlink()
    with pytest.raises(InputError, match="--blind-sheet first") as caught:
        read_ratings(outdir, sheet)
    assert caught.value.file == str(outdir / BLIND_KEY)


def test_a_missing_or_foreign_sheet(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    with pytest.raises(InputError, match="rating sheet not found"):
        read_ratings(outdir, tmp_path / "nope.xlsx")
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable XLSX"):
        read_ratings(outdir, tmp_path / "junk.xlsx")
    wb = load_workbook(sheet)
    wb.move_sheet(HOWTO_SHEET, offset=-1)  # the instructions first: no code column there
    wb.save(sheet)
    with pytest.raises(InputError, match="not a blind rating sheet"):
        read_ratings(outdir, sheet)


def test_a_sheet_far_longer_than_the_key_is_refused(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    wb = load_workbook(sheet)
    wb[RATE_SHEET].cell(row=5000, column=1).value = "note"
    wb.save(sheet)
    with pytest.raises(InputError, match="rows but its key has 7 texts"):
        read_ratings(outdir, sheet)


def test_notes_below_the_table_and_sorted_rows_are_fine(outdir: Path, tmp_path: Path) -> None:
    sheet = _filled(outdir, tmp_path)
    expected = read_ratings(outdir, sheet)
    wb = load_workbook(sheet)
    ws = wb[RATE_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    rows.reverse()  # a rater sorted the sheet
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c).value = value
    ws.cell(row=len(rows) + 4, column=2).value = "rated by 小王"
    wb.save(sheet)
    assert read_ratings(outdir, sheet) == expected
