"""The ``copygen`` application: global options, error handling, command registration.

Command modules import heavy libraries inside their functions, not at module top,
so that ``copygen check "..."`` starts fast.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from copygen import __version__
from copygen.errors import CopygenError, ExitCode
from copygen.terminal import visible


def _debug_enabled(ctx: Any) -> bool:
    obj = getattr(ctx, "obj", None)
    if isinstance(obj, dict) and obj.get("debug"):
        return True
    return os.environ.get("COPYGEN_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


class CopygenGroup(TyperGroup):
    """Turns copygen's exceptions into one line on stderr and the contracted exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CopygenError as exc:
            if _debug_enabled(ctx):
                traceback.print_exc(file=sys.stderr)
            # visible(): a file name or cell in the message must not drive the terminal.
            typer.echo(f"copygen: error: {visible(str(exc))}", err=True)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("copygen: interrupted", err=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # stdout closed by the reader (| head): click exits quietly
            # A file operation the library did not expect to fail (a full disk, a
            # read-only or forbidden folder): still one line naming the file.
            if _debug_enabled(ctx):
                traceback.print_exc(file=sys.stderr)
            typer.echo(f"copygen: error: {visible(_os_error_line(exc))}", err=True)
            raise typer.Exit(int(ExitCode.USAGE)) from None


def _os_error_line(exc: OSError) -> str:
    from copygen.files.atomic import describe_os_error, os_error_hint

    text = describe_os_error(exc)
    if exc.filename is not None:
        text = f"{exc.filename}: {text}"
    hint = os_error_hint(exc)
    return f"{text} ({hint})" if hint else text


app = typer.Typer(
    cls=CopygenGroup,
    name="copygen",
    help="Batch e-commerce marketing copy, checked against advertising law and platform rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"copygen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    config: str | None = typer.Option(
        None,
        "--config",
        "-c",
        help="Config file (default: $COPYGEN_CONFIG, ./copygen.yaml, "
        "~/.config/copygen/config.yaml).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks (also COPYGEN_DEBUG=1)."),
) -> None:
    ctx.obj = {"config": config, "debug": debug}


# One module per command group, each exposing register(app); imported here so that
# the modules themselves stay free of import-time side effects.
COMMAND_MODULES: tuple[str, ...] = (
    "config_cmd",
    "generate",
    "compare_cmd",
    "check",
    "rules_cmd",
    "templates_cmd",
    "backends_cmd",
    "review_cmd",
    "export_cmd",
    "report_cmd",
    "audit_cmd",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"copygen.cli.{name}").register(app)


_register()


def main() -> None:
    app(prog_name="copygen")


if __name__ == "__main__":
    main()
