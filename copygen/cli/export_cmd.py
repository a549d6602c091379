"""``copygen export OUTDIR --to FILE``: the publishable items, with their AI labels."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import audit_key_file_option


def export(
    ctx: typer.Context,
    outdir: Path = typer.Argument(..., help="Output folder of 'copygen generate'."),
    to: Path = typer.Option(
        ..., "--to", "-t", help="File to write: .jsonl, .csv (Excel-ready) or .xlsx."
    ),
    group_by: str | None = typer.Option(
        None,
        "--group-by",
        help="platform or sku: one sheet per group (xlsx) or one file per group (csv, jsonl).",
    ),
    audit: Path | None = typer.Option(
        None, "--audit", help="Audit log to record the export in (default: the folder's)."
    ),
    audit_key_file: Path | None = audit_key_file_option(),
    config: str | None = typer.Option(None, "--config", help="Config file."),
) -> None:
    """Export items that passed or were approved; the AI-content labels always stay.

    Every record is checked against the audit log first: exit 4 when the log
    contradicts one (results.jsonl edited by hand).
    """
    from copygen.cli.common import settings_from
    from copygen.review.exporting import export as run_export

    settings = settings_from(
        ctx,
        config=config,
        audit_key_file=str(audit_key_file) if audit_key_file is not None else None,
    )
    result = run_export(
        outdir=outdir, to=to, settings=settings, group_by=group_by, audit_path=audit
    )
    if result.unproven:
        typer.echo(f"copygen: warning: {result.unproven}", err=True)
    for written in result.files:
        where = f" [{written.group}]" if written.group else ""
        sheets = ""
        if written.groups:
            sheets = " (" + ", ".join(f"{k}: {v}" for k, v in written.groups.items()) + ")"
        typer.echo(f"wrote {written.path}{where}: {written.count} items{sheets}")
    left = ", ".join(f"{status} {n}" for status, n in sorted(result.skipped.items()))
    typer.echo(
        f"exported {result.count} items (pass + approved)"
        + (f"; not exported: {left}" if left else "")
        + f"; recorded in {result.audit_path}"
    )


def register(app: typer.Typer) -> None:
    app.command("export")(export)
