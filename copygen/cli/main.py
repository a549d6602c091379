"""The ``copygen`` application: global options, error handling, command registration.

Command modules import heavy libraries inside their functions, not at module top,
so that ``copygen check "..."`` starts fast. For the same reason :func:`main` imports
only the module of the command on the command line (``COMMANDS``); ``app``, the
application with every command, is built when first asked for.
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

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _light_coercion(self, ctx, own_context=True)
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            _light_coercion(command, ctx)
        return name, command, rest

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


_app = typer.Typer(
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


@_app.callback()
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
    "merge_cmd",
    "compare_cmd",
    "check",
    "rules_cmd",
    "templates_cmd",
    "backends_cmd",
    "review_cmd",
    "export_cmd",
    "report_cmd",
    "serve_cmd",
    "audit_cmd",
    "batch_cmd",
)

#: Command name -> the module in COMMAND_MODULES registering it. Only a shortcut: with
#: the command's name here, ``copygen NAME ...`` imports that one module; a name not
#: here (or no name: --help) imports them all. tests/test_check_startup.py checks it.
COMMANDS: dict[str, str] = {
    "config": "config_cmd",
    "init": "config_cmd",
    "generate": "generate",
    "merge": "merge_cmd",
    "compare": "compare_cmd",
    "check": "check",
    "rules": "rules_cmd",
    "templates": "templates_cmd",
    "backends": "backends_cmd",
    "review": "review_cmd",
    "export": "export_cmd",
    "report": "report_cmd",
    "serve": "serve_cmd",
    "audit": "audit_cmd",
    "batch": "batch_cmd",
}

_registered: set[str] = set()


def _register(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """``_app`` with the commands of ``modules`` (in COMMAND_MODULES order) registered."""
    import importlib

    for name in COMMAND_MODULES:
        if name in modules and name not in _registered:
            _registered.add(name)
            importlib.import_module(f"copygen.cli.{name}").register(_app)
    return _app


def _command_word(args: list[str]) -> str | None:
    """The command named on a command line, after the global options; None when there
    is none or an option is not one of them (--help, --version, a typo)."""
    position = 0
    while position < len(args):
        arg = args[position]
        if arg in ("--config", "-c"):
            position += 2
        elif arg == "--debug" or arg.startswith("--config="):
            position += 1
        elif arg.startswith("-c") and not arg.startswith("--"):
            position += 1  # -cFILE
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


def __getattr__(name: str) -> Any:
    # ``app``: the application with every command, for tests and embedding.
    if name == "app":
        return _register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- parameter coercion ----------------------------------------------------------------


class _LightCoercion:
    """typer coerces every parameter's value, given or not, through a pydantic
    ``TypeAdapter``; building the first one imports pydantic (some 50 ms, a sixth of
    ``copygen check "..."``). The values a command line gives most (nothing, a string,
    strings) come back here exactly as typer's coercion returns them; any other value
    goes to typer's own, built on first use. (tests/test_check_startup.py compares the
    two on every parameter of every command.)"""

    __slots__ = ("_descriptor", "_kind", "_typer")

    def __init__(self, descriptor: Any, kind: str | None) -> None:
        self._descriptor = descriptor
        self._kind = kind  # "str", "list[str]" or None: another type
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        kind = self._kind
        if kind == "str" and not multi and type(value) is str:
            return value
        if (
            kind == "list[str]"
            and multi
            and type(value) in (list, tuple)
            and all(type(v) is str for v in value)
        ):
            return list(value)
        return self.typer_coercion().coerce(value, param=param, ctx=ctx)

    def typer_coercion(self) -> Any:
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(self._descriptor)
        return self._typer


def _light_coercion(
    command: Any, ctx: Any, *, own_context: bool = False, help_names: bool = True
) -> None:
    """Give the parameters of ``command`` (and of its subcommands) the light coercion,
    where typer has not built its own yet. ``ctx``: the context ``command`` runs in
    (``own_context``: then its subcommands are left for later), or an ancestor's whose
    help option names it inherits (``help_names``)."""
    from typing import get_args, get_origin

    params = list(getattr(command, "params", ()))
    # The help option is made on first use, for the command's context; its names come
    # from ``ctx`` unless the command (or a group above it) sets its own.
    settings = getattr(command, "context_settings", None) or {}
    help_names = own_context or (help_names and "help_option_names" not in settings)
    if help_names and hasattr(command, "get_help_option"):
        help_option = command.get_help_option(ctx)
        if help_option is not None:
            params.append(help_option)
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue
        kind = None
        info = getattr(descriptor, "parameter_info", None)
        plain = (
            info is not None
            and getattr(info, "parser", None) is None
            and getattr(descriptor, "file_annotation", None) is None
        )
        annotation = getattr(descriptor, "annotation", None)
        if plain and annotation is str:
            kind = "str"
        elif plain and get_origin(annotation) is list and get_args(annotation) == (str,):
            kind = "list[str]"
        param._runtime_param = _LightCoercion(descriptor, kind)
    if not own_context:
        for sub in getattr(command, "commands", {}).values():
            _light_coercion(sub, ctx, help_names=help_names)


def main() -> None:
    name = _command_word(sys.argv[1:])
    module = COMMANDS.get(name) if name is not None else None
    app = _register((module,) if module is not None else COMMAND_MODULES)
    app(prog_name="copygen")


if __name__ == "__main__":
    main()
