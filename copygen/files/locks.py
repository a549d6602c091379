"""One writer at a time: an OS lock on a side file, held for a block of work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from copygen.errors import ConfigError
from copygen.files.atomic import write_error

__all__ = ["held_lock"]

_POLL = 0.05  # seconds between attempts while waiting


@contextmanager
def held_lock(
    path: Path, *, wait: float = 0.0, busy: str, hint: str, folder: Path | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created); ConfigError ``busy`` (exit 2, naming
    ``folder``) when another process holds it for more than ``wait`` seconds.

    ``flock``: released by the OS when the process dies, so a killed run never leaves
    a folder locked. (No lock on Windows, which has no advisory lock here.)
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "ab")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise write_error(exc, path.parent, action="cannot write to the folder") from None
    try:
        _acquire(handle.fileno(), wait, busy=busy, hint=hint, folder=folder or path.parent)
        yield
    finally:
        handle.close()


def _acquire(fd: int, wait: float, *, busy: str, hint: str, folder: Path) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise ConfigError(busy, file=folder, hint=hint) from None
            time.sleep(_POLL)
