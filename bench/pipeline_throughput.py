"""How much does the generate pipeline cost on top of the bare OpenAI client?

Runs, in one go and on this machine:

(a) the ideal: items x latency / concurrency;
(b) a bare loop of ``AsyncOpenAI`` chat calls under an asyncio semaphore, nothing
    else, as a user would write it: the client's defaults (httpx) on asyncio's
    default event loop;
(b') the same loop on the HTTP client copygen's backend uses (``capped_http_client``:
    the SDK's aiohttp transport where installed, copygen's TLS context and reply cap;
    asyncio's default loop, as copygen's), so that b'/b shows how much of any gain is
    the transport's and c/b' how much is the pipeline's;
(c) ``copygen.generate.run.generate`` (library call, cache off, fresh output folder):
    render, mask, call, parse, check, audit log, results.jsonl/csv;

all against the local fake OpenAI server in a subprocess (fixed latency per reply).
It prints c's throughput as a share of b's (aim >= 1.0: generate at least as fast
as the bare loop) and of a, the CPU time per item of (b), (b') and (c) (c's process
CPU minus b's is the pipeline's), and the peak memory of an offline run over many
rows (in a child process, so ``ru_maxrss`` is that run's alone; aim: flat and under
200 MB).

    .venv/bin/python bench/pipeline_throughput.py               # full: 1,000 items, 100,000 rows
    .venv/bin/python bench/pipeline_throughput.py --quick       # 300 items, 10,000 rows
    .venv/bin/python bench/pipeline_throughput.py --memory-rows 0   # skip the memory run
    .venv/bin/python bench/pipeline_throughput.py --rounds 3    # (b), (b'), (c) in turn, medians
    .venv/bin/python bench/pipeline_throughput.py --workers 1   # render/check in 1 process

``COPYGEN_HTTP_TRANSPORT=httpx`` in the environment runs (b') and (c) on httpx
instead. On a shared machine single runs vary by 10-20%;
``--rounds N`` runs (b), (b') and (c) in turn N times and reports each one's median
(and the spread of c/b).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PLATFORMS = ("livestream", "social", "detail")
CATEGORIES = (
    ("美妆", "保湿精华液 30ml", "含透明质酸钠；质地清爽；无香精", "容量:30ml; 保质期:3年"),
    ("食品", "高山绿茶 250g", "明前采摘；回甘清爽；独立小袋", "净含量:250g; 产地:浙江"),
    ("服饰", "纯棉圆领T恤", "100%纯棉；宽松版型；多色可选", "面料:纯棉; 尺码:S-XXL"),
    ("数码", "无线蓝牙耳机", "蓝牙5.3；续航30小时；轻巧佩戴", "续航:30小时; 重量:4.5g"),
    ("家居", "记忆棉枕头", "慢回弹记忆棉；可拆洗枕套；透气", "尺寸:60x40cm; 材质:记忆棉"),
)


def write_products(path: Path, rows: int, *, platforms_column: bool) -> None:
    """A synthetic product file; with ``platforms_column`` each row names one platform."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "sku",
                "title",
                "category",
                "brand",
                "selling_points",
                "attributes",
                "price",
                "promo_price",
                "platforms",
            ]
        )
        for n in range(rows):
            category, title, points, attributes = CATEGORIES[n % len(CATEGORIES)]
            platform = PLATFORMS[n % len(PLATFORMS)] if platforms_column else ""
            writer.writerow(
                [
                    f"SKU-{n:06d}",
                    f"{title} {n}",
                    category,
                    "样例品牌",
                    points,
                    attributes,
                    str(99 + n % 50),
                    str(79 + n % 40),
                    platform,
                ]
            )


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copygen.testing.fake_openai",
            "--port",
            "0",
            "--latency",
            str(latency),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"fake server did not start: {url!r}")
    return proc, url


def rendered_messages(products: Path, settings: Any) -> list[list[dict[str, str]]]:
    """The prompts copygen would send (rendered up front, outside any timing)."""
    from copygen.generate.plan import iter_work
    from copygen.writing.prompts import PromptBuilder

    builder = PromptBuilder(settings=settings)
    out = []
    for work in iter_work(products, settings, on_warning=None):
        rendered = builder.render(
            work.product, platform=work.platform, lang=work.lang, variant=work.variant
        )
        out.append(rendered.messages)
    return out


async def bare_loop(
    url: str,
    prompts: list[list[dict[str, str]]],
    concurrency: int,
    *,
    copygen_transport: bool = False,
) -> float:
    """(b): AsyncOpenAI calls under a semaphore, nothing else. Returns seconds.

    ``copygen_transport``: (b') the same loop on the HTTP client copygen builds for
    its backend (``capped_http_client``: its transport, TLS context and reply cap).
    """
    from openai import AsyncOpenAI

    http_client = None
    if copygen_transport:
        from copygen.backends.http_limits import capped_http_client

        http_client = capped_http_client(max_reply_bytes=1 << 20, timeout=60)
    client = AsyncOpenAI(
        base_url=url, api_key="bench", max_retries=0, timeout=60, http_client=http_client
    )
    slots = asyncio.Semaphore(concurrency)

    async def one(messages: list[dict[str, str]]) -> None:
        async with slots:
            # Plain role/content dicts are what the client sends; its TypedDicts
            # do not accept them by type.
            response = await client.chat.completions.create(  # type: ignore[call-overload]
                model="fake-model",
                messages=messages,
                temperature=0.8,
                max_tokens=1200,
                response_format={"type": "json_object"},
            )
            assert response.choices[0].message.content

    started = time.perf_counter()
    await asyncio.gather(*(one(m) for m in prompts))
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


def copygen_transport() -> str:
    """The HTTP transport copygen's backend runs on here (aiohttp or httpx)."""
    from copygen.backends.transport import choose_transport

    return str(choose_transport())


def run_generate(
    products: Path, outdir: Path, settings: Any, workers: int | None = None
) -> tuple[float, float, Any]:
    """(wall seconds, process CPU seconds, summary) of one library generate call."""
    from copygen.generate.run import generate

    cpu = time.process_time()
    started = time.perf_counter()
    summary = generate(input_path=products, outdir=outdir, settings=settings, workers=workers)
    return time.perf_counter() - started, time.process_time() - cpu, summary


def memory_child(products: str, outdir: str) -> None:
    """Run offline generate over ``products`` and print JSON numbers (a child process)."""
    from copygen.config import load_settings
    from copygen.generate.run import generate

    settings = load_settings(cli={"backend": "offline", "platforms": "social"})
    cpu = time.process_time()
    started = time.perf_counter()
    summary = generate(input_path=products, outdir=outdir, settings=settings)
    print(
        json.dumps(
            {
                "items": summary.items,
                "pass": summary.count("pass"),
                "wall_s": time.perf_counter() - started,
                "cpu_s": time.process_time() - cpu,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def offline_run(rows: int, tmp: Path) -> dict[str, Any]:
    products = tmp / f"offline_{rows}.csv"
    write_products(products, rows, platforms_column=False)
    outdir = tmp / f"offline_out_{rows}"
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(products), str(outdir)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"offline run failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--memory-rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="300 items, 10,000 rows")
    parser.add_argument(
        "--workers", type=int, default=None, help="render/check processes (default: auto)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run (b) and (c) alternately N times (medians)"
    )
    parser.add_argument("--memory-child", nargs=2, metavar=("PRODUCTS", "OUTDIR"))
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    if args.quick:
        args.items = min(args.items, 300)
        args.memory_rows = min(args.memory_rows, 10_000)

    os.environ.setdefault("OPENAI_API_KEY", "bench-key-not-secret")
    from copygen.config import load_settings

    with tempfile.TemporaryDirectory(prefix="copygen-bench-") as tmpname:
        tmp = Path(tmpname)
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
        products = tmp / "products.csv"
        write_products(products, args.items, platforms_column=True)
        server, url = start_server(args.latency)
        try:
            settings = load_settings(
                cli={
                    "backend": "openai",
                    "model": "fake-model",
                    "base_url": url,
                    "concurrency": args.concurrency,
                    "cache": False,
                }
            )
            prompts = rendered_messages(products, settings)
            assert len(prompts) == args.items, len(prompts)
            # Warm every path once (imports, rule loading, jieba's dictionary) so that
            # no measurement pays one-time start-up costs the others do not.
            asyncio.run(bare_loop(url, prompts[:8], 8))
            asyncio.run(bare_loop(url, prompts[:8], 8, copygen_transport=True))
            warm = tmp / "warm.csv"
            write_products(warm, 3, platforms_column=True)
            run_generate(warm, tmp / "warm_out", settings, args.workers)

            ideal = args.items * args.latency / args.concurrency
            # Per round: (b), (b'), (c), each as (wall s, process CPU s).
            rounds: list[tuple[float, float, float, float, float, float]] = []
            for number in range(max(1, args.rounds)):
                cpu0 = time.process_time()
                bare_n = asyncio.run(bare_loop(url, prompts, args.concurrency))
                bare_cpu_n = time.process_time() - cpu0
                cpu0 = time.process_time()
                same_n = asyncio.run(
                    bare_loop(url, prompts, args.concurrency, copygen_transport=True)
                )
                same_cpu_n = time.process_time() - cpu0
                wall_n, cpu_n, summary = run_generate(
                    products, tmp / f"out{number}", settings, args.workers
                )
                rounds.append((bare_n, bare_cpu_n, same_n, same_cpu_n, wall_n, cpu_n))
                if summary.count("pass") != args.items:
                    break
        finally:
            server.terminate()
            server.wait(10)
        if summary.count("pass") != args.items:
            print(f"warning: {summary.counts} (expected {args.items} passes)")

        bare, bare_cpu, same, same_cpu, wall, cpu = (
            statistics.median(r[i] for r in rounds) for i in range(6)
        )
        per_item = 1000 / args.items  # seconds per run -> ms per item
        print(
            f"items {args.items}, latency {args.latency * 1000:.0f} ms, "
            f"concurrency {args.concurrency}, {os.cpu_count()} CPUs"
            + (f", median of {len(rounds)} rounds" if len(rounds) > 1 else "")
        )
        print(f"(a) ideal                 {ideal:7.2f} s   {args.items / ideal:7.1f} items/s")
        print(
            f"(b) bare AsyncOpenAI loop {bare:7.2f} s   {args.items / bare:7.1f} items/s"
            f"   (b/a = {ideal / bare:.2f})"
        )
        print(
            f"(b') same on {copygen_transport():<8}    {same:7.2f} s   "
            f"{args.items / same:7.1f} items/s   "
            f"(b'/b = {bare / same:.2f}: copygen's HTTP client alone)"
        )
        print(f"(c) copygen generate      {wall:7.2f} s   {args.items / wall:7.1f} items/s")
        print(f"    c/b = {bare / wall:.2f}   (aim >= 1.0)   c/b' = {same / wall:.2f}")
        if len(rounds) > 1:
            ratios = ", ".join(f"{r[0] / r[4]:.2f}" for r in rounds)
            print(f"    c/b per round: {ratios}")
        print(f"    c/a = {ideal / wall:.2f}")
        print(
            f"    CPU per item: bare client {bare_cpu * per_item:.2f} ms, "
            f"generate {cpu * per_item:.2f} ms, "
            f"pipeline overhead (render+check+log+parse) "
            f"{(cpu - bare_cpu) * per_item:.2f} ms"
        )
        print(
            f"    CPU per item (b') bare client on copygen's transport {same_cpu * per_item:.2f} ms"
            + (
                f"; generate's render/check workers not counted ({args.workers})"
                if args.workers
                else ""
            )
        )

        if args.memory_rows:
            small_rows = max(1000, args.memory_rows // 10)
            small = offline_run(small_rows, tmp)
            big = offline_run(args.memory_rows, tmp)
            print("offline run, social only (one item per row):")
            for rows, result in ((small_rows, small), (args.memory_rows, big)):
                print(
                    f"    {rows:>7} rows: {result['wall_s']:6.1f} s, "
                    f"CPU {result['cpu_s'] / max(1, result['items']) * 1000:.2f} ms/item, "
                    f"peak RSS {result['maxrss_mb']:.0f} MB, "
                    f"{result['pass']}/{result['items']} pass"
                )
            growth = big["maxrss_mb"] - small["maxrss_mb"]
            print(
                f"    peak RSS growth for {args.memory_rows - small_rows} more rows: "
                f"{growth:+.0f} MB (aim: flat, under 200 MB)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
