"""``copygen templates list|show|render``: inspect prompts before any money is spent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from copygen.cli.common import map_option, settings_from
from copygen.errors import ConfigError, InputError

if TYPE_CHECKING:
    from copygen.config import Settings
    from copygen.inputs.product import Product
    from copygen.writing.prompts import PromptBuilder, RenderedPrompt

_TEMPLATES_HELP = "Your templates folder; same names override the built-in ones."


def _opt(path: Path | None) -> str | None:
    # Settings parse option values from text, like values from the config file.
    return None if path is None else str(path)


def register(app: typer.Typer) -> None:
    templates_app = typer.Typer(
        help="List, show and render the prompt templates.", no_args_is_help=True
    )
    templates_app.command("list")(list_cmd)
    templates_app.command("show")(show_cmd)
    templates_app.command("render")(render_cmd)
    app.add_typer(templates_app, name="templates")


def list_cmd(
    ctx: typer.Context,
    templates: Path | None = typer.Option(None, "--templates", help=_TEMPLATES_HELP),
) -> None:
    """List the templates in use: name, kind, built-in or custom, and file."""
    from copygen.writing.prompts import PromptBuilder

    builder = PromptBuilder(settings=settings_from(ctx, templates=_opt(templates)))
    infos = builder.list_templates()
    rows = [
        (
            info.name,
            info.kind,
            "custom (overrides built-in)" if info.overrides_builtin else info.origin,
            str(info.path),
        )
        for info in infos
    ]
    header = ("NAME", "KIND", "ORIGIN", "PATH")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        typer.echo(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        )


def show_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="A platform (livestream, social, detail), system, repair or a file name."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language for a platform name (default zh)."
    ),
    templates: Path | None = typer.Option(None, "--templates", help=_TEMPLATES_HELP),
) -> None:
    """Print a template's source."""
    from copygen.writing.prompts import PromptBuilder

    settings = settings_from(ctx, templates=_opt(templates), lang=lang)
    builder = PromptBuilder(settings=settings)
    resolved = builder.resolve_name(name, settings.lang or "zh")
    typer.echo(f"# {resolved}: {builder.template_path(resolved)}", err=True)
    typer.echo(builder.template_source(resolved).rstrip("\n"))


def render_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(
        ...,
        help="A platform (livestream, social, detail), repair, judge, or a template file name.",
    ),
    input_path: Path = typer.Option(
        ..., "--input", "-i", help="Product file (CSV, XLSX or JSONL)."
    ),
    row: int = typer.Option(1, "--row", "-r", help="1-based data row of the product file."),
    columns: list[str] | None = map_option(),
    lang: str | None = typer.Option(
        None, "--lang", help="Language to write in (default: the row's lang, else zh)."
    ),
    variant: int = typer.Option(1, "--variant", help="Variant number (1-based)."),
    templates: Path | None = typer.Option(None, "--templates", help=_TEMPLATES_HELP),
    output_format: str = typer.Option("text", "--format", help="text or json."),
    platform: str | None = typer.Option(
        None, "--platform", help="For NAME repair: the platform of the draft."
    ),
    draft: Path | None = typer.Option(
        None,
        "--draft",
        help="For NAME repair: a JSON file with the draft's fields; it is checked and "
        "the repair request for its findings is printed. For NAME judge: the fields "
        "the judge reads.",
    ),
    text: str | None = typer.Option(
        None, "--text", help="For NAME judge: a text to judge (instead of --draft)."
    ),
) -> None:
    """Print the exact messages that would be sent for one row; calls no backend."""
    from copygen.inputs.product_files import product_at
    from copygen.writing.prompts import PromptBuilder

    if output_format not in ("text", "json"):
        raise ConfigError(f"--format must be text or json, got {output_format!r}")
    if variant < 1:
        raise ConfigError(f"--variant must be 1 or more, got {variant}")
    settings = settings_from(ctx, templates=_opt(templates), lang=lang, columns=columns or None)
    # Built before the product file is read: a bad templates folder is reported first.
    builder = PromptBuilder(settings=settings)

    def warn(message: str) -> None:
        typer.echo(f"copygen: warning: {message}", err=True)

    product = product_at(
        input_path,
        row,
        on_warning=warn,
        max_cell_chars=settings.max_cell_chars,
        columns=settings.columns,
    )
    rendered = _rendered(
        builder,
        settings,
        product,
        name,
        platform=platform,
        draft=draft,
        text=text,
        variant=variant,
    )
    if rendered is None:
        typer.echo("copygen: the draft has no findings: no repair would be sent", err=True)
        return
    _print_rendered(rendered, product, output_format)


def _rendered(
    builder: PromptBuilder,
    settings: Settings,
    product: Product,
    name: str,
    *,
    platform: str | None,
    draft: Path | None,
    variant: int,
    text: str | None = None,
) -> RenderedPrompt | None:
    """The messages ``templates render NAME`` prints; None for a draft with no findings."""
    from copygen.platforms import PLATFORM_NAMES
    from copygen.writing.languages import normalise_lang, resolve_lang

    if name in PLATFORM_NAMES:
        return builder.render(
            product,
            platform=name,
            lang=resolve_lang(product, settings),
            variant=variant,
        )
    resolved = builder.resolve_name(name, resolve_lang(product, settings))
    parts = resolved.split(".")
    # social.en.j2 writes English unless --lang says otherwise.
    file_lang = parts[1] if len(parts) == 3 else None
    chosen = normalise_lang(settings.lang or file_lang or resolve_lang(product, settings))
    if parts[0] == "repair":
        return _repair_preview(
            settings, product, platform=platform, draft=draft, lang=chosen, variant=variant
        )
    if parts[0] == "judge":
        return _judge_preview(
            builder, resolved, product, platform=platform, draft=draft, text=text, lang=chosen
        )
    return builder.render_with(resolved, product, lang=chosen, variant=variant)


def _print_rendered(rendered: RenderedPrompt, product: Product, output_format: str) -> None:
    if output_format == "json":
        data = rendered.to_dict()
        data["product"] = {"source": product.source, "row": product.row, "sku": product.sku}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"# template: {rendered.template} (uses {', '.join(rendered.templates)})")
    typer.echo(f"# template_hash: {rendered.template_hash}")
    typer.echo(
        f"# product: {product.source} row {product.row}, sku {product.sku};"
        f" platform {rendered.platform}; lang {rendered.lang}; variant {rendered.variant}"
    )
    for message in rendered.messages:
        typer.echo(f"=== {message['role']} ===")
        typer.echo(message["content"].rstrip("\n"))


def _repair_preview(
    settings: Settings,
    product: Product,
    *,
    platform: str | None,
    draft: Path | None,
    lang: str,
    variant: int,
) -> RenderedPrompt | None:
    """Check a draft as the pipeline would and render the repair request for it."""
    from copygen.compliance.engine import Checker
    from copygen.platforms import PLATFORM_NAMES
    from copygen.writing.prompts import PromptBuilder

    if platform not in PLATFORM_NAMES:
        raise ConfigError(
            f"rendering repair needs --platform ({', '.join(PLATFORM_NAMES)}) and --draft FILE"
        )
    if draft is None:
        raise ConfigError("rendering repair needs --draft FILE (a JSON object of the fields)")
    fields = _read_draft(draft)
    checker = Checker.from_settings(settings)
    result = checker.check(fields, lang=lang, platform=platform, product=product)
    if not result.findings:
        return None
    builder = PromptBuilder(settings=settings, ruleset=checker.ruleset)
    return builder.render_repair(
        product,
        platform=platform,
        lang=lang,
        variant=variant,
        previous_fields=fields,
        findings=[finding.to_dict() for finding in result.findings],
    )


def _judge_preview(
    builder: PromptBuilder,
    name: str,
    product: Product,
    *,
    platform: str | None,
    draft: Path | None,
    text: str | None,
    lang: str,
) -> RenderedPrompt:
    """The request the LLM judge would get for a draft (or a text) of this row."""
    if (draft is None) == (text is None):
        raise ConfigError("rendering judge needs --draft FILE (the fields) or --text TEXT")
    content: str | dict[str, Any] = _read_draft(draft) if draft is not None else str(text)
    return builder.render_judge(content, lang=lang, platform=platform, product=product, name=name)


def _read_draft(draft: Path) -> dict[str, Any]:
    try:
        fields = json.loads(draft.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError("file not found", file=draft) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=draft) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", file=draft, row=exc.lineno) from None
    if not isinstance(fields, dict):
        raise InputError("expected a JSON object of the draft's fields", file=draft)
    return fields
