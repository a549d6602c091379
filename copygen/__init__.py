"""copygen: batch e-commerce marketing copy, checked and audited.

The public API is imported lazily so that ``copygen check "..."`` called once per
text from a script does not pay for modules it never uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; filled in as the library grows.
_LAZY: dict[str, str] = {
    "Settings": "copygen.config",
    "load_settings": "copygen.config",
    "CopygenError": "copygen.errors",
    "ExitCode": "copygen.errors",
    "Checker": "copygen.compliance.engine",
    "check": "copygen.compliance.engine",
    "CheckResult": "copygen.compliance.findings",
    "Finding": "copygen.compliance.findings",
}

if TYPE_CHECKING:
    from copygen.compliance.engine import Checker, check
    from copygen.compliance.findings import CheckResult, Finding
    from copygen.config import Settings, load_settings
    from copygen.errors import CopygenError, ExitCode

__all__ = [
    "CheckResult",
    "Checker",
    "CopygenError",
    "ExitCode",
    "Finding",
    "Settings",
    "__version__",
    "check",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'copygen' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
