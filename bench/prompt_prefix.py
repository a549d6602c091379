"""How much of a prompt is a prefix shared with the previous prompt of its kind?

Prefix caching (vLLM, llama.cpp, SGLang) and providers' cached-input prices apply
only to an identical prefix of the whole message list, system message first. This
renders every row x platform x variant of a product file with
``copygen.writing.prompts.PromptBuilder`` (no network, no model), groups the prompts
by platform x language x category, and for each prompt after the first in its
group measures the common prefix with the one before it (file order, then
variant), in characters, over the prompt's own length.

    .venv/bin/python bench/prompt_prefix.py                        # examples/products.csv
    .venv/bin/python bench/prompt_prefix.py --input products.xlsx --variants 2
    mkdir -p /tmp/tpl_before && for f in $(git ls-tree --name-only HEAD templates/ | grep j2$); do
        git show HEAD:$f > /tmp/tpl_before/$(basename $f); done
    .venv/bin/python bench/prompt_prefix.py --baseline-templates /tmp/tpl_before

It prints the mean and minimum share per platform and overall (aim: mean >= 0.70),
and the same for the pairs whose rows differ (same-row variants also share the
product data). With ``--baseline-templates DIR`` the templates in DIR are measured
too and the after/before ratio is printed. The messages are joined as
``<role>\\n<content>\\n``, roughly what a chat template makes of them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PLATFORMS = ("livestream", "social", "detail")
AIM = 0.70


@dataclass(frozen=True)
class Pair:
    platform: str
    lang: str
    category: str
    share: float  # common prefix / this prompt's length
    prefix: int  # characters
    length: int  # characters of this prompt
    same_row: bool


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of two strings, in characters."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def joined(messages: Iterable[dict[str, str]]) -> str:
    return "".join(f"{m['role']}\n{m['content']}\n" for m in messages)


def measure(input_path: Path, *, templates: Path | None, variants: int) -> tuple[list[Pair], int]:
    """The pairs of consecutive prompts of each group, and how many prompts there were."""
    from copygen.config import Settings
    from copygen.generate.plan import iter_work
    from copygen.writing.prompts import PromptBuilder

    settings = Settings(platforms=PLATFORMS, variants=variants, templates=templates)
    builder = PromptBuilder(settings=settings)
    previous: dict[tuple[str, str, str], tuple[str, int | None]] = {}
    pairs: list[Pair] = []
    count = 0
    for work in iter_work(input_path, settings, on_warning=None):
        product = work.product
        rendered = builder.render(
            product, platform=work.platform, lang=work.lang, variant=work.variant
        )
        text = joined(rendered.messages)
        count += 1
        key = (work.platform, work.lang, product.category)
        before = previous.get(key)
        previous[key] = (text, product.row)
        if before is None:
            continue
        prefix = common_prefix(before[0], text)
        pairs.append(
            Pair(
                platform=work.platform,
                lang=work.lang,
                category=product.category,
                share=prefix / len(text),
                prefix=prefix,
                length=len(text),
                same_row=before[1] == product.row,
            )
        )
    return pairs, count


@dataclass(frozen=True)
class Stats:
    pairs: int
    mean: float
    low: float
    cross_mean: float | None  # pairs whose rows differ
    cross_low: float | None
    prefix: float  # mean characters
    length: float


def stats(pairs: list[Pair]) -> Stats:
    cross = [p.share for p in pairs if not p.same_row]
    return Stats(
        pairs=len(pairs),
        mean=statistics.fmean(p.share for p in pairs),
        low=min(p.share for p in pairs),
        cross_mean=statistics.fmean(cross) if cross else None,
        cross_low=min(cross) if cross else None,
        prefix=statistics.fmean(p.prefix for p in pairs),
        length=statistics.fmean(p.length for p in pairs),
    )


def table(title: str, pairs: list[Pair]) -> dict[str, Stats]:
    rows: dict[str, Stats] = {}
    for platform in PLATFORMS:
        mine = [p for p in pairs if p.platform == platform]
        if mine:
            rows[platform] = stats(mine)
    if pairs:
        rows["overall"] = stats(pairs)
    groups = len({(p.platform, p.lang, p.category) for p in pairs})
    print(f"{title}  ({groups} groups with 2+ prompts)")
    print(
        f"  {'':<11} {'pairs':>5}  {'mean':>6}  {'min':>6}   {'across rows':>17}"
        f"   {'shared/prompt chars':>19}"
    )

    def pct(value: float | None) -> str:
        return "     -" if value is None else f"{value:6.1%}"

    for name, s in rows.items():
        print(
            f"  {name:<11} {s.pairs:>5}  {s.mean:6.1%}  {s.low:6.1%}   "
            f"{pct(s.cross_mean)} / {pct(s.cross_low)}   {s.prefix:8.0f} / {s.length:<8.0f}"
        )
    print("  (across rows: mean / min over pairs of different rows)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=REPO / "examples" / "products.csv")
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument(
        "--templates", type=Path, default=None, help="custom templates (default: built-in)"
    )
    parser.add_argument(
        "--baseline-templates",
        type=Path,
        default=None,
        metavar="DIR",
        help="templates to compare with, e.g. the ones at git HEAD",
    )
    args = parser.parse_args()

    after, prompts = measure(args.input, templates=args.templates, variants=args.variants)
    if not after:
        raise SystemExit("no group has two prompts: nothing to compare")
    print(
        f"input {args.input}: {prompts} prompts"
        f" ({', '.join(PLATFORMS)} x variants {args.variants}),"
        " grouped by platform x language x category"
    )
    print()
    now = table(f"templates: {args.templates or 'built-in'}", after)
    overall = now["overall"]
    if args.baseline_templates is not None:
        print()
        before = table(
            f"baseline: {args.baseline_templates}",
            measure(args.input, templates=args.baseline_templates, variants=args.variants)[0],
        )
        print()
        print("after / before (mean shared-prefix share):")
        for name, s in now.items():
            old = before.get(name)
            if old is not None and old.mean > 0:
                print(
                    f"  {name:<11} {old.mean:6.1%} -> {s.mean:6.1%}   = {s.mean / old.mean:.2f}x"
                    f"   (shared chars {old.prefix:.0f} -> {s.prefix:.0f})"
                )
    print()
    verdict = "ok" if overall.mean >= AIM and all(s.mean >= AIM for s in now.values()) else "BELOW"
    print(
        f"mean shared-prefix share {overall.mean:.1%}  (aim >= {AIM:.0%} per platform): {verdict}"
    )


if __name__ == "__main__":
    main()
