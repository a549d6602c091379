"""Start-up time of ``copygen check`` on one short text, in fresh processes.

    python bench/check_startup.py [--runs 15] [--as-is]

Every case runs ``--runs`` times, each in a new process, after one untimed run
(which fills the rules cache and the bytecode cache); the median and p90 wall times
are printed next to two baselines measured in the same run: ``python -c pass`` (the
interpreter alone) and ``python -c "import typer"`` (the CLI framework alone). Goal:
a short text is checked in under 0.3 s, whatever needs checking.

Cases: a plain hit, a clean text, hits that need Chinese word boundaries (one the
word-edge table answers, one it leaves to jieba's dictionary: see
copygen/compliance/word_edges.py), English copy, and ``--format json``; through the
installed ``copygen`` entry point and through ``python -m copygen``.

Then, once per case, ``python -X importtime``: the heavy packages each case loads
(jieba, pydantic, rich, yaml, ...); for the plain hit the import time by top-level
package and the time of each step in one fresh process. Last, runs with an empty
rules cache: the first ``check`` after installing copygen or changing a rule pack,
and checks with the cache turned off (``COPYGEN_RULES_CACHE=0``: YAML and jieba).

By default the children write bytecode to a private ``PYTHONPYCACHEPREFIX`` (the
first run compiles it), as an installed package has its ``.pyc`` files; ``--as-is``
keeps the environment as it is (with ``PYTHONDONTWRITEBYTECODE=1`` and no
``__pycache__``, every copygen module is compiled from source on every start).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
ENTRY = shutil.which("copygen", path=str(BIN)) or shutil.which("copygen")
GOAL = 0.3

PLAIN = "这款面霜是全网最好的，三天美白"
CASES: list[tuple[str, list[str]]] = [
    ("python -c pass", [PYTHON, "-c", "pass"]),
    ("python -c 'import typer'", [PYTHON, "-c", "import typer"]),
    ("check: plain hit", ["@copygen", "check", PLAIN]),
    ("check: clean text", ["@copygen", "check", "清爽不油腻，温和保湿，适合干皮的面霜"]),
    ("check: word edges (table)", ["@copygen", "check", "他家的面霜是第一，今天白菜价"]),
    ("check: word edges (dictionary)", ["@copygen", "check", "今天给大家底价"]),
    ("check: English", ["@copygen", "check", "The best cream ever, cures acne in 3 days"]),
    ("check: --format json", ["@copygen", "check", "--format", "json", PLAIN]),
    ("python -m copygen check", [PYTHON, "-m", "copygen", "check", PLAIN]),
]
# Packages worth knowing about when one of them is loaded by a check.
HEAVY = (
    "jieba",
    "pydantic",
    "rich",
    "yaml",
    "openai",
    "jinja2",
    "langdetect",
    "openpyxl",
    "charset_normalizer",
    "httpx",
    "opencc",
    "pypinyin",
)


def command(argv: list[str]) -> list[str]:
    if argv[0] != "@copygen":
        return argv
    if ENTRY is None:
        sys.exit("the copygen entry point is not installed next to this Python")
    return [ENTRY, *argv[1:]]


def child_env(as_is: bool, pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COPYGEN_CONFIG", None)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def importtime(argv: list[str], env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, module with its indentation) of each import."""
    full = [PYTHON, "-X", "importtime", *argv[1:]] if argv[0] == PYTHON else None
    if full is None:  # the entry point: run its module the same way
        full = [PYTHON, "-X", "importtime", "-m", "copygen", *argv[1:]]
    proc = subprocess.run(full, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (.*)$", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case")
    parser.add_argument(
        "--as-is", action="store_true", help="keep the environment's bytecode settings"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="copygen-startup-") as tmp:
        env = child_env(args.as_is, os.path.join(tmp, "pycache"))
        mode = (
            "environment as is"
            + (" (PYTHONDONTWRITEBYTECODE=1)" if env.get("PYTHONDONTWRITEBYTECODE") else "")
            if args.as_is
            else "bytecode in a private PYTHONPYCACHEPREFIX"
        )
        print(f"{args.runs} fresh processes per case, after one untimed run; {mode}")
        print(f"{'case':<30} {'median':>8} {'p90':>8}   loads")
        typer_median = 0.0
        for label, argv in CASES:
            full = command(argv)
            wall(full, env)  # warm-up: bytecode, rules cache, file cache
            times = [wall(full, env) for _ in range(args.runs)]
            median = statistics.median(times)
            if "import typer" in label:
                typer_median = median
            loaded = {row[2].strip().split(".")[0] for row in importtime(full, env)}
            heavy = ", ".join(name for name in HEAVY if name in loaded) or "-"
            flag = ""
            if label.startswith(("check", "python -m")):
                flag = "  ok" if median < GOAL else f"  OVER {GOAL:.1f} s"
            print(f"{label:<30} {median * 1000:6.0f}ms {p90(times) * 1000:6.0f}ms   {heavy}{flag}")
        if typer_median:
            print(f"(import typer alone: {typer_median * 1000:.0f} ms of every check above)")

        print(f"\nimport time of 'copygen check \"{PLAIN}\"' by top-level package (ms):")
        by_package: dict[str, int] = defaultdict(int)
        rows = importtime(command(CASES[2][1]), env)
        for self_us, _cum, name in rows:
            by_package[name.strip().split(".")[0]] += self_us
        total = sum(by_package.values())
        for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {name:<24} {us / 1000:6.1f}")
        print(f"  {'all imports':<24} {total / 1000:6.1f}")
        print("  copygen modules, cumulative (ms):")
        for _self_us, cum_us, name in sorted(rows, key=lambda r: -r[1]):
            if name.strip().startswith("copygen") and cum_us >= 3000:
                print(f"    {name.strip():<40} {cum_us / 1000:6.1f}")

        print(f"\nsteps of 'copygen check \"{PLAIN}\"' in one fresh process (ms):")
        proc = subprocess.run(
            [PYTHON, "-c", STEPS, PLAIN], env=env, cwd=REPO, capture_output=True, text=True
        )
        print(proc.stdout.rstrip() or proc.stderr.strip()[-500:])

        cold_env = dict(env, COPYGEN_RULES_CACHE=os.path.join(tmp, "empty-rules-cache"))
        first = wall(command(CASES[2][1]), cold_env)
        again = wall(command(CASES[2][1]), cold_env)
        print(
            f"\nempty rules cache: first check {first * 1000:.0f} ms "
            f"(builds the cache), the next {again * 1000:.0f} ms"
        )
        off_env = dict(env, COPYGEN_RULES_CACHE="0")
        plain = wall(command(CASES[2][1]), off_env)
        edges = wall(command(CASES[5][1]), off_env)
        print(
            f"rules cache off: plain hit {plain * 1000:.0f} ms, "
            f"word edges by jieba {edges * 1000:.0f} ms"
        )


# The steps of one check, timed in the process (the CLI's own, without typer's parsing).
STEPS = """
import sys, time
t0 = time.perf_counter()
import copygen.cli.main
t1 = time.perf_counter()
from copygen.compliance.check_run import CheckOptions, run_check
t2 = time.perf_counter()
from copygen.config import load_settings
settings = load_settings(cli={})
t3 = time.perf_counter()
from copygen.compliance.engine import Checker
checker = Checker()
t4 = time.perf_counter()
checker.check(sys.argv[1])
t5 = time.perf_counter()
checker.check(sys.argv[1] + "。")
t6 = time.perf_counter()
steps = [
    ("import copygen.cli.main (typer)", t1 - t0),
    ("import check_run (the checker's modules)", t2 - t1),
    ("load_settings", t3 - t2),
    ("Checker() from the rules cache", t4 - t3),
    ("first check", t5 - t4),
    ("second check", t6 - t5),
]
for name, seconds in steps:
    print(f"  {name:<44} {seconds * 1000:6.1f}")
"""


if __name__ == "__main__":
    main()
