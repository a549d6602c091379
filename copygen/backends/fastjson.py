"""JSON on the hot path: orjson where it is installed (a dependency), else the standard
library, with the same results either way.

Every request body of a run is serialised and every reply and result record parsed
once or more; orjson does both several times faster than ``json``. It is stricter in
a few corners (no ``NaN``/``Infinity`` literals, integers past 64 bits, non-string
keys), and there the standard library takes over, so the accelerator does not change
what is accepted. One difference is left: a ``NaN`` float in a request body is sent
as ``null`` by orjson (``json`` refuses it); no setting copygen sends can be NaN.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FAST", "dumps_body", "loads"]

_orjson: Any
try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this is the fallback
    _orjson = None

#: Whether orjson is in use.
FAST = _orjson is not None


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """``json.loads``, faster; raises ValueError for text that is not JSON."""
    if _orjson is not None:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass  # NaN, Infinity, huge integers: the standard library reads those
    if isinstance(data, memoryview):
        data = data.tobytes()
    return json.loads(data)


def dumps_body(obj: Any) -> bytes:
    """A request body as compact UTF-8 JSON (what the openai client itself sends:
    no ASCII escapes, no NaN); ValueError/TypeError for what cannot be JSON."""
    if _orjson is not None:
        try:
            return _orjson.dumps(obj)
        except TypeError:
            pass  # a type orjson does not take (a big integer, a non-string key, ...)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )
