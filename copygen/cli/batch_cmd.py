"""``copygen batch prepare|submit|status|collect``: provider batch jobs (thin; see
copygen.batch)."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import list_option, map_option, settings_from, split_list


def register(app: typer.Typer) -> None:
    batch_app = typer.Typer(
        help="Provider batch jobs: the same items as generate, sent as batch files at "
        "batch prices; every step can be run again.",
        no_args_is_help=True,
    )

    @batch_app.command("prepare")
    def prepare_cmd(
        ctx: typer.Context,
        input_path: Path = typer.Argument(
            ..., metavar="INPUT", help="Product file: .csv/.tsv, .xlsx or .jsonl."
        ),
        outdir: Path = typer.Option(..., "--out", "-o", help="Output folder of the job."),
        backend: str | None = typer.Option(
            None, "--backend", "-b", help="openai, or a config profile."
        ),
        model: str | None = typer.Option(None, "--model", "-m", help="Model name."),
        base_url: str | None = typer.Option(
            None, "--base-url", help="OpenAI-compatible endpoint with the Batches API."
        ),
        platforms: list[str] | None = list_option(
            "--platforms", "-p", help="livestream, social, detail"
        ),
        variants: int | None = typer.Option(None, "--variants", "-k", help="Texts per platform."),
        lang: str | None = typer.Option(None, "--lang", help="Language (default: row, else zh)."),
        columns: list[str] | None = map_option(),
        max_tokens: int | None = typer.Option(None, "--max-tokens", help="Longest reply."),
        max_repairs: int | None = typer.Option(
            None, "--max-repairs", help="Repair rounds for flagged copy (default 1)."
        ),
        seed: int | None = typer.Option(None, "--seed", help="Seed for reproducible output."),
        rules: list[str] | None = list_option(
            "--rules", help="Extra rule packs: files or folders", metavar="PATH,..."
        ),
        templates: Path | None = typer.Option(
            None, "--templates", help="Folder of templates overriding the built-in ones."
        ),
        config: str | None = typer.Option(None, "--config", "-c", help="Config file."),
        fmt: str = typer.Option(
            "openai", "--format", help="openai (Batches API) or vllm (vllm run-batch)."
        ),
        force: bool = typer.Option(False, "--force", help="Start the job in OUTDIR over."),
    ) -> None:
        """Write the request files (PII masked) and OUTDIR/batch.json."""
        from copygen.batch import prepare

        flags = {
            "backend": backend,
            "model": model,
            "base_url": base_url,
            "platforms": split_list(platforms) or None,
            "variants": variants,
            "lang": lang,
            "columns": columns or None,
            "max_tokens": max_tokens,
            "max_repairs": max_repairs,
            "seed": seed,
            "rules": split_list(rules) or None,
            "templates": str(templates) if templates is not None else None,
        }
        config_path = config or (ctx.find_root().obj or {}).get("config")
        settings = settings_from(ctx, config=config_path, **flags)

        def warn(message: str) -> None:
            typer.echo(f"copygen: warning: {message}", err=True)

        state = prepare(
            input_path=input_path,
            outdir=outdir,
            settings=settings,
            fmt=fmt,
            force=force,
            cli=flags,
            config_path=str(config_path) if config_path else None,
            on_warning=warn,
        )
        for batch_file in state.rounds[-1].files:
            typer.echo(f"{outdir / batch_file.path}: {batch_file.requests} requests")

    @batch_app.command("submit")
    def submit_cmd(outdir: Path = typer.Argument(..., help="The job's output folder.")) -> None:
        """Upload and start the request files not yet sent (next: failed and flagged items)."""
        from copygen.batch import submit

        rounds = submit(outdir=outdir)
        if not rounds:
            typer.echo("nothing to submit")
        for round_ in rounds:
            for batch_file in round_.files:
                where = batch_file.batch_id or (
                    f"{outdir / batch_file.path} (run: vllm run-batch -i FILE -o OUTPUT, "
                    "then copygen batch collect OUTDIR --from OUTPUT)"
                )
                typer.echo(
                    f"round {round_.number} ({round_.kind}): {where}, "
                    f"{batch_file.requests} requests"
                )

    @batch_app.command("status")
    def status_cmd(outdir: Path = typer.Argument(..., help="The job's output folder.")) -> None:
        """Show each batch's progress, and the failed items the next submit sends again."""
        from copygen.batch import status

        for line in status(outdir=outdir).lines():
            typer.echo(line)

    @batch_app.command("collect")
    def collect_cmd(
        outdir: Path = typer.Argument(..., help="The job's output folder."),
        from_file: Path | None = typer.Option(
            None, "--from", help="An output file already here (vllm run-batch), not downloaded."
        ),
    ) -> None:
        """Download, parse, check and record the ended rounds (generate's results and log).

        Exit 0; 1 when --fail-on is met; 3 when items failed (the next submit sends them
        again); 130 when stopped (the next collect resumes).
        """
        from copygen.batch import collect, collect_exit_code

        def warn(message: str) -> None:
            typer.echo(f"copygen: warning: {message}", err=True)

        summaries = collect(outdir=outdir, from_file=from_file, on_warning=warn)
        if not summaries:
            typer.echo("nothing to collect yet")
        for summary in summaries:
            counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
            if summary.interrupted:
                typer.echo(f"stopped: {counts}; `copygen batch collect` again resumes")
                continue
            typer.echo(f"collected: {counts}")
            failed = summary.errors if summary.repair is None else summary.repair.failed
            if failed:
                typer.echo(
                    f"{failed} item{'s' if failed != 1 else ''} failed: "
                    f"`copygen batch submit {outdir}` sends them again"
                )
        raise typer.Exit(collect_exit_code(summaries))

    app.add_typer(batch_app, name="batch")
