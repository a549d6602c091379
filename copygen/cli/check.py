"""``copygen check``: the compliance checker alone, for copy from any source."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from copygen.errors import ConfigError, InputError

FORMATS = ("text", "json", "jsonl")
FAIL_ON = ("block", "warn", "info", "never")


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
        rules: list[Path] = typer.Option([], "--rules", help="Extra rule pack or folder."),
        disable: list[str] = typer.Option(
            [], "--disable", help="Disable a rule id, category, pack or id prefix (x.*)."
        ),
        only_category: list[str] = typer.Option(
            [], "--only-category", help="Only check these categories."
        ),
        allow: list[Path] = typer.Option(
            [], "--allow", help="Allowlist file: one brand/trademark/title a line."
        ),
        locale: str | None = typer.Option(
            None, "--locale", help="Message language zh | en (default: from LANG, else the copy)."
        ),
    ) -> None:
        """Check copy against advertising law, platform rules, facts and personal data.

        Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
        2 usage or input error (bad option, unreadable file, malformed line, invalid rule).
        """
        from copygen.cli.common import settings_from
        from copygen.compliance.batch import (
            CheckItem,
            exit_code_for,
            read_inputs,
            read_product,
            result_record,
            summary,
            validate_product,
        )
        from copygen.compliance.engine import Checker
        from copygen.platforms import PLATFORM_NAMES

        if fmt not in FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        if fail_on is not None and fail_on not in FAIL_ON:
            raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        if platform is not None and platform not in PLATFORM_NAMES:
            raise ConfigError(
                f"--platform must be one of {', '.join(PLATFORM_NAMES)}, not {platform!r}"
            )
        if locale is not None and locale not in ("zh", "en"):
            raise ConfigError(f"--locale must be zh or en, not {locale!r}")
        category = _category(category)
        settings = settings_from(ctx)
        threshold = fail_on or settings.fail_on or "warn"

        items: list[CheckItem]
        if texts and input_path is not None:
            raise ConfigError("give texts as arguments or --input, not both")
        if texts:
            items = [CheckItem(id=n, content=t) for n, t in enumerate(texts, start=1)]
        elif input_path is not None:
            items = read_inputs(input_path, column=column)
        elif not sys.stdin.isatty():
            items = read_inputs("-", column=column)
            if not items:
                raise ConfigError("nothing to check: give TEXT arguments or --input FILE|-")
        else:
            raise ConfigError("nothing to check: give TEXT arguments or --input FILE|-")
        for item in items:
            source = "<stdin>" if input_path in (None, "-") else input_path
            item.category = _category(item.category, source=source, row=item.line)
            if item.product is not None:
                validate_product(item.product, source, row=item.line)
        default_product = read_product(product) if product is not None else None

        if locale is None and os.environ.get("LANG", "").lower().startswith("zh"):
            locale = "zh"
        checker = Checker(
            rules=[*settings.rules, *rules],
            allow=[*settings.allow, *allow],
            disabled=[*settings.disable, *disable],
            only_categories=[*settings.only_category, *only_category],
            locale=locale,
        )
        results = []
        console = None
        if fmt == "text":
            from rich.console import Console

            console = Console(highlight=False, soft_wrap=True)
        for item in items:
            item_product = item.product if item.product is not None else default_product
            result = checker.check(
                item.content,
                lang=item.lang or lang or settings.lang,
                category=item.category or category,
                platform=item.platform or platform,
                product=item_product,
            )
            results.append(result)
            if fmt == "jsonl":
                typer.echo(json.dumps(result_record(item, result), ensure_ascii=False))
            elif console is not None:
                from copygen.compliance.render import print_item

                print_item(console, item.id, item.content, result, _locale(locale, item, result))
        counts = summary(results)
        if fmt == "json":
            document = {
                "rules_hash": checker.rules_hash,
                "fail_on": threshold,
                "summary": counts,
                "items": [result_record(i, r) for i, r in zip(items, results, strict=True)],
            }
            typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        elif console is not None:
            from copygen.compliance.render import print_summary

            shown = locale or ("zh" if any(_is_zh(i) for i in items) else "en")
            print_summary(console, counts, shown, checker.rules_hash)
        code = exit_code_for(results, threshold)
        if code:
            raise typer.Exit(code)


def _category(
    value: str | None, *, source: str | None = None, row: int | None = None
) -> str | None:
    if value is None:
        return None
    from copygen.inputs.product import CATEGORIES, normalise_category

    canonical = normalise_category(value)
    if canonical == "other" and value.strip().lower() not in ("other", "其他", "其它"):
        raise InputError(
            f"unknown category {value!r}; expected one of {', '.join(CATEGORIES)} "
            "(or a Chinese name such as 美妆/食品/服饰/数码/母婴/家居)",
            file=source,
            row=row,
        )
    return canonical


def _is_zh(item: object) -> bool:
    from copygen.compliance.normalize import has_cjk

    content = getattr(item, "content", "")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return has_cjk(text)


def _locale(locale: str | None, item: object, result: object) -> str:
    if locale:
        return locale
    lang = getattr(item, "lang", None)
    if lang:
        return "zh" if lang.lower().startswith("zh") else "en"
    return "zh" if _is_zh(item) else "en"
