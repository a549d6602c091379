"""Quality of the built-in rule packs on labelled and real-world copy.

    python bench/check_quality.py [--show N] [--reference] [--batch FILE ...]

Prints:

1. the shared labelled texts (``../shared/data/cn_labelled_adcopy_testcases.jsonl``):
   text-level precision/recall (flagged = blocked or review, and blocked only) and
   per-category precision/recall, then every text it gets wrong;
2. our own realistic cases (``tests/test_rule_quality.py``: ``OWN_CASES``) and every saved
   held-out batch (``tests/data/heldout_*.jsonl``), same table; the v2 batches also by
   kind (recall of direct / paraphrased / evasion copy, the share of hard clean and
   clean copy flagged), and all of them together;
3. AdvertiseGen (``../shared/data/advertisegen_sample.jsonl``, 3,000 human-written
   clothing ads): the blocked and review rates and, per rule, how often it fires with
   up to N sample contexts (``--show N``, default 3);
4. ``--batch FILE``: a held-out file kept outside the repository (a batch nobody has
   tuned on yet), scored the same way;
5. with ``--reference``: the terms of the reference word lists in
   ``../shared/data/reference/`` that no rule flags when they appear in a plain
   sentence — a to-do list to judge by hand, not a target (many are context-dependent
   on purpose).

The scoring code and the case lists live in ``tests/test_rule_quality.py`` so that the
test suite and this report can never disagree.
"""

from __future__ import annotations

import argparse
import collections
import csv
import importlib.util
import json
import re
import sys
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
REFERENCE = DATA / "reference"


def _quality_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rule_quality", REPO / "tests" / "test_rule_quality.py"
    )
    if spec is None or spec.loader is None:
        sys.exit("tests/test_rule_quality.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules["rule_quality"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _mistakes(q: ModuleType, result: object) -> None:
    for case, status, got in result.mistakes:  # type: ignore[attr-defined]
        want = sorted(case.expected) or ["(compliant)"]
        print(f"    {status:<8} {case.text[:48]!r}  expected={want} got={sorted(got)}")


def _advertisegen(q: ModuleType, checker: object, show: int) -> None:
    if not q.ADGEN.is_file():
        print(f"AdvertiseGen: data not found ({q.ADGEN})")
        return
    texts = q.advertisegen_texts()
    statuses: collections.Counter[str] = collections.Counter()
    per_rule: collections.Counter[tuple[str, str]] = collections.Counter()
    samples: dict[str, list[str]] = collections.defaultdict(list)
    started = time.perf_counter()
    for text in texts:
        result = checker.check(text)  # type: ignore[attr-defined]
        statuses[result.status] += 1
        seen: set[str] = set()
        for f in result.findings:
            if f.rule in seen:
                continue
            seen.add(f.rule)
            per_rule[(f.rule, f.severity)] += 1
            if len(samples[f.rule]) < show:
                samples[f.rule].append(text[max(0, f.start - 8) : f.end + 8].replace("\n", " "))
    elapsed = time.perf_counter() - started
    n = len(texts)
    print(
        f"AdvertiseGen: {n} texts in {elapsed:.2f}s — blocked {statuses['blocked']} "
        f"({statuses['blocked'] / n:.2%}), review {statuses['review']} "
        f"({statuses['review'] / n:.2%}), pass {statuses['pass']} ({statuses['pass'] / n:.2%})"
    )
    print("  texts per rule (severity): sample contexts")
    for (rule, severity), count in per_rule.most_common():
        print(f"  {count:>4}  {rule} ({severity}): " + " | ".join(samples[rule]))


def _penalty_cases(checker: object) -> None:
    """Real regulator cases (SAMR penalty decisions): a case counts as caught when the
    checker flags at least one of the claims the decision quotes."""
    path = REFERENCE / "cn_penalty_cases_named_baimocn.jsonl"
    if not path.is_file():
        print(f"penalty cases: data not found ({path})")
        return
    caught, total, missed = 0, 0, []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if not row or not row.get("quoted_claims"):
            continue
        total += 1
        if any(checker.check(claim).status != "pass" for claim in row["quoted_claims"]):  # type: ignore[attr-defined]
            caught += 1
        else:
            missed.append(f"{row['section']}: {' / '.join(row['quoted_claims'])}")
    print(f"penalty cases with quoted claims: {caught} of {total} caught")
    for item in missed:
        print(f"  missed {item}")


def _reference(checker: object) -> None:
    """Reference terms no rule flags, each placed in a neutral sentence."""

    def flagged(text: str) -> bool:
        return checker.check(text).status != "pass"  # type: ignore[attr-defined]

    missing: list[str] = []
    banned = REFERENCE / "cn_adlaw_banned_words_293.jsonl"
    if banned.is_file():
        for line in banned.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                word = re.sub(r"（.*?）", "", row["word"]).replace("XX", "某")
                if not flagged(f"这款产品{word}"):
                    missing.append(f"293/{row['category']}: {word}")
    sections = REFERENCE / "cn_adlaw_banned_words_15cat.csv"
    if sections.is_file():
        with sections.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if not flagged(f"这款产品{row['word']}"):
                    missing.append(f"15cat/{row['section']}: {row['word']}")
    english = REFERENCE / "en_claim_terms.csv"
    if english.is_file():
        with english.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if not row["term"].startswith("regex") and not flagged(
                    f"Our product {row['term']} your skin"
                ):
                    missing.append(f"en/{row['category']}: {row['term']}")
    print(f"reference terms not flagged in a neutral sentence: {len(missing)}")
    for item in missing:
        print(f"  {item}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--show", type=int, default=3, help="sample contexts per rule")
    parser.add_argument(
        "--reference", action="store_true", help="list reference terms no rule flags"
    )
    parser.add_argument(
        "--batch",
        action="append",
        default=[],
        type=Path,
        help="also score this held-out JSONL file (repeatable)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    q = _quality_module()
    from copygen.compliance.engine import Checker

    checker = Checker()
    rules = [r for r in checker.ruleset.rules if r.match_examples]
    by_category = collections.Counter(r.category for r in rules)
    print(f"rule packs: {len(checker.ruleset.packs)} packs, {len(rules)} YAML rules")
    print("  " + ", ".join(f"{name} {count}" for name, count in sorted(by_category.items())))
    print()
    if q.LABELLED.is_file():
        labelled = q.score(checker, q.labelled_cases())
        print(q.format_score("shared labelled cases (53 texts, null verdicts left out)", labelled))
        _mistakes(q, labelled)
    else:
        print(f"labelled cases: data not found ({q.LABELLED})")
    print()
    own = q.score(checker, q.OWN_CASES)
    print(q.format_score(f"own realistic cases ({len(q.OWN_CASES)} texts)", own))
    _mistakes(q, own)
    for path in sorted(q.HELDOUT_DIR.glob("heldout_*.jsonl")):
        cases = q.heldout_cases(path)
        print()
        held = q.score(checker, cases)
        print(q.format_score(f"held-out batch {path.name} ({len(cases)} texts)", held))
        _mistakes(q, held)
    v2 = q.v2_cases()
    if v2:
        print()
        print(
            q.format_score(f"v2 held-out batches together ({len(v2)} texts)", q.score(checker, v2))
        )
    for path in args.batch:
        cases = q.heldout_cases(path)
        print()
        extra = q.score(checker, cases)
        print(q.format_score(f"batch {path} ({len(cases)} texts)", extra))
        _mistakes(q, extra)
    print()
    _penalty_cases(checker)
    print()
    _advertisegen(q, checker, args.show)
    if args.reference:
        print()
        _reference(checker)


if __name__ == "__main__":
    main()
