"""A vendor POC on the example products: ``copygen compare`` over two model servers.

Run from the repository root to rebuild the README screenshot (needs chromium)::

    .venv/bin/python docs/compare_demo.py            # writes docs/compare.png
    .venv/bin/python docs/compare_demo.py --keep out/poc   # also keeps the compare folder

Both "vendors" are copygen's fake OpenAI-compatible server on 127.0.0.1, driven through
the real ``openai`` client: ``vendor-a`` answers fast and makes the slips of
``docs/report_demo.py`` (one repair round fixes most of them), ``vendor-b`` is slower,
clean and dearer. Prices are made up for the demo.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PRODUCTS = REPO / "examples" / "products.csv"


def _report_demo() -> Any:
    spec = importlib.util.spec_from_file_location("report_demo", REPO / "docs" / "report_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(outdir: Path) -> dict[str, Any]:
    from typer.testing import CliRunner

    from copygen.cli.main import app
    from copygen.testing.fake_openai import FakeOpenAIServer, default_responder

    demo = _report_demo()

    def careful(request: dict[str, Any]) -> str:
        fields = json.loads(demo.demo_responder(request))
        for name, text in demo.SLIPS.values():
            value = fields.get(name)
            if isinstance(value, list):
                fields[name] = [v for v in value if v != text]
            elif isinstance(value, str):
                fields[name] = value.replace(text, "")
        return json.dumps(fields, ensure_ascii=False) if fields else default_responder(request)

    outdir.mkdir(parents=True, exist_ok=True)
    with (
        FakeOpenAIServer(responder=demo.demo_responder, latency=0.4) as fast,
        FakeOpenAIServer(responder=careful, latency=1.1) as slow,
    ):
        (outdir / "copygen.yaml").write_text(
            "backends:\n"
            f"  vendor-a: {{type: openai, base_url: {fast.url}, model: chat-lite}}\n"
            f"  vendor-b: {{type: openai, base_url: {slow.url}, model: chat-pro}}\n"
            "cache: false\n"
            "prices:\n"
            "  chat-lite: {input: 1.0, output: 2.0, currency: CNY}\n"
            "  chat-pro: {input: 4.0, output: 12.0, currency: CNY}\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(
            app,
            [
                "--config",
                str(outdir / "copygen.yaml"),
                "compare",
                str(PRODUCTS),
                "--backends",
                "vendor-a,vendor-b",
                "-o",
                str(outdir / "poc"),
                "--platforms",
                "social,detail",
                "--max-repairs",
                "0",
                "--quiet",
            ],
            env={"OPENAI_API_KEY": "sk-demo"},
        )
    if result.exit_code not in (0, 3):
        raise SystemExit(result.output)
    return {"output": result.output, "page": outdir / "poc" / "compare.html"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the compare folder here")
    parser.add_argument("--png", type=Path, default=REPO / "docs" / "compare.png")
    args = parser.parse_args(argv)
    demo = _report_demo()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp) / "demo"
        built = build(base)
        print(built["output"])
        demo.screenshot(built["page"], args.png, height=1500)
        print(f"wrote {args.png} (page: {built['page']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
