"""Real product sheets: other column names (--map, aliases), no SKU column, their own
category names, prices in other currencies, marketplace boilerplate (issue 13)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.compliance.engine import Checker
from copygen.config import load_settings
from copygen.errors import ConfigError, InputError
from copygen.inputs.prices import parse_money
from copygen.inputs.product import Product, normalise_category
from copygen.inputs.product_files import product_at, read_products

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
STREAMER = SHARED / "cn_product_rows_streamer_sales.csv"
AMAZON = SHARED / "en_amazon_products_sample10.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read(path: Path, **kwargs: object) -> tuple[list[Product], list[str]]:
    warnings: list[str] = []
    products = list(read_products(path, on_warning=warnings.append, **kwargs))  # type: ignore[arg-type]
    return products, warnings


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


# --- the shared real sheets ------------------------------------------------------------


@pytest.mark.skipif(not STREAMER.is_file(), reason="shared data not present")
def test_streamer_sales_sheet_reads_as_it_is() -> None:
    products, warnings = read(STREAMER)
    assert len(products) == 248
    assert [p.sku for p in products[:2]] == ["ROW-0001", "ROW-0002"]
    assert products[0].title == "漱口水" and products[0].selling_points[0] == "深度清洁"
    counts: dict[str, int] = {}
    for product in products:
        counts[product.category] = counts.get(product.category, 0) + 1
    assert counts["pet"] == 25 and counts["auto"] == 25 and counts["beauty"] == 25
    assert counts["electronics"] == 25 and counts["home"] == 25
    assert counts["food"] == 48  # 食品 and 饮料
    # 健身与户外用品 rows whose second level is clothing are apparel, the rest other.
    assert counts["apparel"] > 25 and counts["other"] == 248 - sum(
        v for k, v in counts.items() if k != "other"
    )
    assert len(warnings) == 2
    numbered, unknown = warnings
    assert "no SKU column" in numbered and "ROW-0001" in numbered and "--map sku=" in numbered
    assert f"{counts['other']} of 248 rows" in unknown
    assert "书籍与文化用品 ×25" in unknown and "--map category=COLUMN" in unknown
    # The second level and the sheet's other columns stay available to templates.
    assert products[0].extra["category_l2"] == "口腔护理"


@pytest.mark.skipif(not AMAZON.is_file(), reason="shared data not present")
def test_amazon_sheet_reads_as_it_is() -> None:
    products, warnings = read(AMAZON)
    assert len(products) == 10
    first = products[0]
    assert first.sku == "4c69b61db1fc16e7013b43fc926e502d"
    assert first.title.endswith("Longboard Complete") and '41"' in first.title
    assert first.price == Decimal("237.68") and first.currency == "USD"
    assert first.price_text == "$237.68"
    assert all(not p.lower().startswith("make sure this fits") for p in first.selling_points)
    assert first.selling_points[0].startswith("RESPONSIVE FLEX:")
    assert not any(
        sp.lower().startswith("make sure this fits") for p in products for sp in p.selling_points
    )
    assert "Toys & Games ×5" in warnings[-1]


# --- column names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "sku_field", "title_field"),
    [
        ("产品编号,产品名称", "产品编号", "产品名称"),
        ("SKU编码,商品名", "SKU编码", "商品名"),
        ("商品ID,product_title", "商品ID", "product_title"),
        ("uniq_id,product_name", "uniq_id", "product_name"),
        ("id,name", "id", "name"),
    ],
)
def test_more_aliases(tmp_path: Path, header: str, sku_field: str, title_field: str) -> None:
    path = write(tmp_path / "p.csv", f"{header}\nA1,杯子\n")
    [product], _ = read(path)
    assert (product.sku, product.title) == ("A1", "杯子")


def test_a_generic_id_column_yields_to_a_sku_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "id,sku,title,category\n7,A1,杯子,家居\n")
    [product], warnings = read(path)
    assert product.sku == "A1" and product.extra["id"] == "7" and warnings == []


def test_two_strong_names_for_one_field_still_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,标题,商品名称\nA1,a,b\n")
    with pytest.raises(InputError, match="both mean 'title'") as error:
        read(path)
    assert "--map title=COLUMN" in str(error.value)


def test_map_names_columns_and_wins_over_aliases(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "编号,title,全名,价钱\nA1,短名,完整的名字,¥99\n")
    [product], _ = read(path, columns={"sku": "编号", "title": "全名", "price": "价钱"})
    assert product.sku == "A1" and product.title == "完整的名字"
    # The column the alias would have taken stays, renamed so it cannot pass for the field.
    assert product.extra["title (unmapped)"] == "短名"
    assert product.price == Decimal("99") and product.currency == "CNY"


def test_map_matches_headers_like_aliases_do(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "Item Code,Product Title\nA1,Mug\n")
    [product], _ = read(path, columns={"sku": "item_code", "title": "Product Title"})
    assert (product.sku, product.title) == ("A1", "Mug")


def test_a_mapped_column_that_is_not_there(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title\nA1,Mug\n")
    with pytest.raises(InputError) as error:
        read(path, columns={"title": "名字"})
    message = str(error.value)
    assert "no column '名字' (mapped to title)" in message and "found: sku, title" in message


def test_map_in_jsonl(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.jsonl",
        json.dumps({"名字": "杯子", "cat": "家居"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"名字": "风扇", "cat": "家电"}, ensure_ascii=False)
        + "\n",
    )
    products, warnings = read(path, columns={"title": "名字", "category": "cat"})
    assert [(p.sku, p.title, p.category) for p in products] == [
        ("ROW-0001", "杯子", "home"),
        ("ROW-0002", "风扇", "home"),
    ]
    assert len(warnings) == 1 and "no SKU column" in warnings[0]


def test_jsonl_records_may_leave_out_a_mapped_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.jsonl",
        '{"编号": "A1", "名字": "杯子", "牌子": "X"}\n{"编号": "A2", "名字": "风扇"}\n',
    )
    products, _ = read(path, columns={"sku": "编号", "title": "名字", "brand": "牌子"})
    assert [(p.sku, p.brand) for p in products] == [("A1", "X"), ("A2", "")]


def test_jsonl_without_title_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", '{"sku": "A1", "name_cn": "x"}\n')
    with pytest.raises(InputError, match="missing required key 'title'") as error:
        read(path)
    assert "--map title=COLUMN" in str(error.value)


def test_no_sku_column_numbers_rows_by_their_row(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "title,category\n杯子,家居\n\n风扇,家居\n")
    products, warnings = read(path)
    # Blank rows are counted, so a name points at the row the user sees.
    assert [p.sku for p in products] == ["ROW-0001", "ROW-0003"]
    assert warnings == [
        f"{path}: no SKU column, so rows are named by their row number (ROW-0001, …); add a "
        "sku column or --map sku=COLUMN to keep item names when rows move"
    ]


def test_no_title_column_is_still_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,颜色\nA1,红\n")
    with pytest.raises(InputError, match="missing required column 'title'") as error:
        read(path)
    assert "--map title=COLUMN" in str(error.value)


# --- categories --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("个人护理与美妆", "beauty"),
        ("电子产品", "electronics"),
        ("家居用品", "home"),
        ("宠物用品", "pet"),
        ("宠物食品", "pet"),
        ("汽车", "auto"),
        ("汽车用品 > 车载充电器", "auto"),
        ("母婴服装", "mother_baby"),
        ("数码 > 耳机", "electronics"),
        ("Beauty & Personal Care | Skin Care", "beauty"),
        ("Pet Supplies | Dogs | Food", "pet"),
        ("Automotive | Interior Accessories", "auto"),
        ("Clothing, Shoes & Jewelry | Women", "apparel"),
        ("Home & Kitchen | Kitchen & Dining", "home"),
        ("Grocery & Gourmet Food", "food"),
        ("Sports & Outdoors | Car Racks", "auto"),  # the first level that says something
        ("Toys & Games | Puzzles", "other"),
        ("Catalog", "other"),  # 'cat' only as a word
        ("书籍与文化用品", "other"),
        ("其他", "other"),
    ],
)
def test_category_names_map_by_keywords(name: str, category: str) -> None:
    assert normalise_category(name) == category


def test_category_l1_is_the_category_and_l2_backs_it_up(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        "一级类目,二级类目,商品名称\n健身与户外用品,运动服,速干T恤\n健身与户外用品,瑜伽垫,瑜伽垫\n",
    )
    products, warnings = read(path)
    assert [p.category for p in products] == ["apparel", "other"]
    assert products[1].extra["二级类目"] == "瑜伽垫"
    assert "1 of 2 rows have a category copygen does not know (健身与户外用品 ×1)" in warnings[-1]


def test_a_plain_category_column_wins_over_category_l1(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,category,category_l1\nA1,猫粮,pet,食品\n")
    [product], _ = read(path)
    assert product.category == "pet" and product.extra["category_l1"] == "食品"


def test_map_category_picks_the_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,类目,行业\nA1,猫粮,其他,宠物\n")
    [product], warnings = read(path, columns={"category": "行业"})
    assert product.category == "pet" and warnings == []


def test_no_category_column_is_said_once(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title\nA1,杯子\nA2,风扇\n")
    _, warnings = read(path)
    assert len(warnings) == 1
    assert "2 of 2 rows have no category column" in warnings[0]


def test_one_row_read_says_nothing_about_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "title\n杯子\n风扇\n")
    warnings: list[str] = []
    product = product_at(path, 2, on_warning=warnings.append)
    assert product.sku == "ROW-0002" and warnings == []


# --- prices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "amount", "currency", "text"),
    [
        ("$237.68", "237.68", "USD", "$237.68"),
        ("€19.99", "19.99", "EUR", "€19.99"),
        ("US$ 8", "8", "USD", "US$ 8"),
        ("12.5美元", "12.5", "USD", "12.5美元"),
        ("¥1,299.00", "1299.00", "CNY", "¥1,299.00"),
        ("1299元", "1299", "CNY", "1299元"),
        ("1299", "1299", None, "1299"),
        ("19,99 €", "19.99", "EUR", "19,99 €"),
        ("1,299", "1299", None, "1,299"),
        ("HK$ 30", "30", "HKD", "HK$ 30"),
        ("£5", "5", "GBP", "£5"),
    ],
)
def test_prices_keep_their_currency(
    cell: str, amount: str, currency: str | None, text: str
) -> None:
    money = parse_money(cell)
    assert money is not None
    assert (money.amount, money.currency, money.text) == (Decimal(amount), currency, text)


@pytest.mark.parametrize("cell", ["abc", "$5€", "-3", "5 dollars maybe"])
def test_prices_that_are_not(cell: str, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", f"sku,title,price\nA1,Mug,{cell}\n")
    with pytest.raises(InputError) as error:
        read(path)
    assert error.value.row == 1 and error.value.column == "price"


def test_a_bare_promo_price_takes_the_price_currency() -> None:
    product = Product.from_mapping({"sku": "a", "title": "t", "price": "$10", "promo_price": "8"})
    assert (product.currency, product.price_text, product.promo_price_text) == (
        "USD",
        "$10",
        "$8",
    )


def test_two_currencies_in_one_row_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,price,promo_price\nA1,Mug,$10,€8\n")
    with pytest.raises(InputError, match="in EUR but price is in USD"):
        read(path)


def test_a_currency_column(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "sku,title,price,币种\nA1,Mug,19.99,EUR\nA2,Cup,5,美元\n")
    (mug, cup), _ = read(path)
    assert (mug.currency, mug.price_text) == ("EUR", "€19.99")
    assert (cup.currency, cup.price_text) == ("USD", "$5")
    assert mug.to_dict()["currency"] == "EUR"


def test_copy_quoting_another_currency_is_checked_against_the_row() -> None:
    product = Product.from_mapping({"sku": "a", "title": "Board", "price": "€19.99"})
    checker = Checker()
    assert checker.check({"body": "Now only €19.99."}, product=product).status == "pass"
    for wrong in ("Now only €18.99.", "Only 18.99 EUR.", "只要18.99欧元"):
        result = checker.check({"body": wrong}, product=product)
        assert [f.rule for f in result.findings] == ["facts.price_mismatch"], wrong


# --- settings: --map, columns:, COPYGEN_COLUMNS ------------------------------------------


def test_columns_from_config_env_and_flags_add_up(tmp_path: Path) -> None:
    config = write(tmp_path / "copygen.yaml", "columns:\n  title: 产品名称\n  sku: 编号\n")
    settings = load_settings(
        cli={"columns": ["sku=商品ID"]},
        config_path=config,
        env={"COPYGEN_COLUMNS": "price=售价金额,brand=牌子"},
        cwd=tmp_path,
        home=tmp_path,
    )
    assert dict(settings.columns) == {
        "title": "产品名称",
        "sku": "商品ID",
        "price": "售价金额",
        "brand": "牌子",
    }


def test_map_comma_lists(tmp_path: Path) -> None:
    settings = load_settings(
        cli={"columns": ["title=名称,sku=ID", "price=Price, USD"]},
        env={},
        cwd=tmp_path,
        home=tmp_path,
    )
    assert dict(settings.columns) == {"title": "名称", "sku": "ID", "price": "Price, USD"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("titel=名称", "unknown product field 'titel'; did you mean 'title'?"),
        ("title", "expected field=COLUMN"),
        ("title=", "no column given for 'title'"),
        ("title=A,sku=A", "column 'A' is mapped to both 'title' and 'sku'"),
    ],
)
def test_bad_map_values(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match="option --map") as error:
        load_settings(cli={"columns": [value]}, env={}, cwd=tmp_path, home=tmp_path)
    assert message in str(error.value)


def test_bad_columns_in_config_point_at_the_line(tmp_path: Path) -> None:
    config = write(tmp_path / "copygen.yaml", "seed: 1\ncolumns:\n  titel: 名称\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config_path=config, env={}, cwd=tmp_path, home=tmp_path)
    assert error.value.row == 2 and "titel" in str(error.value)


def test_generate_with_map_on_the_cli(tmp_path: Path) -> None:
    sheet = write(
        tmp_path / "p.csv",
        "编号,产品全称,行业,售价金额\nA1,不锈钢保温杯 500ml,家居,¥99\nA2,棉质毛巾,家居,29\n",
    )
    out = tmp_path / "out"
    code, output = run(
        "generate",
        str(sheet),
        "-o",
        str(out),
        "-p",
        "detail",
        "--map",
        "sku=编号,title=产品全称",
        "--map",
        "category=行业",
        "--map",
        "price=售价金额",
    )
    assert code == 0, output
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["sku"] for r in records] == ["A1", "A2"]
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["fingerprint"]["columns"] == {
        "sku": "编号",
        "title": "产品全称",
        "category": "行业",
        "price": "售价金额",
    }
    # Another mapping is another batch: refused without --force.
    code, output = run("generate", str(sheet), "-o", str(out), "-p", "detail", "--map", "sku=编号")
    assert code == 2 and "columns" in output


def test_generate_without_a_title_column_says_how_to_map(tmp_path: Path) -> None:
    sheet = write(tmp_path / "p.csv", "编号,产品全称\nA1,保温杯\n")
    code, output = run("generate", str(sheet), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "missing required column 'title'" in output and "--map title=COLUMN" in output


def test_rows_without_lang_are_written_in_their_own_language(tmp_path: Path) -> None:
    sheet = write(
        tmp_path / "p.csv",
        "sku,title,category\nA1,Stainless steel travel mug,home\nA2,不锈钢保温杯,家居\n",
    )
    out = tmp_path / "out"
    code, output = run("generate", str(sheet), "-o", str(out), "-p", "detail")
    assert code == 0, output
    ids = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert ids == ["A1:detail:en:v1", "A2:detail:zh:v1"]


def test_offline_lang_over_rows_in_another_language(tmp_path: Path) -> None:
    sheet = write(
        tmp_path / "p.csv",
        "sku,title,category\nA1,Stainless steel travel mug,home\nA2,不锈钢保温杯,家居\n",
    )
    out = tmp_path / "out"
    code, output = run("generate", str(sheet), "-o", str(out), "-p", "detail", "--lang", "en")
    assert code == 0, output
    assert "--lang en: 1 row is written in Simplified Chinese" in output
    assert "skipped" in output
    ids = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert ids == ["A1:detail:en:v1"]
    only_zh = write(tmp_path / "zh.csv", "sku,title,category\nA2,不锈钢保温杯,家居\n")
    code, output = run(
        "generate", str(only_zh), "-o", str(tmp_path / "out2"), "-p", "detail", "--lang", "en"
    )
    assert code == 2
    assert "no row is left to write" in output and "model backend" in output
