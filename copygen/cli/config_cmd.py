"""``copygen config show`` and ``copygen init``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from copygen.cli.common import settings_from
from copygen.errors import ConfigError
from copygen.generate.manifest import DEFAULT_MAX_REPAIRS

if TYPE_CHECKING:
    from copygen.config import Settings

#: What the run does with a setting nobody set that has no value of its own.
_UNSET: dict[str, str] = {
    "backend_profile": "none",
    "model": "none (give --model, or model: in the config)",
    "api_key": "not set",
    "judge_api_key": "not set",
    "seed": "none",
    "rpm": "none (no limit)",
    "lang": "the row's lang, else zh",
    "audit": "OUTDIR/audit.jsonl",
    "audit_key_file": "none",
    "config_file": "none (no config file found)",
}
#: Settings that are not settings of their own, and so have no source.
_DERIVED = ("backend_profile", "judge_profile", "judge_api_key", "config_file")


def effective_settings(settings: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    """Every setting as a run would use it, secrets masked: a default is spelled out
    (``max_repairs: 1``, ``max_tokens: auto``, the judge's backend and model), never
    ``None``; and where each came from (``option``, ``env X``, ``config FILE``,
    ``default``)."""
    from dataclasses import fields

    from copygen.config import SCALARS, Settings

    data = settings.public_dict()
    pristine = Settings().public_dict()
    sources: dict[str, str] = {}
    for f in fields(settings):
        name = f.name
        if name == "sources" or name in _DERIVED:
            continue
        if name in settings.sources:
            sources[name] = settings.sources[name]
        elif name not in SCALARS and data[name] != pristine[name] and settings.config_file:
            sources[name] = f"config {settings.config_file}"  # a section of the file
        else:
            sources[name] = "default"
    if settings.backend_profile is not None:
        sources["backend_profile"] = sources.get("backend", "default")
    for name, (value, how) in _defaults(settings).items():
        if data.get(name) is None:
            data[name] = value
            if sources.get(name) == "default" and how:
                sources[name] = f"default ({how})"
    for price in data["prices"].values():
        if price.get("cached_input") is None:
            price["cached_input"] = price.get("input")  # None: the input price
    for name, value in data.items():
        data[name] = _UNSET.get(name, "none") if value is None else _spelled(value)
    return data, sources


def _spelled(value: Any) -> Any:
    """``value`` with every None inside it (a profile's ``seed: null``) as ``none``."""
    if isinstance(value, dict):
        return {k: _spelled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spelled(v) for v in value]
    return "none" if value is None else value


def _defaults(settings: Settings) -> dict[str, tuple[Any, str]]:
    """The value a run uses for each setting left at None, and how it is chosen."""
    from copygen.backends.cache import default_cache_dir
    from copygen.resources import data_dirs

    offline = settings.backend == "offline"
    out: dict[str, tuple[Any, str]] = {
        "max_tokens": ("auto", "sized from the platform's limits"),
        "max_repairs": (DEFAULT_MAX_REPAIRS, ""),
        "fail_on": ("never for generate, warn for check", ""),
        "templates": (str(data_dirs()["templates"]), "the built-in templates"),
        "cache_dir": (str(default_cache_dir()), "the user cache folder"),
    }
    if offline:
        out["model"] = ("offline", "the offline backend")
        out["base_url"] = ("none (the offline backend needs no server)", "")
    elif settings.backend == "openai":
        from copygen.backends.openai_compat import DEFAULT_BASE_URL

        out["base_url"] = (DEFAULT_BASE_URL, "the openai backend's")
    judge = _judge(settings)
    out["judge_backend"] = (judge[0], "the run's backend")
    if judge[1] is not None:
        out["judge_model"] = (judge[1], "the judge backend's model")
    if judge[2] is not None:
        out["judge_base_url"] = (judge[2], "the judge backend's server")
    return out


def _judge(settings: Settings) -> tuple[str, str | None, str | None]:
    """The judge's backend, model and server when the settings leave them to the run."""
    from copygen.config import redact_url
    from copygen.judge.setup import judge_backend_settings

    backend = settings.judge_backend or settings.backend_profile or settings.backend
    try:
        judge = judge_backend_settings(settings)
    except ConfigError:  # the offline backend cannot judge: say what it would be
        return backend, "offline" if settings.backend == "offline" else settings.model, None
    base_url = judge.base_url
    if base_url is None and judge.backend == "openai":
        from copygen.backends.openai_compat import DEFAULT_BASE_URL

        base_url = DEFAULT_BASE_URL
    return backend, judge.model, redact_url(base_url)


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
        """Print the effective settings, defaults spelled out and secrets masked."""
        import yaml

        from copygen.resources import data_dirs

        settings = settings_from(ctx)
        data, where = effective_settings(settings)
        data["data_dirs"] = {name: str(path) for name, path in data_dirs().items()}
        if sources:
            data["sources"] = where
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
