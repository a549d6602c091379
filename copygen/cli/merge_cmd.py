"""``copygen merge OUT1 OUT2 ... -o OUTDIR``: join the folders of sharded runs (thin;
see copygen.generate.merge)."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import audit_key_file_option


def merge_cmd(
    ctx: typer.Context,
    inputs: list[Path] = typer.Argument(
        ..., metavar="OUTDIR...", help="Output folders of `copygen generate --shard I/N`."
    ),
    outdir: Path = typer.Option(..., "--out", "-o", help="Folder to write the merge into."),
    force: bool = typer.Option(
        False, "--force", help="Write into a folder that holds results (moved aside, kept)."
    ),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="Write the merge even when shards are missing."
    ),
    audit_key_file: Path | None = audit_key_file_option(),
    config: str | None = typer.Option(None, "--config", "-c", help="Config file."),
) -> None:
    """Merge the output folders of sharded runs into one folder.

    Refuses folders of other settings, of another N, a shard given twice or an item in
    two folders (exit 2), missing shards unless --allow-partial (exit 2), and a shard
    whose audit log fails verification (exit 4). Each shard's log is copied into
    OUTDIR/shards/I/; OUTDIR/audit.jsonl starts with a `merged` event recording them.
    """
    from copygen.cli.common import settings_from
    from copygen.generate.merge import merge

    settings = settings_from(
        ctx,
        config=config,
        audit_key_file=str(audit_key_file) if audit_key_file is not None else None,
    )
    summary = merge(inputs, outdir, settings=settings, force=force, allow_partial=allow_partial)
    for warning in summary.warnings:
        typer.echo(f"copygen: warning: {warning}", err=True)
    shown = ", ".join(f"{i}/{summary.count}" for i in summary.shards)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
    typer.echo(
        f"merged shards {shown}: {summary.records} records ({counts or 'none'}) into "
        f"{summary.outdir}"
    )
    typer.echo(f"audit log {summary.audit_path}, head {summary.audit_head}")


def register(app: typer.Typer) -> None:
    app.command("merge")(merge_cmd)
