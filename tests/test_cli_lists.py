"""A command line that does what the user meant.

- Every list option adds up when repeated and takes comma lists, the union in the order
  given without duplicates, through one splitter (``copygen.config.split_list``).
- ``--rule zh.*`` in the review queue matches as ``--disable zh.*`` does (one matcher).
- ``audit verify --expect-head`` takes the short head the report shows.
- ``config show`` spells out the defaults a run uses instead of ``null``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from test_review_fixtures import make_outdir
from typer.core import TyperOption
from typer.testing import CliRunner

from copygen.audit import AuditLog, read_events, verify
from copygen.cli import common
from copygen.cli.main import app
from copygen.config import load_settings, split_list
from copygen.errors import InputError

runner = CliRunner()

SOCIAL = "BT-001:social:zh:v1"  # review: zh.diversion.dm (platform_diversion)
DETAIL = "BT-001:detail:zh:v1"  # blocked: zh.absolute.superlative, zh.medical.treat
TEA = "FD-001:social:zh:v1"  # blocked: facts.number
EN = "EL-001:social:en:v1"  # review: en.absolute.best
APPROVED = "FD-001:livestream:zh:v1"  # approved: zh.style.shout

PRODUCTS = (
    "sku,title,category,selling_points,price\nBT-9,水润精华液 30ml,beauty,含透明质酸;清爽,199\n"
)


def pack(pack_id: str, rule_id: str, term: str) -> str:
    return f"""pack: {pack_id}
rules:
  - id: {rule_id}
    category: absolute_term
    severity: block
    law: 《广告法》第九条第三项
    message: {{zh: 测试用语, en: test term}}
    terms: [{term}]
    examples:
      match: [{term}的面霜, 这是{term}]
      no_match: [很好的面霜, 不错]
"""


def invoke(*args: str, **kwargs: Any) -> Any:
    return runner.invoke(app, list(args), **kwargs)


# --- 1. list options: repeats and comma lists -----------------------------------------------


def test_split_list_is_the_union_in_order_without_duplicates() -> None:
    assert split_list(["social,detail", "social", " livestream ,", ""]) == (
        "social",
        "detail",
        "livestream",
    )
    assert split_list("a, b,a") == ("a", "b")
    assert split_list(None) == ()
    assert split_list([]) == ()
    assert common.split_list is split_list  # the CLI uses the same one


def _commands() -> dict[str, Any]:
    """Every leaf command of the CLI, by its full name ("audit show")."""
    root = typer.main.get_command(app)
    out: dict[str, Any] = {}

    def walk(prefix: str, command: Any) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            out[prefix] = command

    walk("", root)
    return out


LIST_OPTIONS = {
    "generate": {"--platforms", "--rules"},
    "check": {"--rules", "--disable", "--only-category", "--allow"},
    "compare": {"--backends", "--platforms"},
    "review": {"--status", "--category", "--platform", "--rule", "--sku", "--decide"},
    "audit show": {"--event"},
    "rules list": {"--category", "--rules"},
    "rules explain": {"--rules"},
    "rules test": {"--rule"},
}


def test_every_list_option_is_repeatable_and_says_so() -> None:
    commands = _commands()
    for name, options in LIST_OPTIONS.items():
        params = {
            opt: p for p in commands[name].params if isinstance(p, TyperOption) for opt in p.opts
        }
        for option in options:
            param = params[option]
            assert param.multiple, f"{name} {option} is not repeatable"
            assert common.LIST_HELP in (param.help or ""), f"{name} {option}: {param.help}"
    # ... and no option claims to be a list without being one.
    for name, command in commands.items():
        for param in command.params:
            if isinstance(param, TyperOption) and common.LIST_HELP in (param.help or ""):
                assert param.multiple, f"{name} {param.opts}"


def test_help_shows_the_list_forms() -> None:
    result = invoke("generate", "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "comma lists work" in result.output
    assert "Comma-separated" not in result.output


@pytest.fixture
def products(tmp_path: Path) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS, encoding="utf-8")
    return path


def _platforms_of(outdir: Path) -> list[str]:
    lines = (outdir / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["platform"] for line in lines]


@pytest.mark.parametrize(
    "flags",
    [
        ["--platforms", "social", "--platforms", "detail"],
        ["-p", "social,detail"],
        ["-p", "social", "-p", "detail,social"],
    ],
)
def test_generate_platforms_add_up(products: Path, tmp_path: Path, flags: list[str]) -> None:
    out = tmp_path / "out"
    result = invoke("generate", str(products), "-o", str(out), "-q", *flags)
    assert result.exit_code == 0, result.output
    assert _platforms_of(out) == ["social", "detail"]  # not the last one only, none twice
    started = read_events(out / "audit.jsonl", event="run_started")[0]
    assert started["platforms"] == ["social", "detail"]


def test_generate_unknown_platform_in_a_list_is_exit_2(products: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("generate", str(products), "-o", str(out), "-p", "social", "-p", "detail,tv")
    assert result.exit_code == 2
    assert "unknown platform 'tv'" in result.output
    assert not (out / "results.jsonl").exists()


def test_generate_rules_add_up(products: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(pack("t.a", "t.a.one", "超级一号"), encoding="utf-8")
    b.write_text(pack("t.b", "t.b.two", "超级二号"), encoding="utf-8")
    hashes = []
    for flags in (["--rules", str(a), "--rules", str(b)], ["--rules", f"{a},{b}"]):
        out = tmp_path / f"out{len(hashes)}"
        result = invoke("generate", str(products), "-o", str(out), "-q", "-p", "social", *flags)
        assert result.exit_code == 0, result.output
        hashes.append(read_events(out / "audit.jsonl", event="run_started")[0]["rules_hash"])
    only_a = tmp_path / "only-a"
    result = invoke(
        "generate", str(products), "-o", str(only_a), "-q", "-p", "social", "--rules", str(a)
    )
    assert result.exit_code == 0, result.output
    hash_a = read_events(only_a / "audit.jsonl", event="run_started")[0]["rules_hash"]
    assert hashes[0] == hashes[1] != hash_a  # both packs loaded, either way of giving them


def test_settings_take_the_split_list() -> None:
    settings = load_settings(cli={"platforms": split_list(["social", "detail,social"])})
    assert settings.platforms == ("social", "detail")


def _check_rules(*args: str) -> tuple[int, list[str], str]:
    result = invoke("check", "这是超级一号也是超级二号", "-f", "jsonl", "--fail-on", "never", *args)
    rules: list[str] = []
    for line in result.stdout.splitlines():
        rules += [f["rule"] for f in json.loads(line)["findings"]]
    return result.exit_code, rules, result.stderr


def test_check_rules_and_disable_add_up(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(pack("t.a", "t.a.one", "超级一号"), encoding="utf-8")
    b.write_text(pack("t.b", "t.b.two", "超级二号"), encoding="utf-8")
    code, repeated, _ = _check_rules("--rules", str(a), "--rules", str(b))
    assert code == 0 and {"t.a.one", "t.b.two"} <= set(repeated)
    code, comma, _ = _check_rules("--rules", f"{a},{b}")
    assert code == 0 and sorted(comma) == sorted(repeated)

    both = ("--rules", f"{a},{b}")
    for flags in (["--disable", "t.a.one,t.b.*"], ["--disable", "t.a.one", "--disable", "t.b"]):
        code, rules, _ = _check_rules(*both, *flags)
        assert code == 0 and not {"t.a.one", "t.b.two"} & set(rules), flags
    code, rules, _ = _check_rules(*both, "--only-category", "personal_data,absolute_term")
    assert code == 0 and {"t.a.one", "t.b.two"} <= set(rules)
    code, rules, _ = _check_rules(
        *both, "--only-category", "personal_data", "--only-category", "vulgar"
    )
    assert code == 0 and not {"t.a.one", "t.b.two"} & set(rules)


def test_check_allow_adds_up(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(pack("t.a", "t.a.one", "超级一号"), encoding="utf-8")
    b.write_text(pack("t.b", "t.b.two", "超级二号"), encoding="utf-8")
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("超级一号\n", encoding="utf-8")
    two.write_text("超级二号\n", encoding="utf-8")
    for flags in (["--allow", f"{one},{two}"], ["--allow", str(one), "--allow", str(two)]):
        code, rules, _ = _check_rules("--rules", f"{a},{b}", *flags)
        assert code == 0 and not {"t.a.one", "t.b.two"} & set(rules), flags


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--disable", "zh.absolute.superlative,no.such.rule"], "'no.such.rule' matches no rule"),
        (["--only-category", "absolute_term", "--only-category", "nope"], "unknown category"),
        (["--rules", "missing-a.yaml,missing-b.yaml"], "missing-a.yaml"),
    ],
)
def test_check_unknown_list_values_exit_2(flags: list[str], needle: str) -> None:
    result = invoke("check", "最好的", *flags)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.output


def test_rules_list_categories_add_up() -> None:
    def ids(*flags: str) -> list[str]:
        result = invoke("rules", "list", "--json", *flags)
        assert result.exit_code == 0, result.output
        return [json.loads(line)["id"] for line in result.stdout.splitlines()]

    comma = ids("--category", "absolute_term,medical_claim")
    repeated = ids("--category", "absolute_term", "--category", "medical_claim,absolute_term")
    assert comma == repeated
    assert set(ids("--category", "absolute_term")) < set(comma)
    assert set(ids("--category", "medical_claim")) < set(comma)
    bad = invoke("rules", "list", "--category", "absolute_term,nope")
    assert bad.exit_code == 2 and "unknown category 'nope'" in bad.stderr


def test_rules_test_rule_adds_up() -> None:
    def count(*flags: str) -> str:
        result = invoke("rules", "test", *flags)
        assert result.exit_code == 0, result.output
        return result.stdout.strip().splitlines()[-1]

    both = count("--rule", "zh.absolute.superlative,en.absolute.best")
    assert both.startswith("2 rules")
    assert count("--rule", "zh.absolute.superlative", "--rule", "en.absolute.best") == both
    assert count("--rule", "zh.absolute.superlative").startswith("1 rules")


# --- audit show --event -------------------------------------------------------------------


@pytest.fixture
def generated(products: Path, tmp_path: Path) -> Path:
    out = tmp_path / "gen"
    result = invoke("generate", str(products), "-o", str(out), "-q", "-p", "social,detail")
    assert result.exit_code == 0, result.output
    return out


def test_audit_show_events_add_up(generated: Path) -> None:
    log = str(generated / "audit.jsonl")

    def events(*flags: str) -> list[str]:
        result = invoke("audit", "show", log, "--format", "jsonl", *flags)
        assert result.exit_code == 0, result.output
        return [json.loads(line)["event"] for line in result.stdout.splitlines()]

    comma = events("--event", "run_started,run_finished")
    assert comma == ["run_started", "run_finished"]
    assert events("--event", "run_started", "--event", "run_finished,run_started") == comma
    assert set(events("--event", "checked")) == {"checked"}
    bad = invoke("audit", "show", log, "--event", "checked", "--event", "chekced,nope")
    assert bad.exit_code == 2
    assert "unknown event chekced, nope" in bad.stderr
    # The Python API takes the same forms.
    assert [e["event"] for e in read_events(log, event=["run_started,run_finished"])] == comma


# --- 2. --rule zh.* in the review queue --------------------------------------------------


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return make_outdir(tmp_path / "out")


def queue(outdir: Path, *flags: str) -> list[str]:
    result = invoke("review", str(outdir), "--list", *flags)
    assert result.exit_code == 0, result.output
    return [line.split("\t")[0] for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--rule", "zh.*"], [SOCIAL, DETAIL]),
        (["--rule", "zh.absolute.*"], [DETAIL]),
        (["--rule", "zh.absolute"], [DETAIL]),  # an id prefix, as before
        (["--rule", "zh.absolute.superlative"], [DETAIL]),
        (["--rule", "zh.abs*"], [DETAIL]),  # a prefix ending in *, as --disable takes it
        (["--rule", "en.*,facts.*"], [TEA, EN]),
        (["--rule", "en.*", "--rule", "facts.number"], [TEA, EN]),
        (["--rule", "absolute_term"], [DETAIL, EN]),  # a category, as --disable takes it
        (["--rule", "zh"], [SOCIAL, DETAIL]),
        (["--rule", "zh.a"], []),  # not a prefix of ids without the *
        (["--rule", "*"], [SOCIAL, DETAIL, TEA, EN]),
        (
            ["--status", "review", "--status", "blocked,approved", "--rule", "zh.*"],
            [SOCIAL, DETAIL, APPROVED],
        ),
        (
            ["--platform", "social", "--platform", "detail", "--sku", "BT-001,FD-001"],
            [SOCIAL, DETAIL, TEA],
        ),
        (["--category", "medical_claim", "--category", "unsupported_fact"], [DETAIL, TEA]),
        (["--category", "medical_claim,unsupported_fact"], [DETAIL, TEA]),
        (["--status", "approved,approved"], [APPROVED]),
    ],
)
def test_review_queue_filters(outdir: Path, flags: list[str], expected: list[str]) -> None:
    assert queue(outdir, *flags) == expected


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--status", "review,weird"], "unknown status 'weird'"),
        (["--category", "medical_claim", "--category", "medical"], "unknown category 'medical'"),
        (["--platform", "social,tv"], "unknown platform 'tv'"),
    ],
)
def test_review_unknown_filter_values_exit_2(outdir: Path, flags: list[str], needle: str) -> None:
    before = (outdir / "results.jsonl").read_bytes()
    result = invoke("review", str(outdir), "--list", *flags)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and "expected one of" in result.stderr
    assert (outdir / "results.jsonl").read_bytes() == before


def test_review_decide_adds_up(outdir: Path) -> None:
    result = invoke(
        "review",
        str(outdir),
        "--decide",
        f"{SOCIAL}=approve,{EN}=reject",
        "--decide",
        f"{TEA}=reject",
        "--reason",
        "checked by hand",
        "--reviewer",
        "t",
    )
    assert result.exit_code == 0, result.output
    assert "3 decisions by t" in result.output
    records = {
        r["id"]: r
        for r in map(json.loads, (outdir / "results.jsonl").read_text("utf-8").splitlines())
    }
    assert [records[i]["status"] for i in (SOCIAL, EN, TEA)] == ["approved", "rejected", "rejected"]


def test_review_rule_filter_reuses_the_disable_matcher() -> None:
    from copygen.compliance import rule_model, rules
    from copygen.review import decisions

    assert decisions.rule_selected is rule_model.rule_selected
    assert rules.rule_selected is rule_model.rule_selected
    # Python API: the same filter as the command line.
    filters = decisions.queue_filter(rules=["zh.*", "facts.number"])
    finding = {"rule": "zh.platform.wechat", "category": "platform_diversion"}
    assert filters.matches({"status": "review", "findings": [finding]})
    assert not filters.matches(
        {"status": "review", "findings": [{"rule": "en.absolute.best", "category": "x"}]}
    )
    assert decisions.queue_filter(rules=["zh.*,facts.*"]).rules == ("zh.*", "facts.*")
    with pytest.raises(InputError, match="unknown category 'nope'"):
        decisions.queue_filter(categories=["absolute_term,nope"])


# --- 3. --expect-head takes the short head ------------------------------------------------


def _head(generated: Path) -> str:
    report = verify(generated / "audit.jsonl")
    assert report.ok
    return report.head


@pytest.mark.parametrize(
    "shown",
    [
        lambda h: h[:12],
        lambda h: h[:16],
        lambda h: h[:16] + "…",  # as the report prints it
        lambda h: h[:20].upper(),
        lambda h: h,
    ],
)
def test_verify_takes_the_short_head(generated: Path, shown: Any) -> None:
    log = generated / "audit.jsonl"
    head = _head(generated)
    for target in (log, generated):  # a log, and an output folder
        result = invoke("audit", "verify", str(target), "--expect-head", shown(head))
        assert result.exit_code == 0, result.output
        assert head in result.stdout
    assert verify(log, expect_head=shown(head)).ok


def test_short_head_of_an_earlier_event_passes_with_a_note(generated: Path) -> None:
    log = generated / "audit.jsonl"
    first = read_events(log)[0]["hash"]
    report = verify(log, expect_head=first[:12])
    assert report.ok and "later events follow" in (report.note or "")


def test_short_head_that_does_not_match_is_exit_4(generated: Path, tmp_path: Path) -> None:
    log = generated / "audit.jsonl"
    head = _head(generated)
    wrong = ("0" if head[0] != "0" else "1") + head[1:12]
    for target in (log, generated):
        result = invoke("audit", "verify", str(target), "--expect-head", wrong)
        assert result.exit_code == 4, result.output
        assert wrong in result.stderr  # the head asked for ...
        assert head[:16] in result.stderr  # ... and the one the log ends with
    report = verify(log, expect_head=wrong)
    assert not report.ok and wrong in (report.reason or "") and head[:16] in (report.reason or "")
    # A log cut short: the kept short head is no longer in it.
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:-1]))
    result = invoke("audit", "verify", str(cut), "--expect-head", head[:16] + "…")
    assert result.exit_code == 4 and "not found" in result.stderr


@pytest.mark.parametrize(
    "bad",
    ["36f99f15bf9", "xyz99f15bf90b6", "36f99f15-bf90b6", "", "0" * 65],
)
def test_malformed_expect_head_is_exit_2(generated: Path, tmp_path: Path, bad: str) -> None:
    no_log = make_outdir(tmp_path / "no-log")  # refused as a usage error before reading
    for target in (generated / "audit.jsonl", generated, generated / "missing.jsonl", no_log):
        result = invoke("audit", "verify", str(target), "--expect-head", bad)
        assert result.exit_code == 2, result.output
        [line] = result.stderr.strip().splitlines()  # one line, no traceback
        assert "--expect-head" in line and "12" in line
    with pytest.raises(InputError, match="--expect-head"):
        verify(generated / "audit.jsonl", expect_head=bad)


def test_ambiguous_short_head_asks_for_more_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two events whose hashes start alike: with 12 digits that takes ~2**24 events, so
    the test allows 1-digit heads and writes 17 events (two must share a first digit)."""
    verify_module = importlib.import_module("copygen.audit.verify")
    log = tmp_path / "audit.jsonl"
    with AuditLog.open(log, run="r") as audit:
        for n in range(17):
            audit.append("checked", item=f"S{n}:social:zh:v1", status="pass", findings=[])
    hashes = [e["hash"] for e in read_events(log)]
    shared = next(h[0] for i, h in enumerate(hashes) if h[0] in {o[0] for o in hashes[i + 1 :]})
    monkeypatch.setattr(verify_module, "MIN_HEAD_DIGITS", 1)
    with pytest.raises(InputError, match="give more of its digits"):
        verify(log, expect_head=shared)
    result = invoke("audit", "verify", str(log), "--expect-head", shared)
    assert result.exit_code == 2 and "give more of its digits" in result.stderr


def test_outdir_proof_takes_the_short_head(generated: Path) -> None:
    """export and report prove a folder through prove_outdir: the same head rules."""
    from copygen.review.outdir import load_numbered_items, prove_outdir

    head = _head(generated)
    records = load_numbered_items(generated)
    log = generated / "audit.jsonl"
    proof = prove_outdir(generated, records, log=log, key=None, expect_head=head[:12])
    assert proof.report is not None and proof.report.ok and proof.proven == len(records)
    wrong = ("0" if head[0] != "0" else "1") + head[1:12]
    proof = prove_outdir(generated, records, log=log, key=None, expect_head=wrong)
    assert proof.report is not None and not proof.report.ok
    with pytest.raises(InputError):
        prove_outdir(generated, records, log=log, key=None, expect_head=head[:11])


# --- 4. config show: the defaults a run uses, not null ----------------------------------


def _nulls(value: Any, where: str = "") -> list[str]:
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{where}[{i}]")]
    return []


def test_config_show_prints_no_null() -> None:
    shown = invoke("config", "show")
    assert shown.exit_code == 0, shown.output
    assert "null" not in shown.stdout
    data = yaml.safe_load(shown.stdout)
    as_json = invoke("config", "show", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == data
    assert _nulls(data) == []
    assert data["max_repairs"] == 1
    assert data["max_tokens"] == "auto"
    assert data["timeout"] == 60.0 and data["concurrency"] == 8
    assert data["model"] == "offline"
    assert data["judge_backend"] == "offline" and data["judge_model"] == "offline"
    assert data["fail_on"] == "never for generate, warn for check"
    assert Path(data["templates"]).is_dir()
    assert data["audit"] == "OUTDIR/audit.jsonl"


def test_config_show_max_repairs_is_the_one_generate_uses(generated: Path) -> None:
    started = read_events(generated / "audit.jsonl", event="run_started")[0]
    shown = json.loads(invoke("config", "show", "--json").stdout)
    assert started["max_repairs"] == shown["max_repairs"]


def test_config_show_server_and_judge_defaults(tmp_path: Path) -> None:
    config = tmp_path / "copygen.yaml"
    config.write_text(
        "backend: local\n"
        "backends:\n"
        "  local: {type: openai, model: qwen, base_url: 'http://127.0.0.1:8000/v1'}\n"
        "  ds: {type: openai, model: deepseek-chat, base_url: 'https://api.deepseek.com/v1'}\n"
        "judge: {backend: ds}\n"
        "prices:\n"
        "  qwen: {input: 1, output: 2}\n",
        encoding="utf-8",
    )
    result = invoke("--config", str(config), "config", "show", "--json", "--sources")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert _nulls(data) == []
    sources = data["sources"]
    # A server on this machine: config.server_defaults' timeout and concurrency.
    assert (data["timeout"], data["concurrency"]) == (600.0, 2)
    assert sources["timeout"] == sources["concurrency"] == "default for a server on this machine"
    assert data["backend_profile"] == "local" and data["model"] == "qwen"
    assert data["judge_backend"] == "ds"
    assert data["judge_model"] == "deepseek-chat"
    assert data["judge_base_url"] == "https://api.deepseek.com/v1"
    assert sources["judge_model"].startswith("default")
    assert sources["judge_backend"].startswith(f"config {config}")
    assert data["prices"]["qwen"]["cached_input"] == 1.0  # None: the input price
    assert sources["prices"] == f"config {config}"
    assert sources["max_repairs"] == "default"


def test_config_show_sources_cover_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYGEN_BACKEND", "openai")
    monkeypatch.setenv("COPYGEN_MODEL", "gpt-x")
    result = invoke("config", "show", "--json", "--sources")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    sources = data.pop("sources")
    data.pop("data_dirs")
    derived = {"backend_profile", "judge_profile", "judge_api_key", "config_file"}
    assert set(data) - derived <= set(sources)
    assert sources["backend"] == "env COPYGEN_BACKEND"
    assert sources["model"] == "env COPYGEN_MODEL"
    assert data["base_url"] == "https://api.openai.com/v1"
    assert sources["base_url"].startswith("default")
    assert data["api_key"] == "not set"
    assert data["judge_model"] == "gpt-x" and data["judge_backend"] == "openai"


def test_effective_settings_python_api(tmp_path: Path) -> None:
    from copygen.cli.config_cmd import effective_settings

    settings = load_settings(cli={"max_repairs": 3}, cwd=tmp_path, home=tmp_path)
    data, sources = effective_settings(settings)
    assert data["max_repairs"] == 3 and sources["max_repairs"] == "option"
    assert data["seed"] == "none" and sources["seed"] == "default"
    assert settings.public_dict()["seed"] is None  # what is logged stays exact
