"""What keeps ``copygen check "..."`` starting fast (issue 18), checked by structure,
never by the clock: ``bench/check_startup.py`` measures the time.

- a check imports only what it needs: no jieba, YAML, pydantic (through typer), rich
  (but for text output), OpenAI, Jinja2, multiprocessing, nor the other commands;
- the CLI imports only the module of the command given, and its light parameter
  coercion gives what typer's gives;
- the shortcuts give the results of what they replace: the key table finds what the
  automaton finds, and the word-edge table and the sorted dictionary find jieba's
  word edges;
- their cache files are rebuilt when what they were made from changes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from copygen.cli import main as cli_main
from copygen.compliance import rules_cache, word_edges
from copygen.compliance.engine import Checker
from copygen.compliance.normalize import normalize

REPO = Path(__file__).resolve().parents[1]
PLAIN = "这款面霜是全网最好的，三天美白"
EDGE_TABLE = "他家的面霜是第一，今天白菜价"  # the word-edge table answers
EDGE_DICTIONARY = "今天给大家底价"  # 家底 crosses 底价: the sorted dictionary answers

# Never imported by a check of a short text (rich: only for text output).
HEAVY = (
    "jieba",
    "pydantic",
    "yaml",
    "openai",
    "jinja2",
    "openpyxl",
    "langdetect",
    "httpx",
    "multiprocessing",
    "concurrent.futures",
    "opencc",
    "pypinyin",
    "copygen.compliance.rules",
    "copygen.generate",
    "copygen.backends",
    "copygen.writing",
    "copygen.review",
    "copygen.judge",
    "copygen.audit",
    "copygen.cli.generate",
    "copygen.cli.config_cmd",
    "copygen.cli.rules_cmd",
)

PROBE = """
import json, sys
sys.argv = ["copygen", *json.loads(sys.argv[1])]
from copygen.cli.main import main
try:
    main()
except SystemExit:
    pass
print("\\n@@" + json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def startup_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a fresh ``copygen`` process with a built rules cache."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("COPYGEN_"):
            del env[name]
    env["COPYGEN_RULES_CACHE"] = str(tmp_path_factory.mktemp("startup-cache"))
    env["HOME"] = str(tmp_path_factory.mktemp("startup-home"))
    env["XDG_CONFIG_HOME"] = env["HOME"]
    modules(["check", "--format", "json", PLAIN], env)  # builds the cache
    return env


def modules(args: list[str], env: dict[str, str]) -> tuple[set[str], str]:
    """The modules a fresh ``copygen ARGS`` process has imported, and its output."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],
        check=True,
    ).stdout
    output, _, loaded = out.rpartition("\n@@")
    return set(json.loads(loaded)), output


def heavy(loaded: set[str]) -> list[str]:
    return [name for name in HEAVY if any(m == name or m.startswith(name + ".") for m in loaded)]


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "json", PLAIN],
        ["check", "--format", "jsonl", "--lang", "zh", "--category", "美妆", PLAIN],
        ["check", "-f", "json", EDGE_TABLE],
        ["check", "-f", "json", EDGE_DICTIONARY],
        ["check", "-f", "json", "The best cream ever, cures acne in 3 days"],
        ["--debug", "check", "-f", "json", "清爽不油腻的面霜"],
    ],
    ids=["plain", "lang-category", "edges-table", "edges-dictionary", "english", "clean"],
)
def test_a_check_imports_nothing_heavy(args: list[str], startup_env: dict[str, str]) -> None:
    loaded, output = modules(args, startup_env)
    assert heavy(loaded) == []
    assert not any(m == "rich" or m.startswith("rich.") for m in loaded)
    if "jsonl" in args:
        records = [json.loads(line) for line in output.splitlines() if line]
    else:
        records = json.loads(output)["items"]
    assert len(records) == 1 and "findings" in records[0], output


def test_word_edge_hits_are_found_without_jieba(startup_env: dict[str, str]) -> None:
    cases = {  # what jieba's word edges give (COPYGEN_RULES_CACHE=0 asks jieba)
        EDGE_TABLE: ["zh.price.floor_price"],
        EDGE_DICTIONARY: ["zh.price.floor_price"],
        "他是第一": ["zh.absolute.first_generic"],
        "第一次穿就爱上了": [],
    }
    for text, expected in cases.items():
        loaded, output = modules(["check", "-f", "json", "--fail-on", "never", text], startup_env)
        assert "jieba" not in loaded
        found = json.loads(output)["items"][0]["findings"]
        assert [f["rule"] for f in found] == expected, text


def test_text_output_imports_only_the_rich_it_prints_with(startup_env: dict[str, str]) -> None:
    loaded, output = modules(["check", PLAIN], startup_env)
    assert heavy(loaded) == []
    assert "最好" in output
    assert not {"rich.progress", "rich.table", "rich.markdown", "rich.syntax"} & loaded


# --- the CLI ---------------------------------------------------------------------------


def test_each_command_name_maps_to_the_module_registering_it() -> None:
    for name, module in cli_main.COMMANDS.items():
        assert module in cli_main.COMMAND_MODULES, name
        app = typer.Typer()
        __import__(f"copygen.cli.{module}", fromlist=["register"]).register(app)
        names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
        assert name in names, f"'{name}' is not registered by copygen.cli.{module}"


def test_the_command_word_is_found_after_the_global_options() -> None:
    word = cli_main._command_word
    assert word(["check", "x"]) == "check"
    assert word(["--debug", "-c", "cfg.yaml", "check"]) == "check"
    assert word(["--config=cfg.yaml", "rules", "list"]) == "rules"
    assert word(["-ccfg.yaml", "audit"]) == "audit"
    assert word(["--help"]) is None
    assert word(["--version"]) is None
    assert word([]) is None


def test_an_unknown_command_still_gets_every_command() -> None:
    code = (
        "import sys; sys.argv = ['copygen', 'chek', 'x']\n"
        "from copygen.cli import main\n"
        "try:\n    main.main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(main._registered) == sorted(main.COMMAND_MODULES))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "True"
    assert "No such command" in out.stderr and "check" in out.stderr


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


def test_light_coercion_gives_what_typer_gives() -> None:
    coercion = pytest.importorskip("typer._coercion")
    from typer._click import Context

    root = typer.main.get_command(cli_main.app)
    checked = 0
    for command in _commands(root):
        ctx = Context(command)
        cli_main._light_coercion(command, ctx, own_context=True)
        for param in command.get_params(ctx):
            light = getattr(param, "_runtime_param", None)
            if not isinstance(light, cli_main._LightCoercion):
                continue
            typers = coercion.build_runtime_param(param.type_descriptor)
            multi = param.multiple or param.nargs == -1
            values: list[Any] = [None]
            values += [(), ("a", "b,c"), ["x"]] if multi else ["", "text", "第一"]
            for value in values:
                assert outcome(light, value, param, ctx) == outcome(typers, value, param, ctx), (
                    command.name,
                    param.name,
                    value,
                )
                checked += 1
    assert checked > 100


def outcome(coercion: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", coercion.coerce(value, param=param, ctx=ctx)
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def test_the_check_command_takes_every_kind_of_option(tmp_path: Path) -> None:
    """Options the light coercion passes on to typer (int, Path) still work."""
    from typer.testing import CliRunner

    product = tmp_path / "p.json"
    product.write_text('{"title": "面霜", "price": "99"}', encoding="utf-8")
    result = CliRunner().invoke(
        cli_main.app,
        ["check", "-f", "json", "-j", "1", "--product", str(product), "--fail-on", "never", PLAIN],
    )
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(cli_main.app, ["check", "-j", "many", PLAIN])
    assert bad.exit_code == 2


# --- the key table finds what the automaton finds -------------------------------------------


@pytest.fixture(scope="module")
def cached_checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    old = os.environ.get("COPYGEN_RULES_CACHE")
    os.environ["COPYGEN_RULES_CACHE"] = str(tmp_path_factory.mktemp("rules-cache"))
    try:
        rules_cache._MEMORY.clear()  # (keyed by what the rules are made of, not by folder)
        Checker()
        rules_cache._MEMORY.clear()
        return Checker()  # from the files
    finally:
        if old is None:
            del os.environ["COPYGEN_RULES_CACHE"]
        else:
            os.environ["COPYGEN_RULES_CACHE"] = old


def sample_texts(checker: Checker) -> list[str]:
    texts = [e.text for r in checker.ruleset.rules for e in r.match_examples + r.no_match_examples]
    rng = random.Random(18)
    pieces = [*texts, "🔥", "😀最好", "𠀀第一", " ", "\n", "ｖｘ", "A", "最", "第"]
    for _ in range(300):
        texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(2, 6))))
    return texts


def test_the_key_table_finds_what_the_automaton_finds(cached_checker: Checker) -> None:
    compiled = cached_checker._compiled
    assert compiled.automaton is None and compiled.table is not None  # loaded apart
    compiled.load_automaton()
    everything = frozenset(range(len(compiled.rules)))
    for text in sample_texts(cached_checker):
        ntext = normalize(text).text
        if not ntext:
            continue
        by_table = compiled._table_scan(ntext, everything)
        by_automaton = compiled.scan(ntext, everything)
        assert by_table == by_automaton, text


def test_a_lost_automaton_file_is_rebuilt_from_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPYGEN_RULES_CACHE", str(tmp_path))
    rules_cache._MEMORY.clear()
    long_text = "全网最好的面霜，加微信领取。" * 400  # longer than SHORT_TEXT: the automaton
    expected = [(f.rule, f.start) for f in Checker().check(long_text).findings]
    (automaton,) = tmp_path.glob(f"*{rules_cache.AUTOMATON}")
    automaton.write_bytes(b"damaged")
    rules_cache._MEMORY.clear()
    checker = Checker()
    assert checker._compiled.automaton is None
    assert [(f.rule, f.start) for f in checker.check(long_text).findings] == expected


# --- word edges: the table and the dictionary give jieba's answer ---------------------------


@pytest.fixture(scope="module")
def jieba_dictionary(tmp_path_factory: pytest.TempPathFactory) -> word_edges.Dictionary:
    found = word_edges.dictionary(tmp_path_factory.mktemp("dictionary"))
    if found is None:
        pytest.skip("jieba's dictionary not found")
    return found


def test_the_blocks_are_jiebas() -> None:
    jieba = pytest.importorskip("jieba")
    for code in range(0x10000):
        char = chr(code)
        assert bool(jieba.re_han_default.match(char)) == bool(word_edges._HAN.match(char))
        assert bool(jieba.re_skip_default.match(char)) == bool(word_edges._SKIP.match(char))
        assert bool(jieba.re_eng.match(char)) == (char in word_edges._ENG)


def windows(checker: Checker) -> list[str]:
    """Windows as the checker cuts them: around term hits, in real and odd text."""
    hits = sorted(checker._compiled.word_edge_hits())
    texts = [normalize(t).text for t in sample_texts(checker)]
    odd = [
        "ab第一cd",
        "a 第一 b",
        "x\r\n第一",
        "第一1",
        "1第一",
        "no.1第一",
        "底价-1",
        "第一\t次",
        "Ａ第一",
    ]
    rng = random.Random(7)
    out = [normalize(t).text for t in odd]
    for hit in hits:
        for _ in range(6):
            before = rng.choice(texts)[-rng.randint(0, 12) :]
            after = rng.choice(texts)[: rng.randint(0, 12)]
            out.append(before + hit + after)
    for text in texts:
        start = rng.randrange(0, max(1, len(text)))
        out.append(text[start : start + 25])
    return [w for w in out if w]


def test_the_dictionary_cuts_as_jieba_cuts(
    jieba_dictionary: word_edges.Dictionary, cached_checker: Checker
) -> None:
    pytest.importorskip("jieba")
    for window in windows(cached_checker):
        assert jieba_dictionary.edges(window) == word_edges.jieba_edges(window), window


def test_the_word_edge_table_never_contradicts_jieba(cached_checker: Checker) -> None:
    pytest.importorskip("jieba")
    table = cached_checker._compiled.edge_table
    assert table is not None and table.covered
    answered = 0
    for window in windows(cached_checker):
        for hit in table.covered:
            start = window.find(hit)
            if start < 0:
                continue
            end = start + len(hit)
            if table.on_edges(window, start, end):
                answered += 1
                edges = word_edges.jieba_edges(window)
                assert start in edges and end in edges, (window, hit)
    assert answered > 100  # it does answer


def test_the_table_covers_the_word_boundary_terms(cached_checker: Checker) -> None:
    table = cached_checker._compiled.edge_table
    assert table is not None
    assert {"第一", "底价", "白菜价"} <= table.covered
    assert "家底" in table.crossing() and "第一次" in table.crossing()


def test_the_dictionary_file_follows_jiebas_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "dict.txt"
    source.write_text("第一 10 m\n第一次 5 m\n次 3 n\n", encoding="utf-8")
    monkeypatch.setattr(word_edges, "dictionary_file", lambda: source)
    monkeypatch.setattr(word_edges, "_DICTIONARIES", {})
    kept = tmp_path / "kept"
    found = word_edges.dictionary(kept)
    assert found is not None and found.total == 18
    assert found.edges("第一次") == frozenset({0, 3})
    (first,) = kept.glob("*.jieba")
    # A new dictionary: a new file, the old one gone.
    source.write_text("第一 10 m\n次 3 n\n", encoding="utf-8")
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 5))
    monkeypatch.setattr(word_edges, "_DICTIONARIES", {})
    found = word_edges.dictionary(kept)
    assert found is not None and found.edges("第一次") == frozenset({0, 2, 3})
    (second,) = kept.glob("*.jieba")
    assert second != first


def test_the_rules_cache_key_follows_jiebas_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "dict.txt"
    source.write_text("第一 10 m\n", encoding="utf-8")
    monkeypatch.setattr(word_edges, "dictionary_file", lambda: source)

    def key() -> str | None:
        return rules_cache.key(
            paths=(), builtin=True, disabled=(), only_categories=(), allow_terms=()
        )

    before = key()
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 5))
    assert key() != before
