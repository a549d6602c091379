"""``copygen config show`` and ``copygen init``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from copygen.cli.common import settings_from
from copygen.errors import ConfigError


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)

    @config_app.command("show")
    def show(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of YAML."),
        sources: bool = typer.Option(
            False, "--sources", help="Also say where each value came from."
        ),
    ) -> None:
        """Print the effective settings, secrets masked."""
        import yaml

        from copygen.resources import data_dirs

        settings = settings_from(ctx)
        data = settings.public_dict()
        data["data_dirs"] = {name: str(path) for name, path in data_dirs().items()}
        if sources:
            data["sources"] = dict(settings.sources)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            typer.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False).rstrip())

    app.add_typer(config_app, name="config")

    @app.command("init")
    def init(
        path: Path = typer.Argument(Path("copygen.yaml"), help="Where to write the config file."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    ) -> None:
        """Write a commented copygen.yaml to start from."""
        from importlib.resources import files

        if path.exists() and not force:
            raise ConfigError("already exists; use --force to overwrite", file=path)
        text = files("copygen").joinpath("config_template.yaml").read_text(encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")
