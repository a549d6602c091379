"""The Jinja2 sandbox the prompt templates run in, and the read-only data they get.

Templates are rendered in a ``SandboxedEnvironment`` with ``StrictUndefined`` and no
autoescaping; Jinja2 is imported only when an environment is made, so importing this
module stays cheap for commands that never render.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

_PROXY_ATTRIBUTES = frozenset(dir(types.MappingProxyType))


def sandboxed_environment(search_path: Sequence[Path]) -> jinja2.Environment:
    """The environment for the templates in ``search_path`` (earlier folders win)."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # One FileSystemLoader with several folders: the first folder holding a name
    # wins, so a custom template overrides the built-in one of the same name.
    loader = FileSystemLoader([str(p) for p in search_path], encoding="utf-8")
    env = _data_sandbox_class(SandboxedEnvironment)(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["tojson"] = _tojson
    return env


def _data_sandbox_class(base: type[Any]) -> type[Any]:
    """``base`` (Jinja's SandboxedEnvironment) with a faster ``obj.name`` on context data.

    Template data are read-only mappings (MappingProxyType), and ``product.title``
    on one first tries the attribute, which fails with an exception, and then the
    key. A proxy has no attributes besides those of its type, so for any other name
    the attempt can be skipped: the outcome (the value, or undefined) is the same,
    and every other object still goes through the sandbox's own checks.
    """

    class DataSandbox(base):
        def getattr(self, obj: Any, attribute: str) -> Any:
            if (
                type(obj) is types.MappingProxyType
                and type(attribute) is str
                and attribute not in _PROXY_ATTRIBUTES
            ):
                try:
                    return obj[attribute]
                except (TypeError, LookupError):
                    return self.undefined(obj=obj, name=attribute)
            return super().getattr(obj, attribute)

    return DataSandbox


def _readonly(value: Any) -> Any:
    """Nested plain data a template can read but not change (the sandbox forbids
    mutating methods on these, and a builder reuses nothing between renders anyway)."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: _readonly(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_readonly(v) for v in value)
    return value


def _tojson(value: Any, indent: int | None = None) -> str:
    """JSON without ASCII escapes (Jinja's own tojson escapes HTML characters)."""
    return json.dumps(_plain(value), ensure_ascii=False, indent=indent)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
