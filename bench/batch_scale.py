"""Does a batch job stay flat in memory and linear in time as it grows?

For each size (default 100,000 and 1,000,000 items; ``--quick``: 10,000 and
100,000), in child processes of their own (so ``ru_maxrss`` is that step's alone):

- ``prepare``: read the product file, plan, mask, render and write the request files;
- ``collect``: read a vLLM-style output file (written here from the request files:
  the fake server's reply for each request, no server involved) and record every
  item through generate's run: parse, check, results.jsonl, audit log, tables.

It prints each step's time and peak RSS, the time ratio per 10x items (linear: about
10) and whether every peak stays under 300 MB.

    .venv/bin/python bench/batch_scale.py              # 100k and 1M items
    .venv/bin/python bench/batch_scale.py --quick      # 10k and 100k items
    .venv/bin/python bench/batch_scale.py --sizes 20000,200000
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LIMIT_MB = 300
CLI = {
    "backend": "openai",
    "model": "bench-model",
    "base_url": "http://127.0.0.1:9/v1",
    "platforms": "social",
}


def write_products(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("sku,title,category,selling_points,price\n")
        for i in range(rows):
            handle.write(f"B-{i},保湿面霜 {i} 号,美妆,清爽不黏腻;温和配方,{99 + i % 7}\n")


def write_output(outdir: Path, output: Path) -> None:
    """A vllm run-batch output file answering every request of the job's first round."""
    from copygen.batch.state import BatchState
    from copygen.testing.fake_batches import write_vllm_output
    from copygen.testing.fake_openai import default_responder

    state = BatchState.load(outdir)
    files = (outdir / f.path for f in state.rounds[0].files)
    write_vllm_output(files, output, responder=default_responder, usage=(300, 120))


def child(step: str, folder: Path) -> dict[str, Any]:
    from copygen.batch import collect, prepare
    from copygen.config import load_settings

    settings = load_settings(cli=CLI)
    started = time.perf_counter()
    if step == "prepare":
        prepare(
            input_path=folder / "products.csv",
            outdir=folder / "out",
            settings=settings,
            fmt="vllm",
        )
    else:
        summaries = collect(
            outdir=folder / "out", settings=settings, from_file=folder / "output.jsonl"
        )
        assert summaries and summaries[0].items > 0
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "maxrss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which starts afresh at exec (``ru_maxrss`` keeps
    the forking parent's high-water mark across exec on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(step: str, folder: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, "--dir", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def show(size: int, step: str, r: dict[str, Any]) -> None:
    print(
        f"{size:>9,} items  {step:<8} {r['seconds']:8.1f} s  "
        f"{size / r['seconds']:8.0f} items/s  peak RSS {r['maxrss_mb']:6.0f} MB",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", default=None, help="comma list of item counts")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.dir))))
        return 0
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    # Build the rules cache first (after an install or a rule change it is built once,
    # about 200 MB and 3 s), so that the first size measures a job, not the cache.
    subprocess.run(
        [sys.executable, "-c", "from copygen.compliance.engine import Checker; Checker()"],
        check=True,
    )
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="copygen-batch-bench-") as tmp:
            folder = Path(tmp)
            write_products(folder / "products.csv", size)
            results[size] = {"prepare": run_child("prepare", folder)}
            show(size, "prepare", results[size]["prepare"])
            write_output(folder / "out", folder / "output.jsonl")
            results[size]["collect"] = run_child("collect", folder)
            show(size, "collect", results[size]["collect"])
    ok = True
    for step in ("prepare", "collect"):
        peaks = [results[s][step]["maxrss_mb"] for s in sizes]
        flat = max(peaks) < LIMIT_MB
        ok = ok and flat
        print(
            f"{step}: peak RSS {' -> '.join(f'{p:.0f}' for p in peaks)} MB "
            f"({'under' if flat else 'OVER'} {LIMIT_MB} MB)"
        )
        for a, b in itertools.pairwise(sizes):
            ratio = results[b][step]["seconds"] / results[a][step]["seconds"]
            per_10x = ratio ** (1 / max(1e-9, math.log10(b / a)))
            print(
                f"{step}: time x{ratio:.1f} for x{b / a:.0f} items ({per_10x:.1f} per 10x; "
                "linear: 10)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
