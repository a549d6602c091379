"""The review desk of ``copygen serve`` in a real browser, for the README screenshot.

Run from the repository root (needs chromium and playwright, from the test extra)::

    .venv/bin/python docs/serve_demo.py                  # writes docs/serve.png
    .venv/bin/python docs/serve_demo.py --keep out/desk  # also keeps the output folder

The output folder is generated as ``docs/report_demo.py`` generates it: the real
pipeline against copygen's fake OpenAI-compatible server, whose model slips on some
products, with repairs off; nobody has decided anything yet. The desk is served on a
free loopback port and opened in Debian's chromium through Playwright (no browser
download); the picture shows a blocked item selected. ``tests/test_serve_browser.py``
takes the same picture of its own folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: The item the README's picture shows: a detail page with a superlative in its headline.
SHOWN = "BT-001:detail:zh:v1"


def _report_demo() -> Any:
    spec = importlib.util.spec_from_file_location("report_demo", REPO / "docs" / "report_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(outdir: Path) -> Path:
    """Generate the example products into ``outdir/run``, flagged items left for review."""
    from copygen.generate.run import generate
    from copygen.testing.fake_openai import FakeOpenAIServer

    demo = _report_demo()
    work = outdir / "_config"
    work.mkdir(parents=True, exist_ok=True)
    with FakeOpenAIServer(responder=demo.demo_responder) as server:
        settings = demo._settings(work, server.url)
        generate(input_path=demo.PRODUCTS, outdir=outdir / "run", settings=settings)
    return outdir / "run"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(
    run: Path,
    png: Path,
    *,
    item: str | None = None,
    reviewer: str = "王敏",
    width: int = 1280,
    height: int = 860,
    browser: Any = None,
) -> None:
    """Serve ``run``, open the desk as ``reviewer``, select ``item`` (default: the first
    blocked one) and save the page to ``png``. ``browser``: a Playwright browser to use
    (a test's); else Debian's chromium is started for it."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        binary = chromium()
        if binary is None:
            raise SystemExit("chromium not found (apt-get install chromium fonts-noto-cjk)")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=binary)
            try:
                screenshot(
                    run,
                    png,
                    item=item,
                    reviewer=reviewer,
                    width=width,
                    height=height,
                    browser=launched,
                )
            finally:
                launched.close()
        return

    from copygen.config import load_settings
    from copygen.serve.desk import Desk
    from copygen.serve.server import running

    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(cli={}, cwd=Path(home), home=Path(home))
        desk = Desk.open(run, settings=settings, reviewer=reviewer)
        with running(desk) as server:
            context = browser.new_context(viewport={"width": width, "height": height})
            try:
                page = context.new_page()
                page.goto(server.page)
                page.fill("#reviewer-input", reviewer)
                page.click("#reviewer-ok")
                page.wait_for_selector("#current:not([hidden])")
                entry = f'.q-item[data-id="{item}"]' if item else '.q-item[data-status="blocked"]'
                page.click(entry)
                chosen = item or page.get_attribute(entry, "data-id")
                page.wait_for_selector(f'#current[data-id="{chosen}"]')
                page.mouse.move(0, 0)
                png.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(png))
            finally:
                context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the output folder here")
    parser.add_argument("--png", type=Path, default=REPO / "docs" / "serve.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp) / "demo"
        run = build(base)
        screenshot(run, args.png, item=SHOWN)
        print(f"wrote {args.png} (folder: {run})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
