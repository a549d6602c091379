"""``copygen audit verify|checkpoint|show|stats|recover``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from copygen.cli.common import audit_key_file_option, list_option, split_list
from copygen.errors import AuditError, InputError

if TYPE_CHECKING:
    from copygen.audit.key import AuditKey, Checkpoint
    from copygen.config import Settings

_FORMATS = ("text", "jsonl")


def _settings(ctx: typer.Context, key_file: Path | None, config: str | None) -> Settings:
    from copygen.cli.common import settings_from

    return settings_from(
        ctx, config=config, audit_key_file=str(key_file) if key_file is not None else None
    )


def _key(ctx: typer.Context, key_file: Path | None, config: str | None) -> AuditKey | None:
    from copygen.audit.key import key_from_settings

    return key_from_settings(_settings(ctx, key_file, config))


def _verify_folder(
    folder: Path,
    *,
    settings: Settings,
    audit: Path | None,
    key: AuditKey | None,
    expect_head: str | None,
    checkpoint: Checkpoint | None,
) -> str:
    """The summary line of a folder whose every record the log proves; else AuditError."""
    from copygen.review.outdir import load_numbered_items, prove_outdir, resolve_audit_path

    log = resolve_audit_path(folder, settings=settings, explicit=audit)
    proof = prove_outdir(
        folder,
        load_numbered_items(folder),
        log=log,
        key=key,
        expect_head=expect_head,
        checkpoint=checkpoint,
    )
    proof.enforce(keyed=key is not None)
    # Stricter than export and report: this command's answer is the proof, so a
    # record it cannot prove fails even without a key.
    if proof.unproven:
        raise proof.unproven_error(keyed=False)
    assert proof.report is not None
    return f"{proof.report.summary()}; {proof.summary()}"


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
        ctx: typer.Context,
        path: Path = typer.Argument(
            ..., help="The audit log (JSONL), or an output folder: its log and its results."
        ),
        expect_head: str | None = typer.Option(
            None,
            "--expect-head",
            help="A head hash kept elsewhere, whole or its first 12+ hex digits as the "
            "report shows it; fails if the log no longer contains it (catches a truncated "
            "tail).",
        ),
        checkpoint: str | None = typer.Option(
            None,
            "--checkpoint",
            help="A signed checkpoint from `copygen audit checkpoint`; fails if the log "
            "no longer contains that event (needs the key).",
        ),
        audit: Path | None = typer.Option(
            None, "--audit", help="With an output folder: its audit log, if not the usual one."
        ),
        audit_key_file: Path | None = audit_key_file_option(),
        config: str | None = typer.Option(None, "--config", help="Config file."),
    ) -> None:
        """Check every line's hash, link, sequence and MAC; for a folder, every record too.

        Exit 4 at the first bad line, or when a record of the folder's results.jsonl
        is not the one the log holds (or, for a log older than record hashes,
        cannot be proven).
        """
        from copygen.audit import verify
        from copygen.audit.key import Checkpoint, key_from_settings
        from copygen.audit.verify import normalise_head

        if expect_head is not None:
            expect_head = normalise_head(expect_head)  # a malformed one: exit 2 before reading
        settings = _settings(ctx, audit_key_file, config)
        key = key_from_settings(settings)
        mark = Checkpoint.parse(checkpoint) if checkpoint is not None else None
        if path.is_dir():
            typer.echo(
                _verify_folder(
                    path,
                    settings=settings,
                    audit=audit,
                    key=key,
                    expect_head=expect_head,
                    checkpoint=mark,
                )
            )
            return
        report = verify(path, expect_head=expect_head, key=key, checkpoint=mark)
        if not report.ok:
            raise AuditError(report.reason or "verification failed", file=path, row=report.line)
        typer.echo(report.summary())

    @audit_app.command("checkpoint")
    def checkpoint_cmd(
        ctx: typer.Context,
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
        audit_key_file: Path | None = audit_key_file_option(),
        config: str | None = typer.Option(None, "--config", help="Config file."),
    ) -> None:
        """Print a signed head (seq, hash, HMAC) to keep elsewhere; needs the key.

        The whole log is verified with the key first. Later, `copygen audit verify
        LOG --checkpoint TEXT` fails if the log no longer holds that event: a log
        cut short or rewritten since.
        """
        from copygen.audit import verify
        from copygen.audit.key import require_key

        key = require_key(_key(ctx, audit_key_file, config), "copygen audit checkpoint")
        report = verify(path, key=key)
        if not report.ok:
            raise AuditError(report.reason or "verification failed", file=path, row=report.line)
        if report.events == 0:
            raise InputError("the audit log is empty: nothing to checkpoint", file=path)
        typer.echo(str(key.checkpoint(report.events, report.head)))

    @audit_app.command("show")
    def show_cmd(
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
        item: str | None = typer.Option(
            None, "--item", help="An item id, or a SKU for all its items."
        ),
        event: list[str] | None = list_option(
            "--event", help="Only these events (e.g. checked,reviewed)"
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
        events = split_list(event)
        unknown = [e for e in events if e not in EVENTS]
        if unknown:
            raise InputError(
                f"unknown event {', '.join(unknown)}; expected one of {', '.join(EVENTS)}"
            )
        try:
            for record in iter_events(path, item=item, event=events or None, run=run):
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
        ctx: typer.Context,
        path: Path = typer.Argument(..., help="The audit log (JSONL)."),
        audit_key_file: Path | None = audit_key_file_option(),
        config: str | None = typer.Option(None, "--config", help="Config file."),
    ) -> None:
        """Cut a torn last line left by a crash (recorded as a `recovered` event)."""
        from copygen.audit import AuditLog

        if not path.is_file():
            raise InputError("no such audit log", file=path)
        with AuditLog.open(path, key=_key(ctx, audit_key_file, config)) as log:
            typer.echo(f"ok: {log.seq} events, head {log.head}")

    app.add_typer(audit_app, name="audit")
