"""Reading product files: formats, encodings, aliases, errors, streaming."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from copygen.errors import ExitCode, InputError
from copygen.inputs.product_files import (
    canonical_column,
    detect_encoding,
    product_at,
    read_products,
)

ZH_HEADER = "货号,商品名称,类目,品牌,卖点,属性,价格,到手价,目标人群,平台,语言,产地"
ZH_ROWS = [
    "BT-001,水润保湿精华液 30ml,美妆,澜朵,含透明质酸钠；质地清爽,容量:30ml; 保质期:3年,"
    "￥199,159元,上班族女性,social|detail,zh,上海",
    "FD-001,高山云雾绿茶 250g,食品,山语茶坊,明前采摘、回甘清爽,净含量:250g,"
    "268,228,送礼人群,,zh,浙江丽水",
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def zh_csv(tmp_path: Path, encoding: str, name: str = "p.csv") -> Path:
    return write(tmp_path / name, "\n".join([ZH_HEADER, *ZH_ROWS]) + "\n", encoding)


def check_zh_products(path: Path) -> None:
    products = list(read_products(path))
    assert [p.sku for p in products] == ["BT-001", "FD-001"]
    first = products[0]
    assert first.title == "水润保湿精华液 30ml"
    assert first.category == "beauty"
    assert first.brand == "澜朵"
    assert first.selling_points == ("含透明质酸钠", "质地清爽")
    assert dict(first.attributes) == {"容量": "30ml", "保质期": "3年"}
    assert first.price == Decimal("199")
    assert first.promo_price == Decimal("159")
    assert first.audience == "上班族女性"
    assert first.platforms == ("social", "detail")
    assert first.lang == "zh"
    assert dict(first.extra) == {"产地": "上海"}
    assert first.row == 1 and first.source == str(path)
    assert products[1].category == "food"
    assert products[1].selling_points == ("明前采摘", "回甘清爽")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings_with_chinese_headers(tmp_path: Path, encoding: str) -> None:
    path = zh_csv(tmp_path, encoding)
    check_zh_products(path)


def test_gbk_is_detected_as_gb18030(tmp_path: Path) -> None:
    # A short GBK sample is the case charset-normalizer alone takes for Korean.
    path = write(tmp_path / "short.csv", "货号,标题\nA1,面霜\n", "gbk")
    assert detect_encoding(path) == "gb18030"
    assert [p.title for p in read_products(path)] == ["面霜"]


def test_gbk_file_larger_than_the_sample(tmp_path: Path) -> None:
    rows = [f"SKU-{i},纯棉宽松圆领T恤 第{i}款,服饰,{i}.5" for i in range(4000)]
    path = write(tmp_path / "big.csv", "货号,商品名称,类目,价格\n" + "\n".join(rows) + "\n", "gbk")
    assert path.stat().st_size > 64 * 1024
    products = list(read_products(path))
    assert len(products) == 4000
    assert products[-1].title == "纯棉宽松圆领T恤 第3999款"
    assert products[-1].price == Decimal("3999.5")


def test_tab_separated(tmp_path: Path) -> None:
    path = write(tmp_path / "p.tsv", "sku\ttitle\tprice\nA1\tMug, 350ml\t9.9\n")
    [product] = read_products(path)
    assert product.title == "Mug, 350ml" and product.price == Decimal("9.9")


def test_semicolon_and_excel_sep_line(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku;title;price\nA1;Mug, blue;9,9\n")
    [product] = read_products(path)
    assert product.title == "Mug, blue"
    path = write(tmp_path / "q.csv", "sep=;\r\nsku;title\r\nA1;Mug\r\n")
    [product] = read_products(path)
    assert (product.sku, product.title, product.row) == ("A1", "Mug", 1)


def test_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["货号", "标题", "品类", "售价", "活动价", "亮点", "规格", "备注"])
    sheet.append([1001, "静音桌面小风扇", "家电", 89, 69.9, "三档风速；运行安静", "档位:3档", None])
    sheet.append([None, None, None, None, None, None, None, None])
    sheet.append(["1002", "北欧风陶瓷马克杯", "家居", "¥59", None, None, None, "易碎"])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    products = list(read_products(path))
    assert [p.sku for p in products] == ["1001", "1002"]
    fan, mug = products
    assert fan.category == "home" and fan.price == Decimal("89")
    assert fan.promo_price == Decimal("69.9")
    assert fan.selling_points == ("三档风速", "运行安静")
    assert dict(fan.extra) == {"备注": ""}
    assert (fan.row, mug.row) == (1, 3)  # the blank row is skipped but counted
    assert mug.price == Decimal("59") and dict(mug.extra) == {"备注": "易碎"}


def test_xlsx_missing_column_and_bad_price(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["SKU", "Title", "Price"])
    sheet.append(["A1", "Mug", "cheap"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with pytest.raises(InputError) as info:
        list(read_products(path))
    assert (info.value.file, info.value.row, info.value.column) == (str(path), 1, "Price")
    assert "cheap" in str(info.value)


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        {
            "sku": "EN-001",
            "title": "Insulated Bottle",
            "selling_points": ["Leak-proof lid", "Keeps cold 24h"],
            "attributes": {"capacity": "750ml"},
            "price": 29.99,
            "lang": "EN",
            "colours": ["red", "blue"],
        },
        {"货号": "ZH-1", "商品名称": "面霜", "价格": "¥99"},
    ]
    text = json.dumps(lines[0]) + "\n\n" + json.dumps(lines[1], ensure_ascii=False) + "\n"
    path = write(tmp_path / "p.jsonl", text)
    first, second = read_products(path)
    assert first.selling_points == ("Leak-proof lid", "Keeps cold 24h")
    assert dict(first.attributes) == {"capacity": "750ml"}
    assert first.price == Decimal("29.99") and first.lang == "en"
    assert dict(first.extra) == {"colours": '["red", "blue"]'}
    assert second.sku == "ZH-1" and second.row == 3 and second.price == Decimal("99")


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("货号", "sku"),
        ("SKU", "sku"),
        (" Sku ", "sku"),
        ("商品名称", "title"),
        ("标题", "title"),
        ("名称", "title"),
        ("Product Name", "title"),
        ("类目", "category"),
        ("品类", "category"),
        ("品牌", "brand"),
        ("卖点", "selling_points"),
        ("亮点", "selling_points"),
        ("Selling Points", "selling_points"),
        ("selling-points", "selling_points"),
        ("属性", "attributes"),
        ("参数", "attributes"),
        ("规格", "attributes"),
        ("价格", "price"),
        ("售价", "price"),
        ("PRICE", "price"),
        ("活动价", "promo_price"),
        ("到手价", "promo_price"),
        ("promo_price", "promo_price"),
        ("Promo Price", "promo_price"),
        ("人群", "audience"),
        ("目标人群", "audience"),
        ("平台", "platforms"),
        ("语言", "lang"),
        ("Lang", "lang"),
        ("产地", None),
        ("colour", None),
    ],
)
def test_aliases(header: str, canonical: str | None) -> None:
    assert canonical_column(header) == canonical


def test_english_headers_any_case_and_spacing(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        " SKU ,Product Name,SELLING POINTS,Promo_Price\nA1,Mug,Matte glaze; 350ml,45\n",
    )
    [product] = read_products(path)
    assert product.title == "Mug"
    assert product.selling_points == ("Matte glaze", "350ml")
    assert product.promo_price == Decimal("45")


def test_blank_rows_skipped_but_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title\n\nA1,Mug\n,\n  ,  \nA2,Fan\n")
    products = list(read_products(path))
    assert [(p.sku, p.row) for p in products] == [("A1", 2), ("A2", 5)]
    assert product_at(path, 5).sku == "A2"
    with pytest.raises(InputError, match="blank") as info:
        product_at(path, 3)
    assert info.value.row == 3
    with pytest.raises(InputError, match="5 data rows") as info:
        product_at(path, 6)


def test_duplicate_sku_warns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv", "sku,title,category\nA1,Mug,home\nA2,Fan,home\nA1,Mug again,home\n"
    )
    warnings: list[str] = []
    products = list(read_products(path, on_warning=warnings.append))
    assert len(products) == 3
    assert warnings == [f"{path}:3: duplicate sku 'A1' (first in row 1)"]


def test_surplus_values_warn(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,category\nA1,Mug,home,oops\nA2,Fan,home,,\n")
    warnings: list[str] = []
    assert len(list(read_products(path, on_warning=warnings.append))) == 2
    assert len(warnings) == 1 and f"{path}:1:" in warnings[0]


def test_short_rows_keep_every_extra_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,产地\nA1,Mug\n")
    [product] = read_products(path)
    assert dict(product.extra) == {"产地": ""}


# --- errors: file, row and column named ----------------------------------------------------


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        list(read_products(path))
    assert info.value.exit_code == ExitCode.USAGE
    return info.value


def test_missing_required_column_names_found_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "货号,名字,价格\nA1,面霜,99\n")
    error = error_of(path)
    assert error.file == str(path) and error.column == "title"
    assert "missing required column 'title'" in str(error)
    assert "found: 货号, 名字, 价格" in str(error)


def test_two_columns_for_one_field(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,标题,商品名称\nA1,a,b\n")
    error = error_of(path)
    assert "'标题' and '商品名称' both mean 'title'" in str(error)


@pytest.mark.parametrize(
    ("header", "row", "column", "needle"),
    [
        ("sku,title,价格", "A1,Mug,abc", "价格", "price"),
        ("sku,title,到手价", "A1,Mug,-5", "到手价", "promo_price"),
        ("sku,title,属性", "A1,Mug,just text", "属性", "key:value"),
        ("sku,title,attributes", 'A1,Mug,"{""a"": }"', "attributes", "invalid JSON"),
        ("sku,title", ",Mug", "sku", "empty sku"),
        ("货号,标题", "A1,", "标题", "empty title"),
    ],
)
def test_bad_values_name_row_and_column(
    tmp_path: Path, header: str, row: str, column: str, needle: str
) -> None:
    path = write(tmp_path / "p.csv", f"{header}\nA0,ok\n{row}\n")
    error = error_of(path)
    assert (error.file, error.row, error.column) == (str(path), 2, column)
    assert needle in str(error)
    assert str(error).startswith(f"{path}:2, column '{column}'")


def test_unreadable_encoding(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(bytes(range(256)) * 4)
    error = error_of(path)
    assert "encoding" in str(error) and error.file == str(path)


def test_bad_bytes_after_the_sample_name_the_row(tmp_path: Path) -> None:
    good = "".join(f"A{i},Mug {i}\n" for i in range(9000))
    path = tmp_path / "p.csv"
    path.write_bytes(b"sku,title\n" + good.encode() + b"A9,\xff\xfe\xfa broken\n")
    error = error_of(path)
    assert (error.row, error.column) == (9001, "title") and "encoding" in str(error)


def test_bad_jsonl_line(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", '{"sku": "A1", "title": "Mug"}\n{"sku": "A2", title}\n')
    error = error_of(path)
    assert error.row == 2 and "invalid JSON" in str(error)


def test_jsonl_not_an_object_and_missing_key(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", '["A1", "Mug"]\n')
    assert "JSON object" in str(error_of(path))
    path = write(tmp_path / "q.jsonl", '{"sku": "A1", "name_cn": "Mug"}\n')
    error = error_of(path)
    assert (error.row, error.column) == (1, "title") and "found: sku, name_cn" in str(error)


@pytest.mark.parametrize("name", ["p.xls", "p.json", "products"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, "sku,title\n")
    with pytest.raises(InputError, match="unsupported file type") as info:
        read_products(path)
    assert info.value.file == str(path)


def test_file_not_found_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_products(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        read_products(tmp_path)


def test_empty_files(tmp_path: Path) -> None:
    assert "no header" in str(error_of(write(tmp_path / "p.csv", "")))
    from openpyxl import Workbook

    path = tmp_path / "p.xlsx"
    Workbook().save(path)
    assert "no header" in str(error_of(path))


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = write(tmp_path / "p.xlsx", "not a zip file")
    assert "XLSX" in str(error_of(path))


# --- streaming --------------------------------------------------------------------------


def test_rows_stream_lazily(tmp_path: Path) -> None:
    """A bad row late in the file is not read until the iterator gets there."""
    rows = "".join(f"A{i},Mug {i},9.9\n" for i in range(1, 50001))
    path = write(tmp_path / "p.csv", "sku,title,price\n" + rows + "BAD,Mug,notaprice\n")
    products = read_products(path)
    first = next(products)
    assert first.sku == "A1"
    # Many rows in, nothing has failed yet: the bad last row was never parsed.
    for _ in range(1000):
        next(products)
    products.close()  # type: ignore[attr-defined]


def test_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    import tracemalloc

    # ~10 MB of long rows: a reader that kept rows (or the file) would peak above it.
    # Only the SKU set for duplicate warnings grows, by far less than the rows.
    description = "舒适透气的面料，细节做工扎实。" * 80
    rows = "".join(f"A{i},纯棉T恤 {i},59,{description}\n" for i in range(4000))
    path = write(tmp_path / "p.csv", "货号,标题,价格,描述\n" + rows)
    assert path.stat().st_size > 9_000_000
    tracemalloc.start()
    try:
        count = 0
        for _product in read_products(path):
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000
    assert peak < 3_000_000, peak


def test_examples_file_reads() -> None:
    path = Path(__file__).resolve().parents[1] / "examples" / "products.csv"
    if not path.is_file():
        pytest.skip("examples/products.csv not present")
    products = list(read_products(path))
    assert len(products) >= 14
    assert {p.lang for p in products} >= {"zh", "en"}


def test_shared_real_world_rows() -> None:
    data = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    path = data / "cn_product_rows_streamer_sales.csv"
    if not path.is_file():
        pytest.skip("shared data not present")
    # Its columns are not ours: 'product' is the title, category_l1 the category, no
    # sku: rows are numbered (tests/test_product_sheets.py has the details).
    warnings: list[str] = []
    products = list(read_products(path, on_warning=warnings.append))
    assert len(products) == 248 and products[0].sku == "ROW-0001"
    assert len(warnings) == 2


# --- bounds, encodings and characters (issue 19) -------------------------------------------


def test_max_cell_chars_is_a_parameter(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,描述\nA1,Mug,abcdef\n")
    assert [p.extra["描述"] for p in read_products(path, max_cell_chars=6)] == ["abcdef"]
    with pytest.raises(InputError, match="a cell longer than 5 characters") as info:
        list(read_products(path, max_cell_chars=5))
    assert (info.value.row, info.value.column) == (1, "描述")
    with pytest.raises(InputError, match="cell of 6 characters"):
        product_at(
            write(tmp_path / "p.jsonl", '{"sku": "A1", "title": "abcdef"}\n'), 1, max_cell_chars=5
        )


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        ("sku,title\nA1,面霜\n".encode(), "utf-8"),
        ("sku,title\nA1,面霜\n".encode("utf-8-sig"), "utf-8-sig"),
        ("sku,title\nA1,面霜\n".encode("utf-16"), "utf-16"),
        ("sku,title\nA1,面霜\n".encode("utf-32"), "utf-32"),
        ("sku,title\nA1,面霜\n".encode("gbk"), "gb18030"),
    ],
)
def test_detected_codecs(tmp_path: Path, data: bytes, codec: str) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    assert detect_encoding(path) == codec
    assert [p.title for p in read_products(path)] == ["面霜"]


def test_header_only_file_has_no_product_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title\n,\n")
    error = error_of(path)
    assert str(error) == f"{path}: no product rows: only a header, or only blank rows"
    with pytest.raises(InputError, match="no product rows"):
        product_at(path, 1)


def test_cells_are_cleaned_in_every_format(tmp_path: Path) -> None:
    from openpyxl import Workbook

    csv_path = write(tmp_path / "p.csv", "sku,title\nA1,Mu\x01g\u2028cup\x9f\n")
    jsonl_path = write(
        tmp_path / "p.jsonl", json.dumps({"sku": "A1", "title": "Mu\x01g\u2028cup\x9f"}) + "\n"
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["sku", "title"])
    sheet.append(["A1", "Mug\r\ncup"])
    xlsx_path = tmp_path / "p.xlsx"
    workbook.save(xlsx_path)
    for path in (csv_path, jsonl_path, xlsx_path):
        [product] = read_products(path)
        assert product.title == "Mug\ncup", path
