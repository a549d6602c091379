"""Which backends exist: the built-ins and third-party plugins.

A plugin is a distribution that declares an entry point in the group
``copygen.backends``, for example in its ``pyproject.toml``::

    [project.entry-points."copygen.backends"]
    mymodel = "copygen_mymodel:MyBackend"

The class must subclass ``copygen.backends.base.Backend``; ``--backend mymodel`` then
selects it. A plugin that fails to import is listed with its error and does not stop
copygen from working; a built-in name cannot be taken over by a plugin.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

from copygen.backends.base import Backend, Completion
from copygen.config import redact_url
from copygen.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from copygen.config import Settings

ENTRY_POINT_GROUP = "copygen.backends"
#: Built-ins by dotted path, imported only when asked for: a broken one does not break
#: the others, and ``copygen check`` never pays for importing the openai client.
BUILTINS: dict[str, str] = {
    "offline": "copygen.backends.offline:OfflineBackend",
    "openai": "copygen.backends.openai_compat:OpenAIBackend",
}


@dataclass(frozen=True)
class BackendInfo:
    """One backend as ``copygen backends list`` shows it."""

    name: str
    source: str  # "built-in" or "<distribution> <version>"
    cls: type[Backend] | None  # None when it could not be loaded
    error: str | None = None

    @property
    def remote(self) -> bool | None:
        return None if self.cls is None else bool(self.cls.remote)

    @property
    def description(self) -> str:
        if self.cls is None:
            return ""
        text = self.cls.description or (self.cls.__doc__ or "").strip().split("\n", 1)[0]
        return text.strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": None if self.remote is None else ("remote" if self.remote else "local"),
            "description": self.description,
            "source": self.source,
            "error": self.error,
        }


def _load_dotted(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def _check_class(obj: Any) -> type[Backend]:
    if not (isinstance(obj, type) and issubclass(obj, Backend)):
        raise TypeError(f"{obj!r} is not a subclass of copygen.backends.base.Backend")
    return obj


def _describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def _distribution_label(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "plugin"
    name = dist.metadata["Name"] if dist.metadata is not None else None
    return f"{name or 'plugin'} {dist.version}".strip()


def backend_infos(
    *, entry_points: Callable[[], Iterable[metadata.EntryPoint]] | None = None
) -> list[BackendInfo]:
    """Every backend, loaded or not: built-ins first, then plugins by name."""
    infos: list[BackendInfo] = []
    for name, path in BUILTINS.items():
        try:
            infos.append(BackendInfo(name, "built-in", _check_class(_load_dotted(path))))
        except Exception as exc:  # a broken built-in is reported, not fatal
            infos.append(BackendInfo(name, "built-in", None, _describe_error(exc)))
    seen = set(BUILTINS)
    try:
        eps = sorted((entry_points or _entry_points)(), key=lambda ep: ep.name)
    except Exception as exc:  # broken package metadata must not stop copygen
        infos.append(BackendInfo("?", "plugins", None, _describe_error(exc)))
        return infos
    for ep in eps:
        source = _distribution_label(ep)
        if ep.name in seen:
            infos.append(
                BackendInfo(
                    ep.name, source, None, f"name {ep.name!r} is already taken; plugin ignored"
                )
            )
            continue
        seen.add(ep.name)
        try:
            infos.append(BackendInfo(ep.name, source, _check_class(ep.load())))
        except Exception as exc:
            infos.append(BackendInfo(ep.name, source, None, _describe_error(exc)))
    return infos


def available_backends(
    *, entry_points: Callable[[], Iterable[metadata.EntryPoint]] | None = None
) -> dict[str, type[Backend]]:
    """Name -> class of every backend that loads."""
    return {
        info.name: info.cls
        for info in backend_infos(entry_points=entry_points)
        if info.cls is not None
    }


def create_backend(
    settings: Settings,
    *,
    entry_points: Callable[[], Iterable[metadata.EntryPoint]] | None = None,
) -> Backend:
    """The backend ``settings.backend`` names, built from the settings.

    Unknown names raise ``ConfigError`` listing the available ones; a backend that
    exists but cannot be loaded raises ``ConfigError`` with the import error.
    """
    name = settings.backend
    if name in BUILTINS:
        # Load only the one asked for: a broken sibling must not matter.
        try:
            cls = _check_class(_load_dotted(BUILTINS[name]))
        except Exception as exc:
            raise ConfigError(
                f"backend {name!r} cannot be loaded: {_describe_error(exc)}"
            ) from None
        return cls.from_settings(settings)
    infos: dict[str, BackendInfo] = {}
    for item in backend_infos(entry_points=entry_points):
        infos.setdefault(item.name, item)  # the first of a name wins, as in the listing
    info = infos.get(name)
    if info is None:
        usable = sorted(n for n, i in infos.items() if i.cls is not None)
        profiles = sorted(settings.backends)
        hint = f"available: {', '.join(usable) or 'none'}"
        if profiles:
            hint += f"; profiles in the config: {', '.join(profiles)}"
        raise ConfigError(f"unknown backend {name!r}", hint=hint)
    if info.cls is None:
        raise ConfigError(f"backend {name!r} ({info.source}) cannot be loaded: {info.error}")
    return info.cls.from_settings(settings)


PROBE_MESSAGES = (
    {"role": "system", "content": "You answer with a JSON object only."},
    {"role": "user", "content": 'Reply with exactly this JSON object: {"ok": true}'},
)
#: Sent as a JSON schema to a backend that takes one (``accepts_response_schema``), so
#: the probe also finds out whether the server takes schemas; what it learns is
#: remembered for the next run like any rejection.
PROBE_SCHEMA: dict[str, Any] = {
    "name": "copygen_probe",
    "schema": {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class ProbeResult:
    """What ``copygen backends test`` reports."""

    backend: str
    model: str | None
    base_url: str | None
    completion: Completion
    json_ok: bool  # the reply was a JSON object
    json_mode: bool | None  # the server accepted response_format (None: not applicable)
    seconds: float  # wall time including retries
    #: What a run's requests will ask for: json_schema, json_object or none (None: n/a).
    response_format: str | None = None
    adaptations: tuple[str, ...] = ()  # what the backend learnt about the server


async def probe(backend: Backend, *, params: dict[str, Any] | None = None) -> ProbeResult:
    """Send one tiny request to see that URL, key and model work; closes the backend.

    Raises ``BackendError`` with the server's reason when it does not.
    """
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if getattr(backend, "accepts_response_schema", False):
        extra["response_schema"] = PROBE_SCHEMA
    try:
        completion = await backend.complete(
            list(PROBE_MESSAGES), {"max_tokens": 20, "temperature": 0, **extra, **(params or {})}
        )
    finally:
        await backend.aclose()
    seconds = time.perf_counter() - started
    from copygen.backends.parsing import find_json_object

    json_ok = find_json_object(completion.text) is not None
    json_mode = getattr(backend, "json_mode_supported", None)
    level = getattr(backend, "response_format_level", None)
    if not completion.text:
        raise BackendError("empty reply")
    return ProbeResult(
        backend=backend.name,
        model=completion.model or backend.model,
        base_url=redact_url(backend.base_url),  # a plugin's may still hold credentials
        completion=completion,
        json_ok=json_ok,
        json_mode=json_mode,
        seconds=seconds,
        response_format=level if isinstance(level, str) else None,
        adaptations=tuple(getattr(backend, "adaptations", ()) or ()),
    )


def probe_summary(result: ProbeResult) -> str:
    """One line for people: where, which model, how fast, whether JSON came back."""
    usage = result.completion.usage
    where = f" at {result.base_url}" if result.base_url else ""
    parts = [
        f"ok: {result.backend} model {result.model or '-'}{where}",
        f"{result.completion.latency_ms or result.seconds * 1000:.0f} ms",
        f"{usage.prompt_tokens}+{usage.completion_tokens} tokens",
        f"JSON reply: {'yes' if result.json_ok else 'no'}",
    ]
    if result.json_mode is not None:
        parts.append(f"JSON mode: {'yes' if result.json_mode else 'not supported, prompt-only'}")
    if result.response_format is not None:
        parts.append(f"response format: {result.response_format}")
    return ", ".join(parts)


def probe_dict(result: ProbeResult) -> dict[str, Any]:
    return {
        "backend": result.backend,
        "model": result.model,
        "base_url": result.base_url,
        "latency_ms": result.completion.latency_ms,
        "usage": result.completion.usage.to_dict(),
        "json_reply": result.json_ok,
        "json_mode": result.json_mode,
        "response_format": result.response_format,
        "adaptations": list(result.adaptations),
        "reply": result.completion.text,
        "seconds": round(result.seconds, 3),
    }
