"""``copygen report OUTDIR -o report.html``: the batch at a glance, as one HTML file."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import audit_key_file_option


def report(
    ctx: typer.Context,
    outdir: Path = typer.Argument(..., help="Output folder of 'copygen generate'."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="HTML file to write (default: OUTDIR/report.html)."
    ),
    title: str | None = typer.Option(None, "--title", help="Title shown at the top."),
    audit: Path | None = typer.Option(
        None, "--audit", help="Audit log to verify for the header (default: the folder's)."
    ),
    audit_key_file: Path | None = audit_key_file_option(),
    config: str | None = typer.Option(None, "--config", help="Config file."),
) -> None:
    """Write a self-contained HTML report: pass rate, counts, cost, latency, flagged items.

    Every record is checked against the audit log first: exit 4 when the log
    contradicts one (results.jsonl edited by hand).
    """
    from copygen.cli.common import settings_from
    from copygen.review.report import write_report

    settings = settings_from(
        ctx,
        config=config,
        audit_key_file=str(audit_key_file) if audit_key_file is not None else None,
    )
    target = output if output is not None else outdir / "report.html"
    data = write_report(
        outdir=outdir, output=target, title=title, audit_path=audit, settings=settings
    )
    rate = "-" if data.pass_rate is None else f"{data.pass_rate:.1%}"
    typer.echo(
        f"wrote {target}: {data.total} items, pass rate (文案合格率) {rate}, "
        f"{len(data.flagged)} flagged, {len(data.errors)} errors"
    )
    if data.audit is None:
        typer.echo(
            "copygen: warning: no audit log found: the records cannot be proven "
            "(pass --audit if generate wrote it elsewhere)",
            err=True,
        )
    elif data.audit.get("unproven"):
        typer.echo(f"copygen: warning: {data.audit['unproven']}", err=True)
    if data.audit is not None and not data.audit["ok"]:
        typer.echo(
            f"warning: the audit log {data.audit['path']} fails verification at line "
            f"{data.audit['line']}: {data.audit['reason']} (run 'copygen audit verify')",
            err=True,
        )


def register(app: typer.Typer) -> None:
    app.command("report")(report)
