"""``copygen check``: the compliance checker alone, for copy from any source."""

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
    list_paths,
    settings_from,
    split_list,
)


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check_cmd(
        ctx: typer.Context,
        texts: list[str] = typer.Argument(None, help="Texts to check (one input each)."),
        input_path: str | None = typer.Option(
            None, "--input", "-i", help="A .txt (one text a line), .jsonl or .csv file, or -."
        ),
        column: str | None = typer.Option(None, "--column", help="CSV column holding the text."),
        fmt: str = typer.Option("text", "--format", "-f", help="text | json | jsonl"),
        fail_on: str | None = typer.Option(
            None,
            "--fail-on",
            help="Exit 1 at findings of this severity or worse: "
            "block | warn | info | never (default: config fail_on, else warn).",
        ),
        lang: str | None = typer.Option(None, "--lang", help="Expected language (zh, en...)."),
        category: str | None = typer.Option(None, "--category", help="Product category."),
        platform: str | None = typer.Option(
            None, "--platform", help="livestream | social | detail (enables format checks)."
        ),
        product: Path | None = typer.Option(
            None, "--product", help="JSON object of the product's columns (enables fact checks)."
        ),
        rules: list[str] | None = list_option(
            "--rules", help="Extra rule packs or folders", metavar="PATH,..."
        ),
        disable: list[str] | None = list_option(
            "--disable",
            help="Disable rule ids, categories, packs or id prefixes (x.*)",
            metavar="ID,...",
        ),
        only_category: list[str] | None = list_option(
            "--only-category", help="Only check these categories"
        ),
        allow: list[str] | None = list_option(
            "--allow", help="Allowlist files: one brand/trademark/title a line", metavar="PATH,..."
        ),
        locale: str | None = typer.Option(
            None, "--locale", help="Message language zh | en (default: from LANG, else the copy)."
        ),
        jobs: int | None = typer.Option(
            None,
            "--jobs",
            "-j",
            help="Worker processes checking an --input of more than a few hundred texts "
            "(default: the CPU count; 1: in this process). Output stays in input order.",
        ),
        quiet: bool = typer.Option(
            False, "--quiet", "-q", help="No progress line on stderr for --input FILE."
        ),
        judge: bool | None = judge_option(),
        judge_all: bool | None = judge_all_option(),
        judge_backend: str | None = judge_backend_option(),
        judge_model: str | None = judge_model_option(),
        judge_base_url: str | None = judge_base_url_option(),
    ) -> None:
        """Check copy against advertising law, platform rules, facts and personal data.

        --input is streamed: each text is checked and written as it is read, in input
        order, so a malformed line stops the command at that line (exit 2) after the
        results of the lines before it (up to a few hundred texts are read first).

        Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
        2 usage or input error (bad option, unreadable file, malformed line, invalid rule);
        3 the judge did not answer (with judge on_error: error).
        """
        # Imported here: the command modules are all imported at start-up.
        from copygen.compliance.check_run import CheckOptions, run_check

        options = CheckOptions(
            texts=texts or (),
            input_path=input_path,
            column=column,
            fmt=fmt,
            fail_on=fail_on,
            lang=lang,
            category=category,
            platform=platform,
            product=product,
            rules=list_paths(rules),
            disable=split_list(disable),
            only_category=split_list(only_category),
            allow=list_paths(allow),
            locale=locale,
            jobs=jobs,
            quiet=quiet,
        )
        settings = settings_from(
            ctx,
            **judge_flags(
                judge=judge,
                judge_all=judge_all,
                judge_backend=judge_backend,
                judge_model=judge_model,
                judge_base_url=judge_base_url,
            ),
        )
        second_opinion = None
        if settings.judge:
            from copygen.judge.checking import check_judge

            second_opinion = check_judge(settings, locale=options.locale)
        code = run_check(options, settings, echo=typer.echo, second_opinion=second_opinion)
        if code:
            raise typer.Exit(code)
