"""``copygen check``: inputs, formats, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copygen.cli.main import app
from copygen.resources import data_dir

PACK = r"""
pack: t.cli
rules:
  - id: t.sup
    category: absolute_term
    severity: block
    law: 《广告法》第九条第三项
    message: {zh: 绝对化用语, en: absolute term}
    suggestion: {zh: 删去, en: drop it}
    terms: [最好, best]
    examples:
      match: [最好的, the best]
      no_match: [很好, good]
  - id: t.warn
    category: false_scarcity
    severity: warn
    law: 价格规定
    message: {zh: 虚构紧迫, en: false urgency}
    terms: [最后一天]
    examples:
      match: [最后一天, 今天最后一天]
      no_match: [最后, 一天]
  - id: t.info
    category: vulgar
    severity: info
    law: 平台规则
    message: {zh: 提示, en: note}
    terms: [哇塞]
    examples:
      match: [哇塞, 哇塞好看]
      no_match: [哇, 塞]
"""
FINDING_KEYS = [
    "rule",
    "category",
    "severity",
    "field",
    "start",
    "end",
    "text",
    "message",
    "law",
    "suggestion",
]


@pytest.fixture(autouse=True)
def isolated_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built-in content belongs to test_rule_examples; here the engine and CLI are tested
    with the personal-data pack and a small fixture pack, isolated from config files."""
    pack = tmp_path / "cli.yaml"
    pack.write_text(PACK, encoding="utf-8")
    import copygen.compliance.rules as rules

    monkeypatch.setattr(
        rules, "builtin_pack_files", lambda: [data_dir("rules") / "personal_data.yaml", pack]
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("COPYGEN_CONFIG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


runner = CliRunner()


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_text_arguments_and_exit_codes() -> None:
    code, out, _ = run("check", "这是最好的面霜", "很好")
    assert code == 1
    assert "#1" in out and "最好" in out and "《广告法》第九条第三项" in out and "#2" in out
    assert run("check", "很好")[0] == 0
    # severity ladder with --fail-on
    assert run("check", "今天最后一天")[0] == 1  # warn >= default warn
    assert run("check", "今天最后一天", "--fail-on", "block")[0] == 0
    assert run("check", "哇塞", "--fail-on", "warn")[0] == 0
    assert run("check", "哇塞", "--fail-on", "info")[0] == 1
    assert run("check", "最好", "--fail-on", "never")[0] == 0


def test_config_fail_on(tmp_path: Path) -> None:
    (tmp_path / "copygen.yaml").write_text("fail_on: block\n", encoding="utf-8")
    assert run("check", "今天最后一天")[0] == 0
    assert run("check", "今天最后一天", "--fail-on", "warn")[0] == 1


def test_jsonl_one_object_per_input_in_order(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "text": "最好的"},
        {"text": "很好"},
        {"id": 7, "fields": {"title": "the best", "tags": ["ok", "最好"]}, "lang": "en"},
    ]
    src.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8"
    )
    code, out, _ = run("check", "--input", str(src), "--format", "jsonl")
    assert code == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == ["a", 2, 7]
    assert [r["status"] for r in records] == ["blocked", "pass", "blocked"]
    assert list(records[0]) == ["id", "status", "findings"]
    assert list(records[0]["findings"][0]) == FINDING_KEYS
    assert [(f["field"], f["text"]) for f in records[2]["findings"]] == [
        ("title", "best"),
        ("tags[1]", "最好"),
    ]
    assert records[2]["findings"][0]["message"] == "absolute term"


def test_txt_and_stdin_ids_are_line_numbers(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("很好\n\n最好的\n", encoding="utf-8")
    _, out, _ = run("check", "-i", str(src), "-f", "jsonl")
    assert [json.loads(x)["id"] for x in out.splitlines()] == [1, 3]
    _, out, _ = run("check", "-i", "-", "-f", "jsonl", input="最好\n很好\n")
    assert [json.loads(x)["status"] for x in out.splitlines()] == ["blocked", "pass"]
    _, out, _ = run("check", "-f", "jsonl", input='{"id": "x", "text": "最好"}\n')
    assert json.loads(out)["id"] == "x"


def test_csv_column(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,copy\nr1,最好的\nr2,很好\n", encoding="utf-8-sig")
    code, out, _ = run("check", "-i", str(src), "--column", "copy", "-f", "jsonl")
    assert code == 1
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["r1", "r2"]
    code, _, err = run("check", "-i", str(src))
    assert code == 2 and "--column" in err
    code, _, err = run("check", "-i", str(src), "--column", "nope")
    assert code == 2 and "nope" in err


def test_json_document() -> None:
    code, out, _ = run("check", "-f", "json", "最好的", "联系13812345678")
    data = json.loads(out)
    assert code == 1
    assert data["summary"] == {"items": 2, "pass": 0, "review": 0, "blocked": 2, "findings": 2}
    assert len(data["rules_hash"]) == 64
    assert [i["findings"][0]["rule"] for i in data["items"]] == ["t.sup", "pii.mobile_phone"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"text": "ok"}\n{not json}\n', ":2: invalid JSON"),
        ('{"text": "ok"}\n[1, 2]\n', ":2: each line must be a JSON object"),
        ('{"text": 5}\n', ":1: 'text' must be a string"),
        ('{"id": "a"}\n', ":1: object has neither"),
        ('{"fields": {"title": 3}}\n', ":1: field 'title'"),
        ('{"text": "x", "category": "books"}\n', ":1: unknown category"),
    ],
)
def test_malformed_lines_exit_2_with_file_and_line(
    tmp_path: Path, content: str, needle: str
) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(content, encoding="utf-8")
    code, out, err = run("check", "-i", str(src), "-f", "jsonl")
    assert code == 2
    assert out == ""
    assert str(src) in err and needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["check", "x", "--format", "xml"],
        ["check", "x", "--fail-on", "sometimes"],
        ["check", "x", "--platform", "tv"],
        ["check", "x", "--category", "books"],
        ["check", "x", "--rules", "missing.yaml"],
        ["check", "x", "--disable", "no.such.rule"],
        ["check", "x", "--allow", "missing.txt"],
        ["check", "-i", "missing.txt"],
        ["check", "-i", "data.xml"],
        ["check", "x", "--product", "missing.json"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, err = run(*args)
    assert code == 2, err
    assert err.startswith("copygen: error:") and "Traceback" not in err


def test_invalid_user_pack_exit_2_with_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        PACK.replace("pack: t.cli", "pack: t.bad")
        .replace("t.sup", "u.sup")
        .replace("t.warn", "u.warn")
        .replace("t.info", "u.info")
        .replace("severity: info", "severity: low"),
        encoding="utf-8",
    )
    code, _, err = run("check", "x", "--rules", str(bad))
    assert code == 2 and f"{bad}:" in err and "u.info" in err and "severity" in err


def test_disable_only_allow_and_platform(tmp_path: Path) -> None:
    assert run("check", "最好的", "--disable", "t.sup")[0] == 0
    assert run("check", "最好的", "--disable", "absolute_term")[0] == 0
    assert (
        run("check", "最好的 13812345678", "--only-category", "personal_data", "-f", "jsonl")[
            1
        ].count('"rule"')
        == 1
    )
    allow = tmp_path / "allow.txt"
    allow.write_text("最好牌\n", encoding="utf-8")
    assert run("check", "最好牌酱油", "--allow", str(allow))[0] == 0
    assert run("check", "最好牌酱油")[0] == 1
    src = tmp_path / "fields.jsonl"
    src.write_text('{"fields": {"title": "好", "body": "正文"}}\n', encoding="utf-8")
    _, out, _ = run("check", "-i", str(src), "--platform", "social", "-f", "jsonl")
    assert "format.missing_field" in out and "hashtags" in out


def test_product_enables_fact_checks(tmp_path: Path) -> None:
    product = tmp_path / "p.json"
    product.write_text(
        json.dumps({"sku": "1", "title": "充电宝 5000mAh", "price": 199, "promo_price": 149}),
        encoding="utf-8",
    )
    code, out, _ = run("check", "6000mAh 到手价129元", "--product", str(product), "-f", "jsonl")
    rules = [f["rule"] for f in json.loads(out)["findings"]]
    assert code == 1 and rules == ["facts.unsupported_number", "facts.price_mismatch"]
    assert run("check", "5000mAh 到手价149元", "--product", str(product))[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x", "price": "abc"}', encoding="utf-8")
    code, _, err = run("check", "x", "--product", str(bad))
    assert code == 2 and "price" in err


def test_locale_option() -> None:
    _, out, _ = run("check", "最好的", "-f", "jsonl", "--locale", "en")
    assert json.loads(out)["findings"][0]["message"] == "absolute term"


def test_nothing_to_check() -> None:
    code, _, err = run("check", input="")
    assert code == 2 and "nothing to check" in err


# --- hostile inputs (issue 19): bounded, decoded right or refused by line -------------------


def test_line_separators_inside_a_text_do_not_split_it(tmp_path: Path) -> None:
    # JSON allows U+2028 unescaped, and a form feed is no line end in a .txt file.
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "第一段\u2028最好的"}\n', encoding="utf-8")
    code, out, err = run("check", "-i", str(src), "-f", "jsonl")
    assert code == 1, err
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["a"]
    txt = tmp_path / "in.txt"
    txt.write_text("很好\x0c真的\n最好\n", encoding="utf-8")
    _, out, _ = run("check", "-i", str(txt), "-f", "jsonl")
    assert [json.loads(x)["id"] for x in out.splitlines()] == [1, 2]


def test_gbk_text_file_is_checked_as_gbk(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes("这是最好的面霜\n".encode("gbk"))
    code, out, _ = run("check", "-i", str(src), "-f", "jsonl")
    assert code == 1 and json.loads(out)["findings"][0]["text"] == "最好"


def test_empty_input_file_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("\n  \n", encoding="utf-8")
    code, out, err = run("check", "-i", str(src))
    assert code == 2 and out == "" and f"{src}: nothing to check" in err


def test_stdin_that_is_not_utf8_exit_2() -> None:
    result = runner.invoke(app, ["check", "-f", "jsonl"], input="很好\n".encode() + b"\xff\xfe\n")
    assert result.exit_code == 2
    assert "<stdin>:2: not valid UTF-8" in result.stderr and "Traceback" not in result.output


def test_texts_over_the_cell_limit_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYGEN_MAX_CELL_CHARS", "20")
    txt = tmp_path / "in.txt"
    txt.write_text("很好\n" + "好" * 21 + "\n", encoding="utf-8")
    code, _, err = run("check", "-i", str(txt))
    assert code == 2 and f"{txt}:2: cell of 21 characters; at most 20" in err
    # A longer line is refused without being read to its end.
    txt.write_text("很好\n" + "好" * 5000 + "\n", encoding="utf-8")
    code, _, err = run("check", "-i", str(txt))
    assert code == 2 and f"{txt}:2: a text longer than 20 characters" in err
    src = tmp_path / "in.csv"
    src.write_text(f"id,copy\nr1,很好\nr2,{'好' * 21}\n", encoding="utf-8")
    code, _, err = run("check", "-i", str(src), "--column", "copy")
    assert code == 2 and f"{src}:2, column 'copy': a cell longer than 20" in err
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"fields": {"body": ["ok", "好" * 21]}}) + "\n", encoding="utf-8")
    code, _, err = run("check", "-i", str(jsonl))
    assert code == 2 and f"{jsonl}:1, column 'fields.body': cell of 21 characters" in err
    code, _, err = run("check", "好" * 21)
    assert code == 2 and "argument 1: cell of 21 characters" in err
    stdin = runner.invoke(app, ["check"], input="好" * 30 + "\n")
    assert stdin.exit_code == 2 and "<stdin>:1" in stdin.stderr


def test_product_file_is_bounded_and_whole(tmp_path: Path) -> None:
    product = tmp_path / "p.json"
    product.write_text('{"title": "面霜 \\ud800"}', encoding="utf-8")
    code, _, err = run("check", "x", "--product", str(product))
    assert code == 2 and f"{product}, column 'title': lone surrogate" in err
    product.write_text(json.dumps({"title": "x" * 70_000}), encoding="utf-8")
    code, _, err = run("check", "x", "--product", str(product))
    assert code == 2 and "cell of 70,000 characters" in err
