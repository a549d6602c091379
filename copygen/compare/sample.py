"""The rows every backend of a comparison writes for: all of them, or a stratified sample.

``--sample N`` draws the same N rows for every backend, in proportion to each
category's share of the file (largest remainders; every category present gets at
least one row when N allows), chosen by a seeded generator so that the same file,
N and seed always give the same rows. The sample is written once as JSONL
(``OUTDIR/sample.jsonl``): every backend reads the identical file.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path

from copygen.config import DEFAULT_MAX_CELL_CHARS
from copygen.errors import ConfigError

__all__ = ["SAMPLE_FILE", "allocate", "write_sample"]

SAMPLE_FILE = "sample.jsonl"


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Rows per category for a sample of ``n`` (at most every category's size)."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    shares = {c: n * s / total for c, s in sizes.items()}
    out = {c: min(sizes[c], int(share)) for c, share in shares.items()}
    if n >= len(sizes):
        for c in sizes:
            out[c] = max(out[c], 1)
    # Largest remainders first; categories sorted by name to break ties the same way.
    order = sorted(sizes, key=lambda c: (-(shares[c] - int(shares[c])), c))
    while sum(out.values()) < n:
        grew = False
        for c in order:
            if sum(out.values()) >= n:
                break
            if out[c] < sizes[c]:
                out[c] += 1
                grew = True
        if not grew:
            break
    while sum(out.values()) > n:  # the minimum of one row overshot
        c = max((c for c in out if out[c] > 1), key=lambda c: (out[c] - shares[c], c))
        out[c] -= 1
    return out


def write_sample(
    input_path: Path,
    outdir: Path,
    n: int,
    *,
    seed: int,
    on_warning: Callable[[str], None] | None = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    columns: Mapping[str, str] | None = None,
) -> tuple[Path, int, dict[str, int]]:
    """Write ``n`` rows of ``input_path`` drawn by category to ``OUTDIR/sample.jsonl``;
    returns its path, the rows written and the rows per category."""
    from copygen.files.atomic import atomic_writer
    from copygen.inputs.product_files import read_products

    if n < 1:
        raise ConfigError(f"--sample must be 1 or more, got {n}")
    by_category: dict[str, list[int]] = defaultdict(list)
    for index, product in enumerate(
        read_products(
            input_path, on_warning=on_warning, max_cell_chars=max_cell_chars, columns=columns
        )
    ):
        by_category[product.category].append(index)
    counts = allocate({c: len(rows) for c, rows in by_category.items()}, n)
    rng = random.Random(seed)
    chosen: set[int] = set()
    for category in sorted(by_category):
        chosen.update(rng.sample(by_category[category], counts[category]))
    path = outdir / SAMPLE_FILE
    outdir.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "w", encoding="utf-8") as handle:
        # Read again rather than keep every row: a product file may be large.
        rows = read_products(input_path, max_cell_chars=max_cell_chars, columns=columns)
        for index, product in enumerate(rows):
            if index in chosen:
                handle.write(json.dumps(_row_of(product.to_dict()), ensure_ascii=False) + "\n")
    return path, len(chosen), {c: k for c, k in counts.items() if k}


def _row_of(data: dict[str, object]) -> dict[str, object]:
    """A product's data as a JSONL row: its other columns at the top level again."""
    extra = data.pop("extra", None)
    if isinstance(extra, dict):
        for key, value in extra.items():
            data.setdefault(str(key), value)
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}
