"""Quality and cost of the LLM judge (``copygen check --judge``) next to the rules.

    python bench/judge_quality.py --judge-backend openai --judge-model MODEL \\
        --judge-base-url URL [--sets NAME,...] [--batch FILE ...] [--limit N] [--seed S] \\
        [--concurrency C] [--timeout T] [--max-retries R] \\
        [--response-format F] [--price-input P --price-output P] [--cache] [--show N] \\
        [--json FILE]

Reads every saved held-out batch (``tests/data/heldout_*.jsonl``, named by what follows
``heldout_``: ``v2f``, ``fresh3``, ...), the shared labelled set (``labelled``:
``../shared/data/cn_labelled_adcopy_testcases.jsonl``, null verdicts left out) and any
``--batch FILE`` (named by its stem), has the judge read every text (``judge_all``), and
prints per data set and overall:

1. text-level precision and recall (flagged = a ``block`` or ``warn`` finding of a
   content category, exactly as ``tests/test_rule_quality.py`` scores the rules) of
   the rules alone, the judge alone (its ``judge.*`` findings) and rules + judge;
2. for the v2 batches, recall by kind (``direct``, ``paraphrased`` — the judge's reason
   to exist — ``evasion``) and the share of ``hard_clean`` / ``clean`` texts flagged;
3. what the judge's violations became: findings, dropped because the quote is not in
   the text, the category is unknown, or the rules (or the reply itself) already said
   it; texts it did not answer for (errors), and replies read only on a second ask;
4. cost: tokens in/out per text, latency per text, and money per text when a price is
   known (``--price-input`` / ``--price-output`` per million tokens, or ``prices:`` of
   the config file), else "unknown".

``--limit N`` judges a stratified sample of N texts per data set (by ``kind`` where the
set has one, else violating / clean), the same for the same ``--seed``, so a slow model
can be measured on a subset; every number carries the count it was measured on.
``--sets v2f:40,labelled,v2*`` (names or shell patterns, each with its own sample size
after ``:``, else ``--limit``) picks data sets, run in that order; tables are printed,
and ``--json`` rewritten, as each set finishes.

"Judge alone" is the judge's findings merged into an empty result (so a finding the
rules also made still counts for it); "rules + judge" and the ``already_found`` count
are what ``copygen check --judge`` itself would report (the reply merged into the
rules' result). A text the judge did not answer for counts as not flagged by it.
Replies are not cached unless ``--cache`` (a cached reply costs no tokens or time, and
is counted as cached). Works against any OpenAI-compatible server; the key comes from
the environment (``OPENAI_API_KEY``), and a placeholder is used when none is set (a
server on this machine usually takes any). Needs a real model, so it is not part of CI.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import fnmatch
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Placeholder key for servers that take any (a local llama.cpp, vLLM, ...).
PLACEHOLDER_KEY = "not-needed"
LABELLED_SET = "labelled"


def _quality_module() -> ModuleType:
    """tests/test_rule_quality.py, loaded the way bench/check_quality.py loads it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from check_quality import _quality_module as load

    return load()


# --- data sets and samples ---------------------------------------------------------------


@dataclass
class DataSet:
    name: str
    cases: list[Any]  # rule_quality.Case
    source: str


def available_sets(q: ModuleType, batches: Sequence[Path]) -> dict[str, DataSet]:
    """Every data set by name: the saved held-out batches, the labelled set, --batch."""
    sets: dict[str, DataSet] = {}
    for path in sorted(q.HELDOUT_DIR.glob("heldout_*.jsonl")):
        name = path.stem.removeprefix("heldout_")
        sets[name] = DataSet(name, q.heldout_cases(path), str(path.relative_to(REPO)))
    if q.LABELLED.is_file():
        sets[LABELLED_SET] = DataSet(LABELLED_SET, q.labelled_cases(), str(q.LABELLED))
    for path in batches:
        name = path.stem.removeprefix("heldout_")
        if name in sets:
            name = f"{name}@{path.parent.name}"
        sets[name] = DataSet(name, q.heldout_cases(path), str(path))
    return sets


def chosen_sets(
    sets: dict[str, DataSet], wanted: str | None, batches: Sequence[str], limit: int | None
) -> list[tuple[DataSet, int | None]]:
    """The sets ``--sets`` names (in its order; patterns allowed), else all of them, each
    with its sample size: ``NAME:N`` gives one set its own, else ``--limit``. A
    ``--batch`` file is always included."""
    if not wanted:
        return [(s, limit) for s in sets.values()]
    out: dict[str, tuple[DataSet, int | None]] = {}
    for entry in (p.strip() for p in wanted.split(",")):
        if not entry:
            continue
        pattern, _, size = entry.partition(":")
        own = limit
        if size:
            if not size.isdigit() or int(size) < 1:
                sys.exit(f"--sets: {entry!r}: the sample size after ':' must be a number >= 1")
            own = int(size)
        matched = [s for name, s in sets.items() if fnmatch.fnmatchcase(name, pattern)]
        if not matched:
            sys.exit(f"--sets: no data set {pattern!r}; there are: {', '.join(sets)}")
        for dataset in matched:
            out.setdefault(dataset.name, (dataset, own))
    for path in batches:
        extra = next(s for s in sets.values() if s.source == path)
        out.setdefault(extra.name, (extra, limit))
    return list(out.values())


def stratum(case: Any, by_kind: bool) -> str:
    if by_kind:
        return case.kind or ("violating" if case.expected else "clean")
    return "violating" if case.expected else "clean"


def stratified_sample(cases: Sequence[Any], limit: int | None, seed: int, name: str) -> list:
    """``limit`` cases in proportion to their strata (kind, else violating / clean), at
    least one of each stratum when the limit allows; deterministic for ``seed`` and
    ``name``; in file order."""
    if limit is None or limit >= len(cases):
        return list(cases)
    by_kind = any(c.kind for c in cases)
    strata: dict[str, list[int]] = {}
    for index, case in enumerate(cases):
        strata.setdefault(stratum(case, by_kind), []).append(index)
    keys = sorted(strata)
    quota = dict.fromkeys(keys, 0)
    if limit >= len(keys):
        quota = dict.fromkeys(keys, 1)
    left = limit - sum(quota.values())
    spare = {k: len(strata[k]) - quota[k] for k in keys}
    total_spare = sum(spare.values())
    if left > 0 and total_spare:
        shares = {k: left * spare[k] / total_spare for k in keys}
        for k in keys:
            quota[k] += int(shares[k])
        rest = limit - sum(quota.values())
        by_remainder = sorted(keys, key=lambda k: (-(shares[k] - int(shares[k])), k))
        while rest > 0:
            progressed = False
            for k in by_remainder:
                if rest and quota[k] < len(strata[k]):
                    quota[k] += 1
                    rest -= 1
                    progressed = True
            if not progressed:
                break
    rng = random.Random(f"{seed}/{name}")
    chosen: list[int] = []
    for k in keys:
        indices = list(strata[k])
        rng.shuffle(indices)
        chosen.extend(indices[: quota[k]])
    return [cases[i] for i in sorted(chosen)]


# --- judging ------------------------------------------------------------------------------


@dataclass
class TextRecord:
    """One judged text: the verdicts of rules, judge and both, and the judge's call."""

    dataset: str
    text: str
    expected: list[str]
    kind: str | None
    lang: str
    rules_flagged: bool
    rules_categories: list[str]
    judge_flagged: bool = False
    judge_categories: list[str] = field(default_factory=list)
    both_flagged: bool = False
    violations: int = 0  # listed in the reply
    findings: int = 0  # judge findings, judge alone
    outside_content: int = 0  # of those, categories the rules' score leaves out
    findings_new: int = 0  # judge findings added to the rules' result
    dropped: dict[str, int] = field(default_factory=dict)  # against the rules' result
    error: str | None = None
    calls: int = 0
    retried: bool = False  # the first reply was unusable, a second ask answered
    cached: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    wall_ms: float = 0.0
    cost: float | None = None
    reply: str | None = None
    added: list[dict[str, str]] = field(default_factory=list)


def is_flagged(findings: Iterable[Any], content: Sequence[str]) -> tuple[bool, list[str]]:
    """Flagged as ``rule_quality.predicted`` counts it: a block/warn content finding."""
    hit = [f for f in findings if f.severity in ("block", "warn") and f.category in content]
    return bool(hit), sorted({f.category for f in hit})


class Bench:
    def __init__(self, args: argparse.Namespace, q: ModuleType) -> None:
        from copygen.backends.cache import ResponseCache
        from copygen.compliance.engine import Checker
        from copygen.config import Price, load_settings
        from copygen.judge import Judge, create_judge_backend, judge_backend_settings
        from copygen.writing.prompts import PromptBuilder

        self.q = q
        env = dict(os.environ)
        if not env.get("OPENAI_API_KEY"):
            env["OPENAI_API_KEY"] = PLACEHOLDER_KEY
        cli: dict[str, Any] = {
            "judge": True,
            "judge_backend": args.judge_backend,
            "judge_model": args.judge_model,
            "judge_base_url": args.judge_base_url,
            "judge_all": True,
            "judge_on_error": "review",
            "judge_max_tokens": args.max_tokens,
            "concurrency": args.concurrency,
            "timeout": args.timeout,
            "max_retries": args.max_retries,
            "cache": args.cache,
            "response_format": args.response_format,
        }
        self.settings = load_settings(cli=cli, config_path=args.config, env=env)
        self.judge_settings = judge_backend_settings(self.settings)
        self.checker = Checker()
        backend = create_judge_backend(self.judge_settings, self.settings, None)
        cache = None
        if self.settings.cache and backend.remote:
            cache = ResponseCache.from_settings(self.settings)
        self.judge = Judge(
            settings=self.judge_settings,
            backend=backend,
            builder=PromptBuilder(settings=self.settings, ruleset=self.checker.ruleset),
            cache=cache,
        )
        if args.price_input is not None or args.price_output is not None:
            self.price = Price(input=args.price_input or 0.0, output=args.price_output or 0.0)
        else:
            self.price = self.judge_settings.price_for(self.judge.model)
        self.slots = asyncio.Semaphore(max(1, self.judge_settings.concurrency))
        self.done = 0
        self.total = 0
        self.started = time.perf_counter()

    async def judge_set(self, dataset: DataSet, cases: Sequence[Any]) -> list[TextRecord]:
        return list(await asyncio.gather(*(self.judge_one(dataset.name, c) for c in cases)))

    async def judge_one(self, name: str, case: Any) -> TextRecord:
        from copygen.compliance.engine import field_items
        from copygen.compliance.findings import CheckResult
        from copygen.judge import UNAVAILABLE_RULE
        from copygen.judge.findings import merge_violations
        from copygen.judge.reply import JudgeReplyError, parse_violations

        q = self.q
        content = q.CONTENT_CATEGORIES
        status, rule_categories = q.predicted(self.checker, case)
        rules_result = self.checker.check(
            case.text, lang=case.lang, category=case.category, platform=case.platform
        )
        lang = case.lang or _lang_of(case.text)
        record = TextRecord(
            dataset=name,
            text=case.text,
            expected=sorted(case.expected),
            kind=case.kind,
            lang=lang,
            rules_flagged=status in ("blocked", "review"),
            rules_categories=sorted(rule_categories),
        )
        async with self.slots:
            started = time.perf_counter()
            try:
                outcome = await self.judge.review(
                    case.text,
                    result=CheckResult.from_findings([]),
                    lang=lang,
                    platform=case.platform,
                    item_id=f"{name}:{self.done}",
                )
            except Exception as exc:  # a judge that breaks on one text still gives numbers
                outcome = None
                record.error = f"{type(exc).__name__}: {exc}"
            record.wall_ms = (time.perf_counter() - started) * 1000
        if outcome is not None:
            record.error = outcome.error
            record.calls = len(outcome.calls)
            record.retried = any(c.error for c in outcome.calls) and outcome.error is None
            record.cached = outcome.cached
            usage = outcome.usage
            record.tokens_in, record.tokens_out = usage.prompt_tokens, usage.completion_tokens
            record.latency_ms = outcome.latency_ms
            from copygen.backends.base import cost_of

            fresh = [c for c in outcome.calls if not c.cached]
            costs = [cost_of(c.usage, self.price) for c in fresh]
            record.cost = None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)
            replies = [c.response for c in outcome.calls if c.response is not None]
            record.reply = replies[-1] if replies else None
            own = [f for f in outcome.added if f.rule != UNAVAILABLE_RULE]
            record.findings = len(own)
            record.outside_content = sum(1 for f in own if f.category not in content)
            record.judge_flagged, record.judge_categories = is_flagged(own, content)
            record.added = [
                {"category": f.category, "quote": f.text, "message": f.message} for f in own
            ]
            if outcome.error is None and record.reply is not None:
                try:
                    violations = parse_violations(record.reply)
                except JudgeReplyError:
                    violations = []
                merged = merge_violations(
                    rules_result,
                    violations,
                    field_items(case.text),
                    severity=self.judge_settings.judge_severity,
                    locale="zh" if lang.startswith("zh") else "en",
                )
                record.violations = len(violations)
                record.findings_new = len(merged.added)
                record.dropped = dict(merged.dropped)
        record.both_flagged = record.rules_flagged or record.judge_flagged
        self.done += 1
        elapsed = time.perf_counter() - self.started
        verdict = "error" if record.error else ("flagged" if record.judge_flagged else "pass")
        print(
            f"  [{self.done}/{self.total} {elapsed:.0f}s] {name} "
            f"{record.kind or ('violating' if record.expected else 'clean')}: judge {verdict}, "
            f"{record.latency_ms / 1000:.1f}s, {record.tokens_in}/{record.tokens_out} tokens",
            file=sys.stderr,
            flush=True,
        )
        return record

    async def close(self) -> None:
        await self.judge.backend.aclose()


def _lang_of(text: str) -> str:
    from copygen.compliance.normalize import has_cjk

    return "zh" if has_cjk(text) else "en"


# --- scoring ------------------------------------------------------------------------------

READERS = (("rules alone", "rules_flagged"), ("judge alone", "judge_flagged"))
READERS += (("rules + judge", "both_flagged"),)


def tally(q: ModuleType, records: Sequence[TextRecord], attr: str) -> Any:
    """A ``rule_quality.Score`` (text level and by kind) of one reader's verdicts."""
    score = q.Score()
    for r in records:
        flagged = getattr(r, attr)
        q._tally(score.text, bool(r.expected), flagged)
        if r.kind is not None:
            q._tally(score.kind(r.kind), bool(r.expected), flagged)
    return score


def counts_dict(c: Any) -> dict[str, Any]:
    return {
        "n": c.tp + c.fp + c.fn + c.tn,
        "precision": round(c.precision, 4) if c.tp + c.fp else None,
        "recall": round(c.recall, 4) if c.tp + c.fn else None,
        "tp": c.tp,
        "fp": c.fp,
        "fn": c.fn,
        "tn": c.tn,
    }


def kinds_dict(q: ModuleType, score: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in q.VIOLATING_KINDS:
        if kind in score.per_kind:
            c = score.per_kind[kind]
            out[kind] = {"recall": round(c.recall, 4), "hit": c.tp, "n": c.support}
    for kind in q.CLEAN_KINDS:
        if kind in score.per_kind:
            c = score.per_kind[kind]
            out[kind] = {
                "flagged": round(score.flagged_rate(kind), 4),
                "hit": c.fp,
                "n": c.fp + c.tn,
            }
    return out


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def judge_work(records: Sequence[TextRecord]) -> dict[str, Any]:
    """What the judge did: answers, findings, drops, errors and cost per text."""
    dropped: Counter[str] = Counter()
    for r in records:
        dropped.update(r.dropped)
    answered = [r for r in records if r.error is None]
    # A failed text was still paid for: cost and time count every text that made calls.
    fresh = [r for r in records if r.calls and not r.cached]
    latencies = sorted(r.latency_ms / 1000 for r in fresh)
    costs = [r.cost for r in fresh]
    cost = None if not fresh or any(c is None for c in costs) else sum(c or 0.0 for c in costs)
    return {
        "texts": len(records),
        "answered": len(answered),
        "errors": len(records) - len(answered),
        "error_samples": sorted({str(r.error)[:160] for r in records if r.error})[:3],
        "answered_on_second_ask": sum(1 for r in records if r.retried),
        "cached": sum(1 for r in records if r.cached),
        "empty_verdicts": sum(1 for r in answered if not r.violations),
        "violations_listed": sum(r.violations for r in answered),
        "findings": sum(r.findings for r in records),
        "findings_outside_content_categories": sum(r.outside_content for r in records),
        "findings_added_to_rules": sum(r.findings_new for r in records),
        "dropped": {
            key: dropped.get(key, 0)
            for key in ("quote_not_in_text", "unknown_category", "already_found")
        },
        "measured_texts": len(fresh),
        "tokens_in_per_text": _mean([r.tokens_in for r in fresh]),
        "tokens_out_per_text": _mean([r.tokens_out for r in fresh]),
        "latency_s_per_text": _mean(latencies),
        "latency_s_median": statistics.median(latencies) if latencies else None,
        "latency_s_max": latencies[-1] if latencies else None,
        "cost_per_text": cost / len(fresh) if cost is not None else None,
    }


def summarise(
    q: ModuleType,
    records: Sequence[TextRecord],
    full: Sequence[Any] | None = None,
    checker: Any = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sample": len(records),
        "violating": sum(1 for r in records if r.expected),
        "clean": sum(1 for r in records if not r.expected),
    }
    if full is not None and checker is not None:
        out["size"] = len(full)
        out["rules_on_whole_set"] = counts_dict(q.score(checker, full).text)
    for label, attr in READERS:
        score = tally(q, records, attr)
        out[label] = {"text": counts_dict(score.text), "by_kind": kinds_dict(q, score)}
    out["judge"] = judge_work(records)
    return out


# --- printing -----------------------------------------------------------------------------


def _pr(c: dict[str, Any]) -> str:
    p = "  -  " if c["precision"] is None else f"{c['precision']:.2f}"
    r = "  -  " if c["recall"] is None else f"{c['recall']:.2f}"
    return f"P={p} R={r} (n={c['n']}: tp={c['tp']} fp={c['fp']} fn={c['fn']} tn={c['tn']})"


def _kinds(kinds: dict[str, Any]) -> str:
    parts = []
    for kind, v in kinds.items():
        if "recall" in v:
            parts.append(f"{kind} R={v['recall']:.2f} ({v['hit']}/{v['n']})")
        else:
            parts.append(f"{kind} flagged={v['flagged']:.0%} ({v['hit']}/{v['n']})")
    return ", ".join(parts)


def _num(value: float | None, fmt: str, unit: str = "") -> str:
    return "unknown" if value is None else f"{value:{fmt}}{unit}"


def format_summary(title: str, s: dict[str, Any], currency: str) -> str:
    lines = [title]
    if "size" in s:
        whole = s["rules_on_whole_set"]
        lines[0] += (
            f" — sample {s['sample']} of {s['size']} ({s['violating']} violating, "
            f"{s['clean']} clean); rules on all {s['size']}: P={whole['precision'] or 0:.2f} "
            f"R={whole['recall'] or 0:.2f}"
        )
    else:
        lines[0] += f" — {s['sample']} texts ({s['violating']} violating, {s['clean']} clean)"
    for label, _ in READERS:
        lines.append(f"  {label:<14} {_pr(s[label]['text'])}")
    if s["rules alone"]["by_kind"]:
        lines.append("  by kind (recall of violating kinds, share of clean kinds flagged):")
        for label, _ in READERS:
            lines.append(f"    {label:<14} {_kinds(s[label]['by_kind'])}")
    j = s["judge"]
    dropped = ", ".join(f"{k} {v}" for k, v in j["dropped"].items())
    lines.append(
        f"  judge: answered {j['answered']}/{j['texts']}, errors {j['errors']}, "
        f"answered on a second ask {j['answered_on_second_ask']}, empty verdicts "
        f"{j['empty_verdicts']}; violations listed {j['violations_listed']} -> findings "
        f"{j['findings']} (outside the scored categories "
        f"{j['findings_outside_content_categories']}; not already found by the rules "
        f"{j['findings_added_to_rules']}); dropped: {dropped}"
    )
    for sample in j["error_samples"]:
        lines.append(f"    error: {sample}")
    cost = j["cost_per_text"]
    money = "unknown" if cost is None else f"{cost:.6f} {currency}".strip()
    lines.append(
        f"  cost (n={j['measured_texts']} texts sent, not cached): tokens in "
        f"{_num(j['tokens_in_per_text'], '.0f')}/text, out {_num(j['tokens_out_per_text'], '.0f')}"
        f"/text; latency {_num(j['latency_s_per_text'], '.1f', ' s')}/text (median "
        f"{_num(j['latency_s_median'], '.1f', ' s')}, max {_num(j['latency_s_max'], '.1f', ' s')})"
        f"; cost {money}/text"
    )
    return "\n".join(lines)


def summary_table(sets: dict[str, dict[str, Any]], overall: dict[str, Any]) -> str:
    def pr(c: dict[str, Any]) -> str:
        if c["n"] == 0:
            return f"{'-':>11}"
        p = "-" if c["precision"] is None else f"{c['precision']:.2f}"
        r = "-" if c["recall"] is None else f"{c['recall']:.2f}"
        return f"{p:>5} {r:>5}"

    def para(s: dict[str, Any], label: str) -> str:
        v = s[label]["by_kind"].get("paraphrased")
        return f"{v['hit']}/{v['n']}" if v else "-"

    def clean_flagged(s: dict[str, Any], label: str) -> str:
        kinds = s[label]["by_kind"]
        hit = sum(kinds[k]["hit"] for k in ("hard_clean", "clean") if k in kinds)
        n = sum(kinds[k]["n"] for k in ("hard_clean", "clean") if k in kinds)
        return f"{hit}/{n}" if n else "-"

    head = (
        f"{'set':<10}{'n':>4}  {'rules P/R':>11}  {'judge P/R':>11}  {'both P/R':>11}  "
        f"{'para R rules/judge/both':>23}  {'(hard)clean flagged r/j/b':>25}  {'err':>3}  "
        f"{'drop q/c/a':>10}  {'s/text':>6}"
    )
    lines = [head, "-" * len(head)]
    for name, s in [*sets.items(), ("overall", overall)]:
        j = s["judge"]
        d = j["dropped"]
        lines.append(
            f"{name:<10}{s['sample']:>4}  {pr(s['rules alone']['text'])}  "
            f"{pr(s['judge alone']['text'])}  {pr(s['rules + judge']['text'])}  "
            f"{' '.join(para(s, label) for label, _ in READERS):>23}  "
            f"{' '.join(clean_flagged(s, label) for label, _ in READERS):>25}  "
            f"{j['errors']:>3}  "
            f"{d['quote_not_in_text']:>3}/{d['unknown_category']}/{d['already_found']:<3}  "
            f"{_num(j['latency_s_per_text'], '.1f'):>6}"
        )
    return "\n".join(lines)


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--judge-backend", default="openai", help="profile name or 'openai'")
    parser.add_argument("--judge-model", help="the judge's model")
    parser.add_argument("--judge-base-url", help="the judge's OpenAI-compatible server")
    parser.add_argument("--config", help="copygen config file (default: as copygen finds it)")
    parser.add_argument(
        "--sets",
        help="data sets to judge: NAME[:N],... (names or patterns; N: its sample; default all)",
    )
    parser.add_argument(
        "--batch", action="append", default=[], type=Path, help="also this held-out JSONL"
    )
    parser.add_argument("--limit", type=int, help="a stratified sample of N texts per set")
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed (default 0)")
    parser.add_argument("--concurrency", type=int, default=1, help="requests at once (1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per request")
    parser.add_argument(
        "--max-retries", type=int, default=1, help="retries of a failed request (1)"
    )
    parser.add_argument("--max-tokens", type=int, help="the judge's max_tokens (config: 600)")
    parser.add_argument(
        "--response-format",
        choices=("auto", "json_schema", "json_object", "none"),
        help="what the judge's reply is constrained to (default auto: the judge's schema "
        "where the server takes one)",
    )
    parser.add_argument("--price-input", type=float, help="price per million prompt tokens")
    parser.add_argument("--price-output", type=float, help="price per million reply tokens")
    parser.add_argument("--currency", default="", help="printed after a cost (e.g. USD)")
    parser.add_argument("--cache", action="store_true", help="reuse cached judge replies")
    parser.add_argument("--show", type=int, default=3, help="example replies per set (3)")
    parser.add_argument("--json", type=Path, help="write the numbers (and every reply) here")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def write_json(path: Path | None, document: dict[str, Any]) -> None:
    if path is None:
        return
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def show_examples(records: Sequence[TextRecord], count: int) -> None:
    """A few replies: the judge's misses and false alarms first, then the rest."""
    if count <= 0:
        return
    wrong = [r for r in records if r.judge_flagged != bool(r.expected)]
    right = [r for r in records if r not in wrong]
    for r in [*wrong, *right][:count]:
        want = ",".join(r.expected) or "clean"
        reply = (r.reply or f"(no reply: {r.error})").replace("\n", " ")
        print(f"    [{r.kind or want}] {r.text[:70]!r} expected={want}")
        print(f"      reply: {reply[:300]}")
        if r.added or r.dropped:
            added = "; ".join(f"{a['category']}:{a['quote']}" for a in r.added) or "-"
            print(f"      findings: {added}  dropped: {r.dropped or '-'}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    q = _quality_module()
    from copygen.config import redact_url
    from copygen.errors import CopygenError

    sets = available_sets(q, args.batch)
    chosen = chosen_sets(sets, args.sets, [str(p) for p in args.batch], args.limit)
    try:
        bench = Bench(args, q)
    except CopygenError as exc:
        sys.exit(f"judge_quality: {exc}")
    samples = {s.name: stratified_sample(s.cases, n, args.seed, s.name) for s, n in chosen}
    bench.total = sum(len(v) for v in samples.values())
    js = bench.judge_settings
    price = bench.price
    currency = args.currency or (price.currency if price is not None else "")
    header = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "model": bench.judge.model,
        "base_url": redact_url(js.base_url),
        "backend": js.backend,
        "commit": _commit(),
        "rules_hash": bench.checker.rules_hash,
        "limit": args.limit,
        "seed": args.seed,
        "concurrency": js.concurrency,
        "timeout": js.timeout,
        "max_retries": js.max_retries,
        "max_tokens": js.max_tokens,
        "response_format": js.response_format,
        "price_per_million": (
            {"input": price.input, "output": price.output, "currency": currency}
            if price is not None
            else None
        ),
        "sets": {name: len(cases) for name, cases in samples.items()},
    }
    print(
        f"judge quality — model {header['model']} at {header['base_url']} ({js.backend}), "
        f"{header['date']}, commit {header['commit']}, rules {header['rules_hash']}"
    )
    print(
        f"  sample (stratified, seed {args.seed}): {bench.total} texts in {len(samples)} "
        "sets ("
        + ", ".join(f"{s.name} {len(samples[s.name])} of {len(s.cases)}" for s, _ in chosen)
        + f"); concurrency "
        f"{js.concurrency}, timeout {js.timeout:g} s, retries {js.max_retries}, max_tokens "
        f"{js.max_tokens}, response_format {js.response_format}; price "
        + (
            f"{price.input}/{price.output} {currency} per million tokens in/out"
            if price is not None
            else "unknown"
        )
    )
    print(
        "  flagged = a block or warn finding of a content category (as the rules' report); "
        "P/R at text level",
        flush=True,
    )
    document: dict[str, Any] = {"header": header, "sets": {}, "overall": None, "texts": []}
    results: dict[str, dict[str, Any]] = {}
    all_records: list[TextRecord] = []
    started = time.perf_counter()

    async def run() -> None:
        try:
            for dataset, _ in chosen:
                records = await bench.judge_set(dataset, samples[dataset.name])
                all_records.extend(records)
                results[dataset.name] = summarise(q, records, dataset.cases, bench.checker)
                print()
                print(format_summary(f"{dataset.name}", results[dataset.name], currency))
                show_examples(records, args.show)
                document["sets"] = results
                document["texts"] = [vars(r) for r in all_records]
                document["wall_s"] = round(time.perf_counter() - started, 1)
                write_json(args.json, document)
                sys.stdout.flush()
        finally:
            await bench.close()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        print("\ninterrupted: the numbers below cover the sets finished so far")
    wall = time.perf_counter() - started
    if not all_records:
        return 1
    overall = summarise(q, all_records)
    print()
    print(format_summary(f"overall (all sets, {len(results)} of them)", overall, currency))
    print()
    print(summary_table(results, overall))
    print(
        "  para R: recall on paraphrased texts, hits/n; (hard)clean flagged: hard_clean + clean "
        "texts flagged, hits/n; drop q/c/a: quote not in text / unknown category / already "
        "found (rules or the reply itself); s/text: judge latency per text"
    )
    per_text = wall / len(all_records)
    print(f"wall time {wall:.0f} s for {len(all_records)} texts ({per_text:.1f} s/text)")
    document["overall"] = overall
    document["wall_s"] = round(wall, 1)
    write_json(args.json, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
