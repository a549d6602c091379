"""``copygen review OUTDIR``: approve, reject or edit flagged items, interactively or by script."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from copygen.cli.common import list_option, split_list

if TYPE_CHECKING:
    from copygen.review.decisions import QueueFilter
    from copygen.review.session import ReviewSession


def review(
    ctx: typer.Context,
    outdir: Path = typer.Argument(..., help="Output folder of 'copygen generate'."),
    decide: list[str] | None = list_option(
        "--decide", help="ID=approve or ID=reject; no prompts", metavar="ID=DECISION,..."
    ),
    decisions: Path | None = typer.Option(
        None, "--decisions", help="CSV of decisions: id, decision, reason."
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="Reason for the --decide decisions (required to reject)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Allow approving items the checker blocked (needs --reason)."
    ),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Your name (default: $USER)."),
    status: list[str] | None = list_option(
        "--status", help="Queue only these statuses (default: review, blocked)"
    ),
    category: list[str] | None = list_option(
        "--category", help="Queue only items with a finding of these categories"
    ),
    platform: list[str] | None = list_option("--platform", help="Queue only these platforms"),
    rule: list[str] | None = list_option(
        "--rule",
        metavar="ID,...",
        help="Queue only items with a finding of these rules: an id, a prefix "
        "(zh.absolute), or zh.* as in check --disable",
    ),
    sku: list[str] | None = list_option("--sku", help="Queue only these SKUs"),
    list_only: bool = typer.Option(False, "--list", help="Print the queue and exit."),
    audit: Path | None = typer.Option(
        None, "--audit", help="Audit log to record decisions in (default: the folder's)."
    ),
    config: str | None = typer.Option(None, "--config", help="Config file."),
) -> None:
    """Review flagged items; every decision is logged and written to results.jsonl."""
    from copygen.cli.common import settings_from
    from copygen.review.decisions import queue_filter, scripted_decisions
    from copygen.review.session import ReviewSession
    from copygen.terminal import visible

    filters = queue_filter(
        statuses=split_list(status),
        categories=split_list(category),
        platforms=split_list(platform),
        rules=split_list(rule),
        skus=split_list(sku),
    )
    scripted = scripted_decisions(
        decide=split_list(decide), decisions_csv=decisions, reason=reason, force=force
    )
    settings = settings_from(ctx, config=config)
    with ReviewSession.open(
        outdir, settings=settings, reviewer=reviewer, audit_path=audit
    ) as session:
        if list_only:
            # One line per item, tab-separated for scripts: a tab or newline inside
            # the data is shown as an escape so it can neither split a column nor
            # forge a line (nor can an ESC sequence reach the terminal).
            for item in session.queue(filters):
                rules = sorted({visible(f.get("rule")) for f in item.get("findings") or []})
                typer.echo(
                    f"{visible(item['id'])}\t{visible(item.get('status'))}\t{', '.join(rules)}"
                )
            return
        if scripted:
            updated = session.decide_many(scripted)
            for item in updated:
                forced = " (forced)" if item["review"].get("forced") else ""
                typer.echo(f"{visible(item['status'])}{forced}: {visible(item['id'])}")
            typer.echo(
                visible(
                    f"{len(updated)} decisions by {session.reviewer}, "
                    f"recorded in {session.audit_path}"
                )
            )
            return
        _interactive(session, filters)


def _interactive(session: ReviewSession, filters: QueueFilter) -> None:
    from rich.console import Console

    from copygen.review.interactive import Keys, run_interactive
    from copygen.terminal import visible_text

    console = Console(highlight=False)
    queue = session.queue(filters)
    if not queue:
        console.print(
            visible_text(
                f"Nothing to review: no item with status {' or '.join(filters.statuses)} "
                "matches the filters.",
                keep="",
            )
        )
        return
    session.start()  # a busy audit log is reported now, not after the first decision
    by_status: dict[str, int] = {}
    for item in queue:
        by_status[str(item.get("status"))] = by_status.get(str(item.get("status")), 0) + 1
    breakdown = ", ".join(f"{n} {status}" for status, n in by_status.items())
    console.print(
        visible_text(
            f"Reviewing {len(queue)} items ({breakdown}) in {session.outdir} as "
            f"{session.reviewer}; decisions are recorded in {session.audit_path}.",
            keep="",
        )
    )
    counts = run_interactive(session, queue, console=console, keys=Keys())
    console.print(
        f"approved {counts['approved']}, rejected {counts['rejected']}, "
        f"skipped {counts['skipped']}, undone {counts['undone']}"
    )


def register(app: typer.Typer) -> None:
    app.command("review")(review)
