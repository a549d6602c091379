"""Quality of the built-in rules on shared real-world data.

    python bench/check_quality.py [--show]

1. ../shared/data/cn_labelled_adcopy_testcases.jsonl (texts labelled violating /
   compliant): text-level precision and recall, where "flagged" means status
   blocked or review; cases labelled null (context-dependent) are listed apart.
2. ../shared/data/advertisegen_sample.jsonl (3,000 human-written clothing ads,
   mostly fine): the share of texts the checker blocks, and the rules that block
   most often (``--show`` prints the blocked texts).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
LABELLED = DATA / "cn_labelled_adcopy_testcases.jsonl"
ADGEN = DATA / "advertisegen_sample.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print misclassified/blocked texts")
    args = parser.parse_args()
    missing = [p for p in (LABELLED, ADGEN) if not p.is_file()]
    if missing:
        sys.exit(f"bench data not found: {', '.join(map(str, missing))} (expected {DATA})")
    sys.path.insert(0, str(REPO))
    from copygen.compliance.engine import Checker

    checker = Checker()
    rows = [json.loads(line) for line in LABELLED.read_text("utf-8").splitlines() if line]
    tp = fp = fn = tn = 0
    for row in rows:
        result = checker.check(row["text"], lang="zh")
        flagged = result.status != "pass"
        expected = row["expected_violation"]
        rules = sorted({f.rule for f in result.findings})
        if expected is None:
            print(f"  context  {result.status:<8} {row['text'][:40]}  {rules}")
            continue
        tp += flagged and expected
        fp += flagged and not expected
        fn += (not flagged) and expected
        tn += (not flagged) and not expected
        if args.show and flagged != expected:
            kind = "FP" if flagged else "FN"
            print(f"  {kind}       {result.status:<8} {row['text'][:60]}  {rules}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(
        f"labelled cases: {tp + fp + fn + tn}  precision {precision:.2f}  recall {recall:.2f}  "
        f"(tp {tp}, fp {fp}, fn {fn}, tn {tn})"
    )

    texts = [json.loads(line)["summary"] for line in ADGEN.read_text("utf-8").splitlines() if line]
    blocked = review = 0
    by_rule: collections.Counter[str] = collections.Counter()
    for text in texts:
        result = checker.check(text, lang="zh", category="apparel")
        if result.status == "blocked":
            blocked += 1
            by_rule.update({f.rule for f in result.findings if f.severity == "block"})
            if args.show:
                shown = [(f.rule, f.text) for f in result.findings if f.severity == "block"]
                print(f"  blocked  {text[:70]}  {shown}")
        elif result.status == "review":
            review += 1
    print(
        f"AdvertiseGen: {len(texts)} texts, blocked {blocked} ({blocked / len(texts):.1%}), "
        f"review {review} ({review / len(texts):.1%})"
    )
    for rule, count in by_rule.most_common(8):
        print(f"  {count:4d}  {rule}")


if __name__ == "__main__":
    main()
