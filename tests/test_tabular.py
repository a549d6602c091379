"""Formula-safe CSV and XLSX output (copygen.files.tables)."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copygen.files.tables import safe_cell, write_csv, write_xlsx, write_xlsx_sheets


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\rabc", "'\rabc"),
        ('  =HYPERLINK("http://x")', '\'  =HYPERLINK("http://x")'),
        ("\n@x", "'\n@x"),
        ("- 轻薄便携", "'- 轻薄便携"),
        ("+86 138", "'+86 138"),
        ("这款面霜=好用", "这款面霜=好用"),
        ("a@b.com", "a@b.com"),
        ("", ""),
        ("hello", "hello"),
    ],
)
def test_safe_cell_neutralises_formula_starts(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-12.5, "-12.5"),
        (3, "3"),
        (Decimal("-0.50"), "-0.50"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-5%", "-5%"),
        (" -1e3", " -1e3"),
        (None, ""),
        (True, "true"),
        (["a", "=b"], "a\n=b"),
        ({"k": "值"}, '{"k": "值"}'),
    ],
)
def test_safe_cell_keeps_numbers_and_flattens(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_list_whose_first_item_is_a_formula_is_neutralised() -> None:
    assert safe_cell(["=1+1", "x"]) == "'=1+1\nx"


@given(st.text())
def test_safe_cell_never_starts_a_formula(text: str) -> None:
    out = safe_cell(text)
    stripped = out.lstrip()
    if out and (out[0] in "=+-@\t\r" or (stripped and stripped[0] in "=+-@\t\r")):
        # Only plain numbers may keep a sign in front.
        assert stripped.lstrip("+-")[:1].isdigit() or stripped.lstrip("+-")[:1] == "."
    if out != text:
        assert out == "'" + text


def test_write_csv_bom_quoting_and_safety(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.csv"
    rows = [
        ["A1", "这是第一行\n第二行", "=1+1", -3],
        {"id": "B2", "text": 'say "hi", ok', "formula": "@x"},
    ]
    assert write_csv(target, ["id", "text", "formula", "n"], rows) == 2
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert parsed[0] == ["id", "text", "formula", "n"]
    assert parsed[1] == ["A1", "这是第一行\n第二行", "'=1+1", "-3"]
    assert parsed[2] == ["B2", 'say "hi", ok', "'@x", ""]
    assert not list(tmp_path.joinpath("sub").glob("*.tmp"))


def test_write_csv_rejects_ragged_row_and_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_csv(target, ["a"], [["old"]])
    with pytest.raises(ValueError, match="header"):
        write_csv(target, ["a", "b"], [["only one"]])
    assert "old" in target.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_xlsx_types_and_no_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "out.xlsx"
    rows = [
        ["=SUM(1,2)", 12.5, "最好的面霜\x01", True, None],
        ["-1+1", -7, "+86", False, "ok"],
    ]
    assert write_xlsx(target, ["text", "num", "zh", "flag", "empty"], rows) == 2
    wb = load_workbook(target)
    ws = wb["results"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["text", "num", "zh", "flag", "empty"]
    assert values[1] == ["'=SUM(1,2)", 12.5, "最好的面霜", True, None]
    assert values[2] == ["'-1+1", -7, "+86", False, "ok"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    # No formula element anywhere in the sheet XML.
    with zipfile.ZipFile(target) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_write_xlsx_sheets_titles(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "multi.xlsx"
    counts = write_xlsx_sheets(
        target,
        {
            "livestream": (["id"], [["a"], ["b"]]),
            "social/小红书": (["id"], [["c"]]),
            "x" * 40: (["id"], []),
            "X" * 40: (["id"], []),
        },
    )
    assert counts == {"livestream": 2, "social_小红书": 1, "x" * 31: 0, "X" * 29 + "_2": 0}
    wb = load_workbook(target)
    assert wb.sheetnames == list(counts)
    assert wb["social_小红书"]["A2"].value == "c"
