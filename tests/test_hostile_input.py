"""Hostile product files and ``check`` inputs: every size and encoding bounded, every
refusal one line naming file, row and column (issue 19).

Files are generated in tmp_path; XLSX files are written part by part with zipfile, so
that a test can give a sheet any rows, dimension or shared strings it needs.
"""

from __future__ import annotations

import json
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.errors import ExitCode, InputError
from copygen.inputs.product_files import read_products
from copygen.inputs.xlsx_files import PART_LIMITS

runner = CliRunner()


@pytest.fixture(autouse=True)
def shared_rules_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One compiled-rules cache for the module: each test runs generate or check, and
    compiling the packs again for each would cost more than the test itself."""
    base = tmp_path_factory.getbasetemp() / "hostile-rules-cache"
    monkeypatch.setenv("COPYGEN_RULES_CACHE", str(base))


def generate(path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    out = path.parent / f"out-{path.name}"
    return runner.invoke(
        app, ["generate", str(path), "-o", str(out), "-q", "-p", "social", *args], env=env
    )


def check(path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["check", "-i", str(path), "-f", "jsonl", *args], env=env)


def refused(result: Any, needle: str, where: str) -> str:
    """The one error line of an exit-2 result, which holds ``where`` and ``needle``."""
    assert result.exit_code == ExitCode.USAGE, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("copygen: error: ") and "Traceback" not in result.output
    assert where in line and needle in line, line
    return line


def skus(path: Path) -> list[str]:
    out = path.parent / f"out-{path.name}" / "results.jsonl"
    return [json.loads(line)["sku"] for line in out.read_text(encoding="utf-8").splitlines()]


# --- XLSX written part by part -------------------------------------------------------------

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
    '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
    '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="商品" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
    '//schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def write_xlsx(
    path: Path,
    rows: Iterable[bytes],
    strings: Iterable[bytes] = (),
    *,
    dimension: str | None = "A1:C3",
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CT)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'.encode()
            )
            if dimension is not None:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for row in rows:
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as table:
            table.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">'.encode())
            for string in strings:
                table.write(string)
            table.write(b"</sst>")
    return path


def header_and_rows(*rows: tuple[str, str]) -> list[bytes]:
    out = [b'<row r="1">' + cell("A1", "货号") + cell("B1", "商品名称") + b"</row>"]
    for number, (sku, title) in enumerate(rows, start=2):
        out.append(
            f'<row r="{number}">'.encode()
            + cell(f"A{number}", sku)
            + cell(f"B{number}", title)
            + b"</row>"
        )
    return out


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip's central directory declare ``size`` uncompressed bytes for
    ``member``, as a crafted file would, without writing them."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + length] == name:
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in {path}")


# --- 1. cell size ---------------------------------------------------------------------------


def test_csv_cell_over_the_default_cap(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"sku,title,卖点\nA1,Mug,ok\nA2,Cup,{'好' * 65_537}\n", encoding="utf-8")
    refused(generate(path), "65,536", f"{path}:2, column '卖点'")
    # The limit itself is allowed (a small one: a 64 K cell is slow to write copy for).
    fits = tmp_path / "q.csv"
    fits.write_text(f"sku,title,卖点\nA1,Mug,{'好' * 1000}\n", encoding="utf-8")
    assert generate(fits, env={"COPYGEN_MAX_CELL_CHARS": "1000"}).exit_code == 0
    over = tmp_path / "r.csv"
    over.write_text(f"sku,title,卖点\nA1,Mug,{'好' * 1001}\n", encoding="utf-8")
    refused(generate(over, env={"COPYGEN_MAX_CELL_CHARS": "1000"}), "1,000", ":1, column '卖点'")


def test_cap_from_config_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    title = "面霜" * 60
    path.write_text(json.dumps({"sku": "A1", "title": title}, ensure_ascii=False) + "\n")
    config = tmp_path / "copygen.yaml"
    config.write_text("max_cell_chars: 100\n", encoding="utf-8")
    refused(generate(path, env={"COPYGEN_CONFIG": str(config)}), "cell of 120", ":1, column")
    refused(generate(path, env={"COPYGEN_MAX_CELL_CHARS": "50"}), "at most 50", ":1, column")
    assert generate(path, env={"COPYGEN_MAX_CELL_CHARS": "120"}).exit_code == 0
    bad = runner.invoke(app, ["check", "x"], env={"COPYGEN_MAX_CELL_CHARS": "lots"})
    assert bad.exit_code == ExitCode.USAGE and "COPYGEN_MAX_CELL_CHARS" in bad.stderr


def test_csv_quote_never_closed_is_bounded(tmp_path: Path) -> None:
    # Without a bound, csv would gather the rest of the file into one cell.
    path = tmp_path / "p.csv"
    rest = "".join(f"A{i},Mug {i}\n" for i in range(2000))
    path.write_text('sku,title\nA0,"Mug\n' + rest, encoding="utf-8")
    refused(generate(path, env={"COPYGEN_MAX_CELL_CHARS": "1000"}), "1,000", ":1, column 'title'")


def test_csv_line_longer_than_any_row_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("sku,title\nA1," + "x" * 50_000 + "\n", encoding="utf-8")
    line = refused(generate(path, env={"COPYGEN_MAX_CELL_CHARS": "100"}), "line longer", ":1")
    assert "9,600 characters" in line


def test_jsonl_megabyte_title_is_refused_fast(tmp_path: Path) -> None:
    # A 1 MB title took 24 s in word segmentation before it was refused.
    path = tmp_path / "p.jsonl"
    title = "水润保湿面霜" * 60_000
    path.write_text(json.dumps({"sku": "A1", "title": title}, ensure_ascii=False) + "\n")
    assert path.stat().st_size > 1_000_000
    started = time.monotonic()
    refused(generate(path), "cell of 360,000 characters", f"{path}:1, column 'title'")
    assert time.monotonic() - started < 2.0
    huge = tmp_path / "q.jsonl"
    huge.write_text('{"sku": "A1", "title": "' + "x" * 200_000 + '"}\n', encoding="utf-8")
    refused(generate(huge, env={"COPYGEN_MAX_CELL_CHARS": "1000"}), "line longer", ":1")


def test_jsonl_nested_values_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"sku": "A1", "title": "Mug", "x": ' + "[" * 5000 + "]" * 5000 + "}\n")
    refused(generate(path), "nested", f"{path}:1")
    deep = tmp_path / "q.jsonl"
    deep.write_text('{"sku": "A1", "title": "Mug", "tags": ' + "[" * 40 + "]" * 40 + "}\n")
    refused(generate(deep), "nested more than 32", f"{deep}:1, column 'tags'")


def test_xlsx_shared_string_cell_refused_by_row_and_column(tmp_path: Path) -> None:
    rows = [
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>',
        b'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>',
        b'<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>5</v></c></row>',
    ]
    strings = [b"<si><t>SKU</t></si><si><t>Title</t></si><si><t>A1</t></si>"]
    strings += [b"<si><t>Mug</t></si><si><t>A2</t></si><si><t>", b"a" * 70_000, b"</t></si>"]
    path = write_xlsx(tmp_path / "p.xlsx", rows, strings)
    refused(generate(path), "cell of 70,000 characters", f"{path}:2, column 'Title'")


def test_xlsx_huge_shared_string_is_never_held(tmp_path: Path) -> None:
    """The 100 MB cell (in a 100 KB file) that was OOM-killed: read with constant memory."""
    rows = [b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>']
    rows += [b'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>']
    chunk = b"\xe5\xa5\xbd" * (1 << 18)  # 768 KB of UTF-8
    strings = [b"<si><t>sku</t></si><si><t>title</t></si><si><t>A1</t></si><si><t>"]
    strings += [chunk] * 32 + [b"</t></si>"]
    path = write_xlsx(tmp_path / "p.xlsx", rows, strings)
    assert path.stat().st_size < 200_000
    list(read_products(write_xlsx(tmp_path / "w.xlsx", header_and_rows(("A", "B")))))
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="8,388,608 characters") as info:
            list(read_products(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (info.value.row, info.value.column) == (1, "title")
    assert peak < 12_000_000, peak  # the cell alone is 8 M characters, 24 MB of UTF-8


def test_xlsx_inline_cell_too_large_is_refused_before_it_is_built(tmp_path: Path) -> None:
    big = "好" * 2000  # 6,000 bytes > 10 x 100 + 64: refused by the byte scan
    rows = header_and_rows(("A1", "Mug"), ("A2", big))
    path = write_xlsx(tmp_path / "p.xlsx", rows)
    env = {"COPYGEN_MAX_CELL_CHARS": "100"}
    refused(generate(path, env=env), "6,000+ bytes", f"{path}:2, column '商品名称'")
    near = write_xlsx(tmp_path / "q.xlsx", header_and_rows(("A1", "好" * 101)))
    refused(generate(near, env=env), "cell of 101 characters", f"{near}:1, column '商品名称'")


def test_xlsx_parts_declaring_huge_sizes_are_refused_unread(tmp_path: Path) -> None:
    for member, kind in (
        ("xl/sharedStrings.xml", "shared strings"),
        ("xl/worksheets/sheet1.xml", "sheet"),
        ("xl/workbook.xml", "metadata"),
    ):
        path = write_xlsx(tmp_path / f"{kind.replace(' ', '_')}.xlsx", header_and_rows(("A", "B")))
        declared = PART_LIMITS[kind] + 1
        declare_size(path, member, declared)
        line = refused(generate(path), f"{declared:,} bytes uncompressed", str(path))
        assert member in line


def test_not_a_workbook_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    refused(generate(path), "not a readable XLSX workbook", str(path))
    broken = write_xlsx(tmp_path / "q.xlsx", [b'<row r="1"><c r="A1" t="s"><v>7</v></c></row>'])
    refused(generate(broken), "not a readable XLSX workbook", str(broken))


# --- 2. blank rows, lying dimensions, no rows -------------------------------------------------


def test_xlsx_blank_rows_after_the_last_value_are_never_parsed(tmp_path: Path) -> None:
    """Styled empty rows to the bottom of the sheet, and a dimension claiming 16,384
    columns: 5 M of them took 177 s. A row openpyxl cannot parse closes the sheet; it is
    only reached if the blank rows before it are read."""

    def rows() -> Iterable[bytes]:
        yield from header_and_rows(("A1", "Mug"), ("A2", "Fan"))
        yield b"".join(
            b'<row r="%d" s="1"><c r="A%d" s="1"/></row>' % (i, i) for i in range(4, 200_000)
        )
        yield b'<row r="not-a-number"/>'

    path = write_xlsx(tmp_path / "p.xlsx", rows(), dimension="A1:XFD1048576")
    started = time.monotonic()
    result = generate(path)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 3.0
    assert sorted(skus(path)) == ["A1", "A2"]


def test_xlsx_dimension_smaller_than_the_sheet_is_ignored(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "p.xlsx", header_and_rows(("A1", "Mug"), ("A2", "Fan")), dimension="A1"
    )
    assert generate(path).exit_code == 0
    assert sorted(skus(path)) == ["A1", "A2"]
    bare = write_xlsx(tmp_path / "q.xlsx", header_and_rows(("B1", "Cup")), dimension=None)
    assert generate(bare).exit_code == 0
    assert skus(bare) == ["B1"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("header.csv", "sku,title\n\n,\n"),
        ("header.jsonl", "\n\n"),
        ("empty.csv", ""),
    ],
)
def test_no_product_rows_exit_2(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    refused(generate(path), "no product rows", str(path))


def test_xlsx_with_only_a_header_exit_2(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", header_and_rows())
    refused(generate(path), "no product rows", str(path))
    empty = write_xlsx(
        tmp_path / "q.xlsx", [b'<row r="1"/>', b'<row r="2"><c r="A2" s="1"/></row>']
    )
    refused(generate(empty), "no header row", str(empty))


# --- 3. encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_long_first_line_of_utf8_is_read_as_utf8(tmp_path: Path, shift: int) -> None:
    # The old detector cut a 64 KiB sample mid-character: 2 of 3 alignments failed or
    # were read as another code page and published garbled.
    path = tmp_path / "p.jsonl"
    first = {"sku": "A1", "title": "面霜", "描述": "x" * shift + "水润保湿" * 6000}
    lines = [json.dumps(first, ensure_ascii=False), '{"sku": "A2", "title": "精华"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(lines[0].encode()) > 64 * 1024
    assert [p.title for p in read_products(path)] == ["面霜", "精华"]
    assert generate(path).exit_code == 0


def test_utf8_then_gbk_rows_refused_at_the_first_gbk_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(
        "sku,title\nA1,水润保湿面霜\n".encode() + "A2,高山云雾绿茶\nA3,ok\n".encode("gbk")
    )
    line = refused(generate(path), "mixes encodings", f"{path}:2, column 'title'")
    assert "not valid UTF-8" in line


def test_gbk_then_utf8_rows_refused_at_the_first_utf8_row(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(
        "货号,标题\nA1,高山云雾绿茶\nA2,猫毛\n".encode("gbk") + "A3,水润保湿面霜\n".encode()
    )
    refused(generate(path), "mixes encodings", f"{path}:3, column '标题'")
    check_input = tmp_path / "t.txt"
    check_input.write_bytes("高山云雾绿茶\n".encode("gbk") + "最好的面霜\n".encode())
    refused(check(check_input), "mixes encodings", f"{check_input}:2")


def test_gbk_rows_that_are_valid_utf8_by_chance_stay_gbk(tmp_path: Path) -> None:
    # 猫毛 / 路 in GBK are valid UTF-8 bytes ('è\x8b' ...); the file is still one GBK file.
    path = tmp_path / "p.csv"
    path.write_bytes("货号,标题\nA1,猫毛\nA2,路灯\nA3,高山云雾绿茶\n".encode("gbk"))
    assert [p.title for p in read_products(path)] == ["猫毛", "路灯", "高山云雾绿茶"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_with_a_mark(tmp_path: Path, codec: str) -> None:
    text = "货号,标题\nA1,面霜\n"
    data = text.encode(codec)
    if codec.endswith("-be"):
        data = ("\ufeff" + text).encode(codec)
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    assert generate(path).exit_code == 0
    assert skus(path) == ["A1"]
    words = tmp_path / "t.txt"
    words.write_bytes(
        data.replace("货号,标题\nA1,面霜\n".encode(codec), "最好的面霜\n".encode(codec))
    )
    if codec.endswith("-be"):
        words.write_bytes(("\ufeff最好的面霜\n").encode(codec))
    result = check(words)
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["status"] == "blocked"


def test_a_mark_the_rest_of_the_file_contradicts(tmp_path: Path) -> None:
    # FF FE then UTF-8: decoded as UTF-16 it is "valid" nonsense that no rule matches.
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xff\xfe" + "这是最好的面霜\n全网第一\n".encode())
    refused(check(path), "byte order mark (FF FE) but the rest of the file is UTF-8", str(path))
    product = tmp_path / "p.csv"
    product.write_bytes(b"\xff\xfe" + "sku,title\nA1,面霜!\n".encode())
    refused(generate(product), "the mark is wrong", str(product))
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"\xff\xfe" + "ok\n".encode("utf-16-le") + b"\x00\xd8\x41")
    refused(check(odd), "not valid UTF-16 LE near line 2", str(odd))


def test_utf16_without_a_mark_and_other_encodings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("sku,title\nA1,Mug\n".encode("utf-16-le"))
    refused(generate(path), "NUL bytes", str(path))
    latin = tmp_path / "q.csv"
    latin.write_bytes("sku,title\nA1,Mug\nA2,Café crème\n".encode("cp1252"))
    refused(generate(latin), "not valid UTF-8", f"{latin}:2, column 'title'")


# --- 4. characters ------------------------------------------------------------------------


def test_nul_in_a_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"sku,title\nA1,Mug\nA2,Fa\x00n\n")
    refused(generate(path), "NUL character at character 3", f"{path}:2, column 'title'")
    text = tmp_path / "t.txt"
    text.write_bytes("很好\n最好\x00的\n".encode())
    refused(check(text), "NUL", f"{text}:2")


def test_lone_surrogates_are_refused_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"sku": "A1", "title": "面霜 \\ud83d"}\n', encoding="utf-8")
    refused(generate(path), "lone surrogate U+D83D", f"{path}:1, column 'title'")
    texts = tmp_path / "c.jsonl"
    texts.write_text('{"text": "ok"}\n{"fields": {"title": "最好\\udc00"}}\n', encoding="utf-8")
    for fmt in ("text", "jsonl", "json"):
        result = runner.invoke(app, ["check", "-i", str(texts), "-f", fmt])
        refused(result, "lone surrogate U+DC00", f"{texts}:2, column 'fields.title'")
    argument = runner.invoke(app, ["check", "ok", "bad \udcff"])
    refused(argument, "argument 2: bytes that are not valid UTF-8", "argument 2")


@pytest.mark.parametrize("sku", ["A1\nB", "A1\rB", "A1\u2028B", "A1\tB", "A\u202eB1"], ids=repr)
def test_line_breaks_and_controls_in_a_sku_are_refused(tmp_path: Path, sku: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"sku": sku, "title": "Mug"}) + "\n", encoding="utf-8")
    refused(generate(path), "in the sku", f"{path}:1, column 'sku'")


def test_harmless_controls_are_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    text = 'sku,title,selling points\nA1,Mu\x07g\x0bcup,"a\x1b;b\r\nc\x85d\u2029e\x7f"\n'
    path.write_text(text, encoding="utf-8")
    [product] = read_products(path)
    assert product.title == "Mug\ncup"
    assert product.selling_points == ("a", "b", "c", "d", "e")
    assert generate(path).exit_code == 0


def test_headers_and_keys_are_cells_too(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"sku,title,no\x00te\nA1,Mug,x\n")
    refused(generate(path), "header 'no\\u0000te': NUL", str(path))
    keys = tmp_path / "p.jsonl"
    keys.write_text('{"sku": "A1", "title": "Mug", "bad\\udc80": 1}\n', encoding="utf-8")
    refused(generate(keys), "key 'bad\\udc80': lone surrogate", f"{keys}:1")
    digits = tmp_path / "q.jsonl"
    digits.write_text('{"sku": "A1", "title": "Mug", "price": ' + "9" * 5000 + "}\n")
    refused(generate(digits), "invalid JSON", f"{digits}:1")
    price = tmp_path / "r.csv"
    price.write_text("sku,title,price\nA1,Mug," + "x" * 5000 + "\n", encoding="utf-8")
    line = refused(generate(price), "not a price", f"{price}:1, column 'price'")
    assert len(line) < 300


def test_valid_utf8_is_read_as_utf8_however_few_its_characters(tmp_path: Path) -> None:
    # "®" and "é" are also two-byte GBK hanzi; a file that is valid UTF-8 is UTF-8.
    path = tmp_path / "p.csv"
    path.write_text("sku,title\nA1,Apple®\nA2,Café\n", encoding="utf-8")
    assert [p.title for p in read_products(path)] == ["Apple®", "Café"]


def test_xlsx_rows_without_numbers_are_all_read(tmp_path: Path) -> None:
    rows = [b"<row>" + cell("A1", "sku") + cell("B1", "title") + b"</row>"]
    rows += [
        b"<row>" + cell(f"A{i}", f"S{i}") + cell(f"B{i}", "Mug") + b"</row>" for i in range(2, 5)
    ]
    path = write_xlsx(tmp_path / "p.xlsx", rows, dimension=None)
    assert [p.sku for p in read_products(path)] == ["S2", "S3", "S4"]
