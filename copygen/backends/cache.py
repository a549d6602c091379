"""A response cache in SQLite, so re-running a job does not pay for the same prompt twice.

The key is the SHA-256 of the canonical JSON of everything that decides the reply:
base URL, model, messages and generation parameters (plus optional extras such as
the variant). Only good replies are stored: the pipeline puts a completion after it
parsed, and ``put`` itself refuses empty text, so an error or an empty reply is asked
again next time.

One connection in WAL mode with short autocommit statements serves every asyncio
task of a process; other processes may use the same file at the same time (SQLite's
locking, with a busy timeout). A cache that cannot be read is treated as a miss and
one that cannot be written is skipped: the cache must never fail a run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copygen.backends.base import Completion, Usage
from copygen.errors import ConfigError

if TYPE_CHECKING:
    from copygen.config import Settings

log = logging.getLogger(__name__)

CACHE_FILE = "responses.sqlite3"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    created REAL NOT NULL,
    model TEXT,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    finish_reason TEXT,
    raw TEXT
)
"""


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/copygen``, else ``~/.cache/copygen`` (``%LOCALAPPDATA%`` on Windows)."""
    env = os.environ if env is None else env
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "copygen"
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "copygen" / "cache"
    return Path.home() / ".cache" / "copygen"


def default_cache_path(settings: Settings | None = None) -> Path:
    """Where the cache lives: ``settings.cache_dir`` if set, else the user cache dir."""
    directory = settings.cache_dir if settings is not None and settings.cache_dir else None
    return (directory or default_cache_dir()) / CACHE_FILE


def cache_key(
    *,
    base_url: str | None,
    model: str | None,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 hex of the canonical JSON of what decides a reply."""
    payload = {
        "v": _SCHEMA_VERSION,
        "base_url": (base_url or "").rstrip("/"),
        "model": model or "",
        "messages": [dict(m) for m in messages],
        "params": dict(params),
        "extra": dict(extra or {}),
    }
    canonical = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """``get(key) -> Completion | None`` and ``put(key, completion)`` over one SQLite file."""

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit (isolation_level=None): every statement is its own short
            # transaction, so a writer never holds the lock across an await.
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._setup(self._conn, deadline=time.monotonic() + timeout)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the response cache: {exc}",
                file=self.path,
                hint="delete the file, set cache_dir, or run with --no-cache",
            ) from None

    @staticmethod
    def _setup(conn: sqlite3.Connection, *, deadline: float) -> None:
        # Switching to WAL needs a moment of exclusive access and SQLite answers
        # "database is locked" at once, without its busy handler, when a second
        # process opens the same new file at that moment: retry until the deadline.
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    @classmethod
    def from_settings(cls, settings: Settings) -> ResponseCache:
        return cls(default_cache_path(settings))

    def get(self, key: str) -> Completion | None:
        """The stored completion (``cached=True``), or None."""
        row = None
        try:
            with self._lock:
                if self._conn is None:
                    return None
                row = self._conn.execute(
                    "SELECT model, text, prompt_tokens, completion_tokens, latency_ms,"
                    " finish_reason, raw FROM responses WHERE key = ?",
                    (key,),
                ).fetchone()
        except sqlite3.Error as exc:
            log.warning("response cache read failed (%s); treating as a miss", exc)
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        model, text, prompt_tokens, completion_tokens, latency_ms, finish_reason, raw = row
        return Completion(
            text=text,
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens),
            latency_ms=latency_ms,
            model=model,
            finish_reason=finish_reason,
            raw=json.loads(raw) if raw else None,
            cached=True,
        )

    def put(self, key: str, completion: Completion) -> bool:
        """Store a good reply; returns False when nothing was stored (empty text, or an
        error writing, which is logged and otherwise ignored)."""
        if not completion.text or not completion.text.strip():
            return False
        raw = json.dumps(completion.raw, ensure_ascii=False) if completion.raw else None
        try:
            with self._lock:
                if self._conn is None:
                    return False
                self._conn.execute(
                    "INSERT OR REPLACE INTO responses (key, created, model, text, prompt_tokens,"
                    " completion_tokens, latency_ms, finish_reason, raw)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        time.time(),
                        completion.model,
                        completion.text,
                        completion.usage.prompt_tokens,
                        completion.usage.completion_tokens,
                        completion.latency_ms,
                        completion.finish_reason,
                        raw,
                    ),
                )
        except sqlite3.Error as exc:
            log.warning("response cache write failed (%s); not cached", exc)
            return False
        return True

    def delete(self, key: str) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.execute("DELETE FROM responses WHERE key = ?", (key,))

    def __len__(self) -> int:
        with self._lock:
            if self._conn is None:
                return 0
            (count,) = self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
