"""``copygen report OUTDIR -o report.html``: the batch at a glance, as one HTML file."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    outdir: Path = typer.Argument(..., help="Output folder of 'copygen generate'."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="HTML file to write (default: OUTDIR/report.html)."
    ),
    title: str | None = typer.Option(None, "--title", help="Title shown at the top."),
) -> None:
    """Write a self-contained HTML report: pass rate, counts, cost, latency, flagged items."""
    from copygen.report import write_report

    target = output if output is not None else outdir / "report.html"
    data = write_report(outdir=outdir, output=target, title=title)
    rate = "-" if data.pass_rate is None else f"{data.pass_rate:.1%}"
    typer.echo(
        f"wrote {target}: {data.total} items, pass rate (文案合格率) {rate}, "
        f"{len(data.flagged)} flagged, {len(data.errors)} errors"
    )


def register(app: typer.Typer) -> None:
    app.command("report")(report)
