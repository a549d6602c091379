"""Writing files so that a crash never leaves a half-written one behind, and a write
that fails (disk full, read-only folder, no permission) is one error naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import IO, Any

from copygen.errors import CopygenError

__all__ = [
    "TEMP_SUFFIX",
    "WriteError",
    "atomic_writer",
    "default_file_mode",
    "remove_stale_temps",
    "write_error",
]

#: Temp files of :func:`atomic_writer` are ``.<name>.<8 random characters>.tmp``.
TEMP_SUFFIX = ".tmp"
# tempfile's random part: 8 characters of this alphabet (tempfile._RandomNameSequence).
_RANDOM_PART = r"[a-z0-9_]{8}"

# What a user can do about each cause; the OS's own words are kept for the rest.
_REASONS: dict[int, str] = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large",
}
_HINTS: dict[int, str] = {
    errno.ENOSPC: "free some space and run the command again",
    errno.EROFS: "write to another folder",
    errno.EACCES: "write to a folder you may write to, or change its permissions",
    errno.EPERM: "write to a folder you may write to, or change its permissions",
}
if hasattr(errno, "EDQUOT"):  # not on Windows
    _REASONS[errno.EDQUOT] = "disk quota exceeded"
    _HINTS[errno.EDQUOT] = "free some space or raise the quota, then run the command again"


class WriteError(CopygenError):
    """A file or folder that could not be written: disk full, read-only, no permission.

    Exit code 2 like every input/usage problem: nothing is wrong with copygen or the
    backend, the user has to pick another place or make room.
    """

    #: The OS error number behind it (``errno.ENOSPC``, ...), for callers that add
    #: their own advice.
    errno: int | None = None


def describe_os_error(exc: OSError) -> str:
    """The cause of an OSError in a few lower-case words."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return exc.strerror or str(exc) or type(exc).__name__


def os_error_hint(exc: OSError) -> str | None:
    return _HINTS.get(exc.errno) if exc.errno is not None else None


def write_error(
    exc: OSError, path: str | Path, *, action: str = "cannot write", hint: str | None = None
) -> WriteError:
    """``exc`` as a one-line :class:`WriteError` about ``path``."""
    error = WriteError(
        f"{action}: {describe_os_error(exc)}",
        file=path,
        hint=hint if hint is not None else os_error_hint(exc),
    )
    error.errno = exc.errno
    return error


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
    over ``path``; on any exception (including KeyboardInterrupt) the temp file is
    removed and ``path`` is untouched. The new file keeps the mode of the one it
    replaces, else the usual mode. A failure to write the file itself (disk full,
    read-only folder, no permission) raises :class:`WriteError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(
            exc, exc.filename or path.parent, action="cannot create the folder"
        ) from None
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
        )
    except OSError as exc:
        raise write_error(exc, path) from None
    tmp = Path(tmp_name)
    handle: IO[Any] | None = None
    try:
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except OSError:
            os.chmod(tmp, default_file_mode())
        try:
            handle = os.fdopen(fd, mode, **open_kwargs)
        except BaseException:
            os.close(fd)
            raise
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(tmp, path)
    except BaseException as exc:
        if handle is not None:
            # Closing flushes what is buffered, which fails again on a full disk;
            # the data is being thrown away, and the descriptor is closed regardless.
            with contextlib.suppress(Exception):
                handle.close()
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (None, tmp_name, str(path)):
            # An OSError naming no file comes from writing this one; one naming
            # another file (an input read inside the block) is left as it is.
            raise write_error(exc, path) from None
        raise


def stale_temp_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """The names :func:`atomic_writer` gives temp files for any of ``names``."""
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"\.(?:{alternatives})\.{_RANDOM_PART}{re.escape(TEMP_SUFFIX)}")


def remove_stale_temps(folder: str | Path, names: Iterable[str]) -> list[Path]:
    """Remove the temp files that interrupted atomic writes of ``names`` left in ``folder``.

    A process killed between creating a temp file and replacing the target (kill -9,
    power loss) cannot clean up after itself. Call this only while holding the
    folder's lock: the temp file of a write in progress looks exactly the same.
    Returns the files removed; one that cannot be removed is left alone.
    """
    names = list(names)
    if not names:
        return []
    pattern = stale_temp_pattern(names)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def write_pickle(path: str | Path, value: Any) -> None:
    """Pickle ``value`` to ``path`` atomically (readers never see half a file);
    :class:`WriteError` when it cannot be written."""
    import pickle

    with atomic_writer(path, "wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
