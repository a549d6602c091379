"""``copygen serve OUTDIR``: the review desk in a browser, for several reviewers at once."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import audit_key_file_option


def serve(
    ctx: typer.Context,
    outdir: Path = typer.Argument(..., help="Output folder of 'copygen generate'."),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to listen on. Loopback by default; 0.0.0.0 opens the desk to the "
        "network (everyone who has the token can decide).",
    ),
    port: int = typer.Option(
        8765, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."
    ),
    reviewer: str | None = typer.Option(
        None,
        "--reviewer",
        help="Reviewer name for decisions that name none (default: $USER); the page asks "
        "each reviewer for theirs.",
    ),
    open_browser: bool = typer.Option(False, "--open", help="Open the desk in the browser."),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="COPYGEN_SERVE_TOKEN",
        show_envvar=True,
        help="Access token (at least 16 characters; default: a new random one each start).",
    ),
    audit: Path | None = typer.Option(
        None, "--audit", help="Audit log to record decisions in (default: the folder's)."
    ),
    audit_key_file: Path | None = audit_key_file_option(),
    config: str | None = typer.Option(None, "--config", help="Config file."),
) -> None:
    """Review in the browser: the queue, flagged spans, edits re-checked as you type,
    decisions logged as 'copygen review' logs them; export and report one click away.

    Prints the address with its access token; Ctrl-C stops the desk.
    """
    from copygen.cli.common import settings_from
    from copygen.serve import server as serving
    from copygen.serve.auth import is_loopback, new_token, valid_token
    from copygen.serve.desk import Desk

    settings = settings_from(
        ctx,
        config=config,
        audit_key_file=str(audit_key_file) if audit_key_file is not None else None,
    )
    generated = not token
    secret = new_token() if generated else valid_token(token or "")
    desk = Desk.open(outdir, settings=settings, reviewer=reviewer, audit_path=audit)
    try:
        sock = serving.bind_socket(host, port)
    except BaseException:
        desk.close()
        raise
    bound = int(sock.getsockname()[1])
    counts = desk.state()["counts"]["status"]
    waiting = {s: counts.get(s, 0) for s in ("review", "blocked")}
    typer.echo(
        f"copygen serve: review desk for {outdir} — {sum(waiting.values())} to decide "
        f"({waiting['review']} review, {waiting['blocked']} blocked); decisions are recorded "
        f"in {desk.audit_path}"
    )
    if is_loopback(host):
        typer.echo(f"  open  {serving.desk_url(host, bound, secret)}")
    else:
        _announce_network(serving.desk_url(host, bound), host, bound, secret, generated)
    typer.echo("  Ctrl-C stops the desk.")
    serving.serve_forever(desk, sock, token=secret, host=host, open_browser=open_browser)
    done = desk.decisions()
    typer.echo(
        "copygen serve: stopped; "
        + (", ".join(f"{outcome} {n}" for outcome, n in sorted(done.items())) or "no decisions")
    )


def _announce_network(url: str, host: str, port: int, token: str, generated: bool) -> None:
    """Off loopback the token is all that keeps a decision to the team: say so loudly."""
    line = "=" * 72
    typer.echo(line)
    typer.echo(f"  WARNING: listening on {host}:{port}, reachable from the network.")
    typer.echo("  Anyone who can reach this machine and has the token can read and decide.")
    if generated:
        typer.echo(f"  ACCESS TOKEN:  {token}")
        typer.echo(f"  open  {url}?token={token}")
    else:
        typer.echo(f"  open  {url}?token=<the --token you gave>")
    typer.echo(line)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
