"""``copygen generate INPUT -o OUTDIR``: the batch command (thin; see copygen.generate.run)."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import (
    judge_all_option,
    judge_backend_option,
    judge_base_url_option,
    judge_flags,
    judge_model_option,
    judge_option,
    list_option,
    map_option,
    settings_from,
    split_list,
)


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        ctx: typer.Context,
        input_path: Path = typer.Argument(
            ..., metavar="INPUT", help="Product file: .csv/.tsv, .xlsx or .jsonl."
        ),
        outdir: Path = typer.Option(
            ..., "--out", "-o", help="Output folder (results.jsonl/.csv, audit.jsonl)."
        ),
        backend: str | None = typer.Option(
            None, "--backend", "-b", help="offline (default), openai, or a config profile."
        ),
        model: str | None = typer.Option(None, "--model", "-m", help="Model name."),
        base_url: str | None = typer.Option(
            None, "--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1."
        ),
        platforms: list[str] | None = list_option(
            "--platforms", "-p", help="livestream, social, detail"
        ),
        variants: int | None = typer.Option(None, "--variants", "-k", help="Texts per platform."),
        lang: str | None = typer.Option(None, "--lang", help="Language (default: row, else zh)."),
        columns: list[str] | None = map_option(),
        concurrency: int | None = typer.Option(
            None,
            "--concurrency",
            "-j",
            help="Requests in flight (default 8; 2 for a server on this machine).",
        ),
        timeout: float | None = typer.Option(
            None,
            "--timeout",
            help="Seconds per request (default 60; 600 for a server on this machine).",
        ),
        max_tokens: int | None = typer.Option(
            None,
            "--max-tokens",
            help="Longest reply in tokens (default: sized from the platform's limits).",
        ),
        response_format: str | None = typer.Option(
            None,
            "--response-format",
            help="auto (default), json_schema, json_object or none.",
        ),
        rpm: int | None = typer.Option(None, "--rpm", help="Requests per minute limit."),
        max_repairs: int | None = typer.Option(
            None, "--max-repairs", help="Repair rounds for flagged copy (default 1)."
        ),
        seed: int | None = typer.Option(None, "--seed", help="Seed for reproducible output."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Bypass the response cache."),
        fail_on: str | None = typer.Option(
            None, "--fail-on", help="Exit 1 when findings reach: block, warn, info or never."
        ),
        config: str | None = typer.Option(None, "--config", "-c", help="Config file."),
        audit: Path | None = typer.Option(
            None, "--audit", help="Append to this audit log instead of OUTDIR/audit.jsonl."
        ),
        xlsx: bool = typer.Option(False, "--xlsx", help="Also write results.xlsx."),
        force: bool = typer.Option(
            False, "--force", help="Start over in a folder used with other settings."
        ),
        repair: bool = typer.Option(
            False,
            "--repair",
            help="Repair the flagged (review, blocked) items of a generated OUTDIR again, "
            "up to --max-repairs more times each.",
        ),
        shard: str | None = typer.Option(
            None,
            "--shard",
            metavar="I/N",
            help="Only shard I of N of the items (by a stable hash of the item id), so N "
            "machines can share one product file; join them with `copygen merge`.",
        ),
        allow_insecure: bool = typer.Option(
            False, "--allow-insecure", help="Allow sending an API key over plain http."
        ),
        rules: list[str] | None = list_option(
            "--rules", help="Extra rule packs: files or folders", metavar="PATH,..."
        ),
        templates: Path | None = typer.Option(
            None, "--templates", help="Folder of templates overriding the built-in ones."
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
        judge: bool | None = judge_option(),
        judge_all: bool | None = judge_all_option(),
        judge_backend: str | None = judge_backend_option(),
        judge_model: str | None = judge_model_option(),
        judge_base_url: str | None = judge_base_url_option(),
    ) -> None:
        """Write, check and log copy for every product row x platform x variant.

        Re-running the same command continues an interrupted run; adding --repair
        repairs the flagged items of a finished one again. Exit codes: 0 ok,
        1 findings reached --fail-on, 2 bad input or options, 3 items failed,
        130 interrupted.
        """
        import sys

        from copygen.generate.progress import make_progress
        from copygen.generate.run import generate

        settings = settings_from(
            ctx,
            config=config,
            backend=backend,
            model=model,
            base_url=base_url,
            platforms=split_list(platforms) or None,
            variants=variants,
            lang=lang,
            columns=columns or None,
            concurrency=concurrency,
            timeout=timeout,
            max_tokens=max_tokens,
            response_format=response_format,
            rpm=rpm,
            max_repairs=max_repairs,
            seed=seed,
            cache=False if no_cache else None,
            fail_on=fail_on,
            audit=str(audit) if audit is not None else None,
            allow_insecure=True if allow_insecure else None,
            rules=split_list(rules) or None,
            templates=str(templates) if templates is not None else None,
            **judge_flags(
                judge=judge,
                judge_all=judge_all,
                judge_backend=judge_backend,
                judge_model=judge_model,
                judge_base_url=judge_base_url,
            ),
        )

        def warn(message: str) -> None:
            typer.echo(f"copygen: warning: {message}", err=True)

        progress = make_progress(sys.stderr, quiet=quiet)
        summary = generate(
            input_path=input_path,
            outdir=outdir,
            settings=settings,
            progress=progress,
            force=force,
            xlsx=xlsx,
            on_warning=warn,
            repair=repair,
            shard=shard,
        )
        if summary.repair is not None and summary.repair.flagged == 0:
            typer.echo("nothing to repair: no item is in review or blocked")
            raise typer.Exit(0)
        _print_summary(summary)
        raise typer.Exit(summary.exit_code)


def _print_summary(summary: object) -> None:
    import sys

    from copygen.generate.summary import RunSummary, render_summary, summary_lines

    assert isinstance(summary, RunSummary)
    if sys.stdout.isatty():
        from rich.console import Console

        render_summary(summary, Console())
    else:
        for line in summary_lines(summary):
            typer.echo(line)
    outputs = [p for p in (summary.results_path, summary.csv_path, summary.xlsx_path) if p]
    typer.echo("wrote " + ", ".join(str(p) for p in outputs))
    if summary.audit_head:
        typer.echo(f"audit log {summary.audit_path}, head {summary.audit_head}")
