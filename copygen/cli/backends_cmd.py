"""``copygen backends list``: which backends and config profiles can write copy."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer

from copygen.cli.common import settings_from
from copygen.config import redact_url


def register(app: typer.Typer) -> None:
    backends_app = typer.Typer(
        help="Model backends: list them, test a connection.", no_args_is_help=True
    )

    @backends_app.command("list")
    def list_(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the backends (built-in and plugins) and the config's backend profiles."""
        from copygen.backends.registry import backend_infos

        infos = backend_infos()
        settings = settings_from(ctx)
        profiles = [
            {
                "name": name,
                "type": str(profile.get("type", "openai")),
                "model": profile.get("model"),
                "base_url": redact_url(profile.get("base_url")),
                "api_key_env": profile.get("api_key_env"),
            }
            for name, profile in settings.backends.items()
        ]
        if as_json:
            data = {"backends": [info.to_dict() for info in infos], "profiles": profiles}
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return

        rows: list[tuple[str, ...]] = [("NAME", "KIND", "SOURCE", "DESCRIPTION")]
        for info in infos:
            item = info.to_dict()
            description = item["description"] if info.error is None else f"error: {info.error}"
            rows.append((info.name, item["kind"] or "-", info.source, description))
        typer.echo(_table(rows))
        if profiles:
            where = f" ({settings.config_file})" if settings.config_file else ""
            typer.echo(f"\nProfiles{where}; select with --backend NAME:")
            prow: list[tuple[str, ...]] = [("NAME", "TYPE", "MODEL", "BASE URL", "KEY FROM")]
            for p in profiles:
                prow.append(
                    (
                        str(p["name"]),
                        str(p["type"]),
                        str(p["model"] or "-"),
                        str(p["base_url"] or "(default)"),
                        f"${p['api_key_env']}" if p["api_key_env"] else "-",
                    )
                )
            typer.echo(_table(prow))
        current = settings.backend_profile or settings.backend
        typer.echo(f"\nCurrent: {current}")

    @backends_app.command("test")
    def test(
        ctx: typer.Context,
        backend: str | None = typer.Option(
            None, "--backend", "-b", help="Backend or config profile (default: the config's)."
        ),
        model: str | None = typer.Option(None, "--model", "-m", help="Model name."),
        base_url: str | None = typer.Option(
            None, "--base-url", help="Base URL of an OpenAI-compatible server."
        ),
        timeout: float | None = typer.Option(None, "--timeout", help="Seconds per request."),
        allow_insecure: bool | None = typer.Option(
            None,
            "--allow-insecure/--no-allow-insecure",
            help="Allow sending an API key over plain http to a non-loopback host.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Send one tiny request to check the URL, key and model before a big run."""
        import asyncio

        from copygen.backends.registry import create_backend, probe, probe_dict, probe_summary

        settings = settings_from(
            ctx,
            backend=backend,
            model=model,
            base_url=base_url,
            timeout=timeout,
            allow_insecure=allow_insecure,
        )
        instance = create_backend(settings)
        if not instance.remote:
            typer.echo(f"ok: {instance.name} is a local backend; nothing leaves this machine")
            return
        result = asyncio.run(probe(instance))
        if as_json:
            typer.echo(json.dumps(probe_dict(result), ensure_ascii=False, indent=2))
        else:
            typer.echo(probe_summary(result))

    app.add_typer(backends_app, name="backends")


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
