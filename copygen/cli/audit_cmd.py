"""``copygen audit verify|show|stats|recover``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from copygen.errors import AuditError, InputError

_FORMATS = ("text", "jsonl")


def _silence_stdout() -> None:
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(
        help="Verify and inspect tamper-evident audit logs.", no_args_is_help=True
    )

    @audit_app.command("verify")
    def verify_cmd(
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
        expect_head: str | None = typer.Option(
            None,
            "--expect-head",
            help="A head hash kept elsewhere; fails if the log no longer contains it "
            "(catches a truncated tail).",
        ),
    ) -> None:
        """Check every line's hash, link and sequence. Exit 4 at the first bad line."""
        from copygen.audit import verify

        report = verify(path, expect_head=expect_head)
        if not report.ok:
            raise AuditError(report.reason or "verification failed", file=path, row=report.line)
        typer.echo(report.summary())

    @audit_app.command("show")
    def show_cmd(
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
        item: str | None = typer.Option(
            None, "--item", help="An item id, or a SKU for all its items."
        ),
        event: str | None = typer.Option(
            None, "--event", help="Event name(s), comma-separated (e.g. checked,reviewed)."
        ),
        run: str | None = typer.Option(None, "--run", help="A run id or its prefix."),
        fmt: str = typer.Option("text", "--format", help="text (one line per event) or jsonl."),
    ) -> None:
        """Print the events of a log, optionally filtered."""
        from copygen.audit import EVENTS, iter_events
        from copygen.audit.chain import canonical_json
        from copygen.audit.stats import format_event

        if fmt not in _FORMATS:
            raise InputError(f"--format must be one of {', '.join(_FORMATS)}, got {fmt!r}")
        if event is not None:
            unknown = sorted({e.strip() for e in event.split(",") if e.strip()} - set(EVENTS))
            if unknown:
                raise InputError(
                    f"unknown event {', '.join(unknown)}; expected one of {', '.join(EVENTS)}"
                )
        try:
            for record in iter_events(path, item=item, event=event, run=run):
                typer.echo(canonical_json(record) if fmt == "jsonl" else format_event(record))
        except BrokenPipeError:
            # `copygen audit show log | head`: the reader left; stop quietly.
            _silence_stdout()

    @audit_app.command("stats")
    def stats_cmd(
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
        run: str | None = typer.Option(None, "--run", help="Only this run (id or prefix)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Runs, items, pass rate, findings by category, tokens and cost."""
        from copygen.audit import iter_events
        from copygen.audit.stats import compute_stats, format_stats

        stats = compute_stats(iter_events(path, run=run))
        if as_json:
            typer.echo(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(format_stats(stats))

    @audit_app.command("recover")
    def recover_cmd(
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
    ) -> None:
        """Cut a torn last line left by a crash (recorded as a `recovered` event)."""
        from copygen.audit import AuditLog

        if not path.is_file():
            raise InputError("no such audit log", file=path)
        with AuditLog.open(path) as log:
            typer.echo(f"ok: {log.seq} events, head {log.head}")

    app.add_typer(audit_app, name="audit")
