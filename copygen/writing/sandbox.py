"""The Jinja2 sandbox the prompt templates run in, and the read-only data they get.

Templates are rendered in a ``SandboxedEnvironment`` with ``StrictUndefined`` and no
autoescaping; Jinja2 is imported only when an environment is made, so importing this
module stays cheap for commands that never render.

A custom template is code a user wrote, and the sandbox alone stops it from reaching
Python's internals, not from running forever or filling the memory (``'a' * 10**10``
is fine by Jinja). :func:`render_bounded` adds limits, each a :class:`RenderLimitError`:

- the rendered text: at most ``MAX_RENDER_CHARS`` characters, counted as it streams;
- time: ``RENDER_TIME_LIMIT`` seconds, checked on every call, operator and (every
  few hundred items) loop iteration, since for-loops are given a counting iterator;
- values: ``*``, ``+``, ``**`` and ``%`` refuse results (strings, lists, numbers)
  bigger than the text may be before making them; so do string padding methods and
  the ``center``/``indent`` filters; other calls and filters have their results
  checked; ``range`` (and ``lipsum``) stay within ``MAX_RANGE`` items.

Filters are never run at compile time (Jinja folds constant expressions), so a
limit is never bypassed by writing the expression with literals.
"""

from __future__ import annotations

import json
import math
import re
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "LIMITS_HINT",
    "MAX_RANGE",
    "MAX_RENDER_CHARS",
    "RENDER_TIME_LIMIT",
    "RenderLimitError",
    "render_bounded",
    "sandboxed_environment",
]

#: Characters one rendered template may produce: far more than any prompt needs
#: (a prompt is a few thousand), far less than what could hurt.
MAX_RENDER_CHARS = 256 * 1024
#: Seconds one template may take to render (a normal one takes milliseconds).
RENDER_TIME_LIMIT = 2.0
#: Items a ``range()`` may have; Jinja's own sandbox limit.
MAX_RANGE = 100_000
#: Said with every limit error, so the user learns all of them at once.
LIMITS_HINT = (
    f"a template may render at most {MAX_RENDER_CHARS:,} characters in "
    f"{RENDER_TIME_LIMIT:g} s, with range() of at most {MAX_RANGE:,} items"
)
# Bits of an integer an operator may produce (a 4096-bit number has 1,234 digits).
_MAX_INT_BITS = 4096
# A loop checks the clock once every this many items (a power of two minus one).
_LOOP_CHECK_MASK = 255

_PROXY_ATTRIBUTES = frozenset(dir(types.MappingProxyType))
# The end of the current render's time budget (None outside render_bounded).
_DEADLINE: ContextVar[float | None] = ContextVar("copygen_render_deadline", default=None)
# str methods whose integer argument is the length of the result.
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
# Filters whose width argument (first after the value) is added to every line.
_PADDING_FILTERS = frozenset({"center", "indent"})
# A width or precision in a %-format ("%999999999s") or a str.format spec ("{:>9999999}").
_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(\d+)(?:\.(\d+))?")
# The filters the parser puts after string-building expressions and around every
# for-loop's iterable (not valid names to write in a template, so no template can
# shadow or call them).
_SIZE_FILTER = "copygen.checked"
_LOOP_FILTER = "copygen.loop"
_FORMAT_WIDTH = re.compile(r"\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")


class RenderLimitError(Exception):
    """A template went over a limit: output too long, too slow, or a value too big."""


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """``template.render(context)`` within the time and size limits of this module."""
    token = _DEADLINE.set(time.monotonic() + RENDER_TIME_LIMIT)
    chunks = template.generate(context)
    try:
        parts: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_RENDER_CHARS:
                raise RenderLimitError(
                    f"the rendered text is longer than {MAX_RENDER_CHARS:,} characters"
                )
            parts.append(chunk)
        return "".join(parts)
    finally:
        if isinstance(chunks, types.GeneratorType):
            chunks.close()  # a render stopped by a limit ends here, not at garbage collection
        _DEADLINE.reset(token)


def _check_time() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise RenderLimitError(f"rendering took longer than {RENDER_TIME_LIMIT:g} s")


def _too_big(what: str) -> RenderLimitError:
    return RenderLimitError(f"{what} would make more than {MAX_RENDER_CHARS:,} characters")


def _check_size(value: Any) -> Any:
    """``value``, unless it is a string or collection bigger than a prompt may be."""
    if isinstance(value, _SIZED):
        if len(value) > MAX_RENDER_CHARS:
            raise RenderLimitError(
                f"a value of {len(value):,} characters or items (at most {MAX_RENDER_CHARS:,})"
            )
    elif isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise RenderLimitError(f"a number larger than {_MAX_INT_BITS} bits")
    return value


_SIZED = (str, bytes, list, tuple, dict)


def _int_bits(value: Any) -> float:
    return float(abs(value).bit_length()) if isinstance(value, int) else 0.0


def _check_binop(op: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be too big, before computing it."""
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            if (
                isinstance(seq, (str, bytes, list, tuple))
                and isinstance(times, int)
                and len(seq) * max(times, 0) > MAX_RENDER_CHARS
            ):
                raise _too_big(f"repeating a value {times:,} times")
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and _int_bits(left) + _int_bits(right) > _MAX_INT_BITS
        ):
            raise RenderLimitError(f"a number larger than {_MAX_INT_BITS} bits")
    elif op == "**":
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * math.log2(abs(left)) > _MAX_INT_BITS
        ):
            raise RenderLimitError(f"a number larger than {_MAX_INT_BITS} bits")
    elif op == "+":
        if (
            isinstance(left, (str, bytes, list, tuple))
            and isinstance(right, type(left))
            and len(left) + len(right) > MAX_RENDER_CHARS
        ):
            raise _too_big("joining two values")
    elif op == "%" and isinstance(left, str):
        _check_format_widths(left, _PERCENT_WIDTH)


def _check_format_widths(text: str, pattern: re.Pattern[str]) -> None:
    for match in pattern.finditer(text):
        for number in match.groups():
            if number is not None and int(number) > MAX_RENDER_CHARS:
                raise _too_big(f"a field width of {int(number):,}")


def _check_call(func: Any, args: tuple[Any, ...]) -> None:
    """Refuse calls whose result size is set by an argument that is too big."""
    target = getattr(func, "__wrapped__", func)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(target, "__name__", "")
    if name in _PADDING_METHODS:
        for arg in args:
            if isinstance(arg, int) and arg > MAX_RENDER_CHARS:
                raise _too_big(f"str.{name}({arg:,})")
    elif name in ("format", "format_map"):
        _check_format_widths(owner, _FORMAT_WIDTH)


def _guard_iter(iterable: Any) -> Any:
    """What a template's for-loop iterates: the same items, with the clock checked.

    The clock is checked as the loop starts, and then every few hundred items; a
    short container (most loops: selling points, fields) is left as it is, since
    its loop starts again, and checks again, before it could run long.
    """
    _check_time()
    try:
        if len(iterable) <= _LOOP_CHECK_MASK:
            return iterable
    except TypeError:
        pass  # no length: a generator, an iterator
    return _counted(iter(iterable))  # iter() now, so a bad value fails where it is used


def _counted(iterator: Iterator[Any]) -> Iterator[Any]:
    for count, item in enumerate(iterator):
        if not count & _LOOP_CHECK_MASK:
            _check_time()
        yield item


def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise RenderLimitError(f"range() of {len(values):,} items (at most {MAX_RANGE:,})")
    return values


def _bounded_lipsum(lipsum: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:
        if n * max > MAX_RANGE:
            raise RenderLimitError(f"lipsum() of more than {MAX_RANGE:,} words")
        return lipsum(n=n, html=html, min=min, max=max)

    return bounded


def sandboxed_environment(search_path: Sequence[Path]) -> jinja2.Environment:
    """The environment for the templates in ``search_path`` (earlier folders win)."""
    from jinja2 import FileSystemLoader, StrictUndefined

    # One FileSystemLoader with several folders: the first folder holding a name
    # wins, so a custom template overrides the built-in one of the same name.
    loader = FileSystemLoader([str(p) for p in search_path], encoding="utf-8")
    env = _bounded_sandbox_class()(
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
    env.filters = {name: _guarded_filter(name, func) for name, func in env.filters.items()}
    # Not wrapped: they are the checks. Folding them on literals at compile time is
    # harmless (no deadline then, and a literal is as small as the template).
    env.filters[_SIZE_FILTER] = _check_size
    env.filters[_LOOP_FILTER] = _guard_iter
    env.globals["range"] = _bounded_range
    env.globals["lipsum"] = _bounded_lipsum(env.globals["lipsum"])
    return env


@cache
def _bounded_sandbox_class() -> type[Any]:
    """The data sandbox with the limits of this module (made once: classes are not free)."""
    from jinja2 import nodes
    from jinja2.runtime import Macro
    from jinja2.sandbox import SandboxedEnvironment
    from jinja2.visitor import NodeTransformer

    class BoundedSandbox(_data_sandbox_class(SandboxedEnvironment)):  # type: ignore[misc]
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            result = self.binop_table[operator](left, right)
            # Only a %-format's size is not known beforehand (a "%*s" width, say).
            return _check_size(result) if operator == "%" else result

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            _check_time()
            if type(__obj) is not Macro:  # the common case: a macro sizes nothing
                _check_call(__obj, args)
            return _check_size(super().call(__context, __obj, *args, **kwargs))

        def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
            tree = super()._parse(source, name, filename)
            # Every for-loop iterates through _guard_iter, so that a loop whose body
            # calls nothing (nested loops over ranges) still meets the clock.
            for loop in list(tree.find_all(nodes.For)):
                loop.iter = nodes.Filter(
                    loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno
                )
            # `a ~ b` and {% set x %}...{% endset %} build strings without any call an
            # operator hook sees; a size check after each keeps a doubling loop from
            # growing past twice the limit.
            for block in list(tree.find_all(nodes.AssignBlock)):
                block.filter = _checked(block.filter, block.lineno)
            _CheckConcat().visit(tree)
            tree.set_environment(self)
            return tree

    def _checked(node: Any, lineno: int) -> Any:
        return nodes.Filter(node, _SIZE_FILTER, [], [], None, None, lineno=lineno)

    class _CheckConcat(NodeTransformer):
        def visit_Concat(self, node: Any) -> Any:
            return _checked(self.generic_visit(node), node.lineno)

    return BoundedSandbox


def _guarded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with the clock checked and its result size-checked.

    The wrapper takes the render context, which also keeps Jinja from running the
    filter at compile time on literal arguments, out of reach of every limit.
    """
    from jinja2 import pass_context
    from jinja2.utils import _PassArg

    passes = _PassArg.from_obj(func)

    @pass_context
    def guarded(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        _check_time()
        if name in _PADDING_FILTERS:
            width = args[0] if args else kwargs.get("width")
            if isinstance(width, int) and width > MAX_RENDER_CHARS:
                raise _too_big(f"the {name} filter with width {width:,}")
        elif name == "format" and isinstance(value, str):
            _check_format_widths(value, _PERCENT_WIDTH)
        if passes is _PassArg.context:
            result = func(context, value, *args, **kwargs)
        elif passes is _PassArg.eval_context:
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes is _PassArg.environment:
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        return _check_size(result)

    guarded.__name__ = getattr(func, "__name__", name)
    guarded.__doc__ = getattr(func, "__doc__", None)
    return guarded


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
