"""``copygen rules list | explain | test``."""

from __future__ import annotations

from pathlib import Path

import typer

from copygen.cli.common import list_option, list_paths, settings_from, split_list
from copygen.errors import ExitCode


def register(app: typer.Typer) -> None:
    rules_app = typer.Typer(
        help="List, explain and test the compliance rules.", no_args_is_help=True
    )

    @rules_app.command("list")
    def list_rules(
        ctx: typer.Context,
        category: list[str] | None = list_option(
            "--category", help="Only rules of these categories"
        ),
        lang: str | None = typer.Option(None, "--lang", help="Only rules that apply to LANG."),
        rules: list[str] | None = list_option(
            "--rules", help="Also load these packs or folders", metavar="PATH,..."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
    ) -> None:
        """List the loaded rules: id, category, severity, scope and law."""
        from copygen.compliance import rule_views

        settings = settings_from(ctx)
        lines, count = rule_views.list_rules(
            [*settings.rules, *list_paths(rules)],
            categories=split_list(category),
            lang=lang,
            as_json=as_json,
        )
        for line in lines:
            typer.echo(line)
        if count is not None:
            typer.echo(count, err=True)

    @rules_app.command("explain")
    def explain(
        ctx: typer.Context,
        rule_id: str = typer.Argument(..., help="The rule id, e.g. zh.absolute.superlative."),
        rules: list[str] | None = list_option(
            "--rules", help="Also load these packs or folders", metavar="PATH,..."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        text: str | None = typer.Option(
            None,
            "--text",
            help="Also show where the rule hits this text: the original span, the "
            "normalised form and what it matched (a term, an evasive spelling, a pattern).",
        ),
    ) -> None:
        """Show a rule: law, messages, suggestion, terms, exceptions, scope, examples."""
        from copygen.compliance.rule_views import explain_rule

        settings = settings_from(ctx)
        typer.echo(
            explain_rule([*settings.rules, *list_paths(rules)], rule_id, as_json=as_json, text=text)
        )

    @rules_app.command("test")
    def test(
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(
            None, help="Packs or folders to test with the built-in packs (default: config)."
        ),
        builtin: bool = typer.Option(
            True, "--builtin/--no-builtin", help="Include the built-in packs."
        ),
        rule: list[str] | None = list_option("--rule", help="Only these rules", metavar="ID,..."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="One line per pack."),
    ) -> None:
        """Run every example of every rule; exit 1 if any fails, 2 if a pack is invalid."""
        from copygen.compliance.rule_views import run_rule_examples

        settings = settings_from(ctx)
        extra = list(paths) if paths else list(settings.rules)
        lines, failed = run_rule_examples(
            extra, builtin=builtin, rule_ids=split_list(rule) or None, verbose=verbose
        )
        for line in lines:
            typer.echo(line)
        if failed:
            raise typer.Exit(int(ExitCode.FINDINGS))

    app.add_typer(rules_app, name="rules")
