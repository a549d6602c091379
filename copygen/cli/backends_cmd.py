"""``copygen backends list``: which backends and config profiles can write copy."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer

from copygen.cli.common import settings_from


def register(app: typer.Typer) -> None:
    backends_app = typer.Typer(help="Model backends: list what is available.", no_args_is_help=True)

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
                "base_url": profile.get("base_url"),
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

    app.add_typer(backends_app, name="backends")


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
