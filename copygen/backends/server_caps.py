"""What a server accepted in earlier runs, so the next run starts with what works.

One small JSON file, ``server_caps.json`` in the cache folder (``cache_dir`` from the
settings, else ``$XDG_CACHE_HOME/copygen``, else ``~/.cache/copygen``), keyed by base
URL and model::

    {"version": 1, "servers": {"http://127.0.0.1:8000/v1 Qwen/Qwen2.5-0.5B-Instruct": {
        "base_url": "...", "model": "...", "profile": "local-vllm",
        "response_format": "json_object", "schema_limits": true, "updated": 1718000000.0}}}

An entry is trusted for ``TTL_SECONDS`` (a server may be upgraded); then copygen asks
for the best again. The file holds no keys (a user:password in the URL is removed) and
is replaced atomically; a file that cannot be read or written never stops a run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from copygen.files.atomic import WriteError, atomic_writer

if TYPE_CHECKING:
    from copygen.config import Settings

CAPS_FILE = "server_caps.json"
VERSION = 1
TTL_SECONDS = 7 * 24 * 3600.0


@dataclass(frozen=True)
class ServerCaps:
    """What one server (base URL + model) is known to accept."""

    response_format: str | None = None  # the best level it took: json_schema/json_object/none
    schema_limits: bool = True  # False: it rejects maxLength/minItems/maxItems


def caps_path(settings: Settings | None = None) -> Path:
    """``server_caps.json`` in ``settings.cache_dir``, else in the user cache folder."""
    from copygen.backends.cache import default_cache_dir

    directory = settings.cache_dir if settings is not None and settings.cache_dir else None
    return (directory or default_cache_dir()) / CAPS_FILE


def server_key(base_url: str, model: str) -> str:
    """``base_url model``, without any ``user:password@`` in the URL."""
    parts = urlsplit(base_url.strip())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return f"{clean} {model}"


class CapsStore:
    """Read and update ``server_caps.json``; every failure is silent (it is only a hint)."""

    def __init__(self, path: str | Path, *, ttl: float = TTL_SECONDS) -> None:
        self.path = Path(path)
        self.ttl = ttl

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        servers = data.get("servers") if isinstance(data, dict) else None
        if not isinstance(servers, dict) or data.get("version") != VERSION:
            return {}
        return {k: v for k, v in servers.items() if isinstance(v, dict)}

    def get(self, base_url: str, model: str) -> ServerCaps | None:
        """What is known of this server, or None (nothing, unreadable, or out of date)."""
        entry = self._load().get(server_key(base_url, model))
        if entry is None:
            return None
        updated = entry.get("updated")
        if not isinstance(updated, (int, float)) or time.time() - updated > self.ttl:
            return None
        level = entry.get("response_format")
        from copygen.backends.response_format import LEVELS

        return ServerCaps(
            response_format=level if level in LEVELS else None,
            schema_limits=entry.get("schema_limits") is not False,
        )

    def update(
        self, base_url: str, model: str, *, profile: str | None = None, **changes: Any
    ) -> bool:
        """Merge ``changes`` into the server's entry; False when the file cannot be written."""
        key = server_key(base_url, model)
        servers = self._load()
        entry = dict(servers.get(key) or {})
        if not isinstance(entry.get("updated"), (int, float)) or (
            time.time() - entry["updated"] > self.ttl
        ):
            entry = {}  # an out-of-date entry is not carried over
        entry.update(
            base_url=key.split(" ", 1)[0], model=model, **changes, updated=round(time.time(), 3)
        )
        if profile:
            entry["profile"] = profile
        servers[key] = entry
        try:
            with atomic_writer(self.path, "w", encoding="utf-8") as handle:
                json.dump(
                    {"version": VERSION, "servers": servers},
                    handle,
                    ensure_ascii=False,
                    indent=2,
                    sort_keys=True,
                )
                handle.write("\n")
        except (OSError, WriteError):
            return False
        return True
