"""Writing files so that a crash never leaves a half-written one behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import IO, Any


@cache  # reading the umask means setting it for a moment: once per process
def default_file_mode() -> int:
    """0o666 minus the umask: what ``open()`` would give a new file.

    ``tempfile.mkstemp`` creates files readable by the owner only; a file written
    through a temporary one must get the permissions a normally written one has.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_writer(path: str | Path, mode: str, **open_kwargs: Any) -> Iterator[IO[Any]]:
    """A file handle whose content replaces ``path`` only when the block succeeds.

    Writes to a temp file in the same folder, fsyncs it and ``os.replace``-s it
    over ``path``; on any error the temp file is removed and ``path`` is untouched.
    The new file keeps the mode of the one it replaces, else the usual mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except OSError:
            os.chmod(tmp, default_file_mode())
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
