"""``copygen rules list | explain | test``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from copygen.cli.common import settings_from
from copygen.errors import ExitCode, RuleError


def register(app: typer.Typer) -> None:
    rules_app = typer.Typer(
        help="List, explain and test the compliance rules.", no_args_is_help=True
    )

    @rules_app.command("list")
    def list_rules(
        ctx: typer.Context,
        category: list[str] = typer.Option(
            [], "--category", help="Only rules of this category (repeatable)."
        ),
        lang: str | None = typer.Option(None, "--lang", help="Only rules that apply to LANG."),
        rules: list[Path] = typer.Option([], "--rules", help="Also load this pack or folder."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
    ) -> None:
        """List the loaded rules: id, category, severity, scope and law."""
        from copygen.compliance.findings import CATEGORIES
        from copygen.compliance.rules import load_rules

        settings = settings_from(ctx)
        for name in category:
            if name not in CATEGORIES:
                raise RuleError(
                    f"unknown category {name!r}; expected one of {', '.join(CATEGORIES)}"
                )
        ruleset = load_rules(paths=[*settings.rules, *rules])
        selected = ruleset.applicable(lang=lang) if lang else list(ruleset.rules)
        if category:
            selected = [r for r in selected if r.category in category]
        for rule in selected:
            if as_json:
                data = rule.to_dict()
                data.pop("examples")
                typer.echo(json.dumps(data, ensure_ascii=False))
                continue
            scope = ",".join(f"{k}={'/'.join(v)}" for k, v in rule.scope.to_dict().items())
            size = len(rule.terms) + len(rule.patterns)
            what = f"{size} terms/patterns" if size else f"detector {rule.detector}"
            typer.echo(
                f"{rule.id:<40} {rule.category:<26} {rule.severity:<6} {what:<22} "
                f"{scope or '-':<24} {rule.law}"
            )
        if not as_json:
            typer.echo(f"{len(selected)} rules (rule-pack hash {ruleset.hash[:12]})", err=True)

    @rules_app.command("explain")
    def explain(
        ctx: typer.Context,
        rule_id: str = typer.Argument(..., help="The rule id, e.g. zh.absolute.superlative."),
        rules: list[Path] = typer.Option([], "--rules", help="Also load this pack or folder."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show a rule: law, messages, suggestion, terms, exceptions, scope, examples."""
        from copygen.compliance.rules import load_rules

        settings = settings_from(ctx)
        ruleset = load_rules(paths=[*settings.rules, *rules])
        rule = ruleset.get(rule_id)
        if rule is None:
            close = [r.id for r in ruleset.rules if rule_id in r.id][:5]
            hint = f"did you mean {', '.join(close)}?" if close else "see `copygen rules list`"
            raise RuleError(f"no rule {rule_id!r}", hint=hint)
        data = rule.to_dict()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        lines = [
            f"{rule.id}  [{rule.category}, {rule.severity}]  pack {rule.pack}",
            f"  source:     {rule.source}" + (f":{rule.line}" if rule.line else ""),
            f"  law:        {rule.law}",
            f"  message:    {rule.message.get('zh', '')} / {rule.message.get('en', '')}",
        ]
        if rule.suggestion:
            lines.append(
                f"  suggestion: {rule.suggestion.get('zh', '')} / {rule.suggestion.get('en', '')}"
            )
        if rule.terms:
            lines.append(f"  terms:      {', '.join(rule.terms)}")
        if rule.patterns:
            lines.append(f"  patterns:   {'  '.join(rule.patterns)}")
        if rule.detector:
            lines.append(f"  detector:   {rule.detector}")
        if rule.boundary != "auto":
            lines.append(f"  boundary:   {rule.boundary}")
        if rule.unless or rule.unless_patterns:
            lines.append(f"  unless:     {', '.join([*rule.unless, *rule.unless_patterns])}")
        if rule.unless_product:
            lines.append(f"  unless the product data states: {', '.join(rule.unless_product)}")
        if data["scope"]:
            lines.append(f"  scope:      {json.dumps(data['scope'], ensure_ascii=False)}")
        for kind in ("match", "no_match"):
            for example in data["examples"][kind]:
                text = (
                    example if isinstance(example, str) else json.dumps(example, ensure_ascii=False)
                )
                lines.append(f"  {kind + ':':<11} {text}")
        typer.echo("\n".join(lines))

    @rules_app.command("test")
    def test(
        ctx: typer.Context,
        paths: list[Path] = typer.Argument(
            None, help="Packs or folders to test with the built-in packs (default: config)."
        ),
        builtin: bool = typer.Option(
            True, "--builtin/--no-builtin", help="Include the built-in packs."
        ),
        rule: list[str] = typer.Option([], "--rule", help="Only this rule (repeatable)."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="One line per pack."),
    ) -> None:
        """Run every example of every rule; exit 1 if any fails, 2 if a pack is invalid."""
        from copygen.compliance.rules import load_rules
        from copygen.compliance.selftest import run_examples

        settings = settings_from(ctx)
        extra = list(paths) if paths else list(settings.rules)
        ruleset = load_rules(paths=extra, builtin=builtin)
        report = run_examples(ruleset, rule_ids=rule or None)
        failed_sources: dict[str, int] = {}
        for failure in report.failures:
            failed_sources[failure.source] = failed_sources.get(failure.source, 0) + 1
        for source, (rules_count, examples_count) in sorted(report.per_source.items()):
            bad = failed_sources.get(source, 0)
            if verbose or bad:
                state = "FAILED" if bad else "ok"
                typer.echo(f"{source}: {rules_count} rules, {examples_count} examples ... {state}")
        for failure in report.failures:
            where = f"{failure.source}:{failure.line}" if failure.line else failure.source
            typer.echo(f"FAIL {where}: {failure.rule}: {failure.describe()}")
        summary = (
            f"{report.rules} rules, {report.examples} examples: "
            f"{report.examples - len(report.failures)} passed, {len(report.failures)} failed"
        )
        typer.echo(summary)
        if report.failures:
            raise typer.Exit(int(ExitCode.FINDINGS))

    app.add_typer(rules_app, name="rules")
