"""The writer: one process appends events to a log file, hash-chained and fsynced.

Durability: each event is one ``os.write`` of a complete line (no user-space
buffer, so nothing waits in Python to be flushed) followed by ``os.fsync``. With
``max_unsynced=N`` the fsync happens only every N+1 events, so an operating-system
crash or power loss can lose at most the last N events; a killed process loses
nothing that ``append`` returned, because the kernel already holds the bytes. The
default is 0: every event is on disk when ``append`` returns.

A crash in the middle of a write can leave a torn last line (no newline). The next
``AuditLog.open`` cuts it off and appends a ``recovered`` event naming what was
removed, so the chain stays verifiable. A complete event that only lacks its
newline is kept and completed instead.

One writer per file: ``open`` takes an exclusive, non-blocking OS lock
(``flock`` on the log itself) for the log's lifetime; a second writer, in another
process or in the same one, gets :class:`~copygen.errors.AuditLockedError`.

Keyed logs: opened with an :class:`~copygen.audit.key.AuditKey`, every event gets a
``mac``. A log whose last event carries a MAC is refused to a writer without the
key (its events would break the keyed chain) and to one whose key does not match
that MAC (another key, or a forged tail).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import secrets as _random
import sys
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from copygen.audit.chain import (
    ENVELOPE_KEYS,
    EVENTS,
    FORMAT_VERSION,
    GENESIS,
    MAX_LINE_BYTES,
    event_hash,
    mac_body,
    plain,
    seal,
)
from copygen.audit.key import is_mac, keyed_log_error, wrong_key_error
from copygen.audit.scrub import Scrubber, env_secrets
from copygen.errors import AuditError, AuditLockedError, CopygenError

if TYPE_CHECKING:
    from copygen.audit.key import AuditKey

_TAIL_CHUNK = 64 * 1024
_PREFIX_CHARS = 120  # how much of a removed torn line the recovered event quotes


def utc_now() -> str:
    """Current UTC time, ISO 8601 with milliseconds and a ``Z``."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def new_run_id() -> str:
    """A sortable, unique run id such as ``20261128T151241Z-3fa2b1c4``."""
    now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{_random.token_hex(4)}"


class _FileLock:
    """An exclusive, non-blocking lock tied to an open file descriptor."""

    def __init__(self, path: Path, fd: int) -> None:
        self._fd = fd
        self._sidecar: int | None = None
        if sys.platform == "win32":  # pragma: no cover - no flock on Windows
            import msvcrt

            # Windows locks are mandatory: lock a sidecar so readers (verify,
            # show) can still read the log itself.
            self._sidecar = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            msvcrt.locking(self._sidecar, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            if self._sidecar is not None:
                with contextlib.suppress(OSError):
                    msvcrt.locking(self._sidecar, msvcrt.LK_UNLCK, 1)
                os.close(self._sidecar)
                self._sidecar = None
        else:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)


def is_locked(path: str | Path) -> bool:
    """Whether a writer currently holds ``path`` (best effort; False if unknown)."""
    if sys.platform == "win32":  # pragma: no cover
        return False
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    # A new file's directory entry must reach the disk too, or a crash can lose
    # the whole file although its contents were fsynced.
    if sys.platform == "win32":  # pragma: no cover
        return
    try:
        dfd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - unusual filesystems
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


class _Tail:
    """The end of an existing log: its last complete line and any torn fragment."""

    def __init__(self, fd: int, size: int, path: Path) -> None:
        pos = size
        # Read backwards until the buffer holds the last two newlines (or the file);
        # chunks are joined once, and a file with no newline in sight stops the read.
        chunks: list[bytes] = []
        newlines = read = 0
        while pos > 0 and newlines < 2:
            if read > 2 * MAX_LINE_BYTES:
                raise AuditError(
                    f"the end of the audit log has no line break in its last {read} bytes: "
                    "not an audit log copygen wrote",
                    file=path,
                    hint="run `copygen audit verify` on it; start a new log file to continue",
                )
            start = max(0, pos - _TAIL_CHUNK)
            chunk = os.pread(fd, pos - start, start)
            chunks.append(chunk)
            newlines += chunk.count(b"\n")
            read += len(chunk)
            pos = start
        buf = b"".join(reversed(chunks))
        last_nl = buf.rfind(b"\n")
        if last_nl < 0:
            self.good_end = 0
            self.last_line: bytes | None = None
            self.fragment = buf
        else:
            self.good_end = pos + last_nl + 1
            prev_nl = buf.rfind(b"\n", 0, last_nl)
            self.last_line = buf[prev_nl + 1 : last_nl]
            self.fragment = buf[last_nl + 1 :]


def _parse_event(raw: bytes) -> dict[str, Any] | None:
    """A line as an event if it is one with a correct hash, else None."""
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    seq, digest = event.get("seq"), event.get("hash")
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(digest, str):
        return None
    try:
        if event_hash(event) != digest:
            return None
    except (TypeError, ValueError):
        return None
    return event


class AuditLog:
    """An open, locked audit log. Use :meth:`open`; close it (or use ``with``)."""

    def __init__(
        self,
        path: Path,
        fd: int,
        lock: _FileLock,
        *,
        run: str,
        scrubber: Scrubber,
        max_unsynced: int,
        key: AuditKey | None = None,
    ) -> None:
        self._path = path
        self._key = key
        self._fd = fd
        self._lock_file = lock
        self._run = run
        self._scrub = scrubber
        self._max_unsynced = max_unsynced
        self._unsynced = 0
        self._head = GENESIS
        self._seq = 0
        self._size = 0
        self._closed = False
        self._mutex = threading.Lock()  # appends come from several threads / tasks

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        run: str | None = None,
        secrets: Iterable[str | None] = (),
        max_unsynced: int = 0,
        key: AuditKey | None = None,
    ) -> AuditLog:
        """Open (creating it and its folders) and lock the log at ``path``.

        ``run`` is the id written on every event (default: a new one);
        ``secrets`` are extra values that must never appear in the file (the API
        key in use, say); environment variables named like credentials are added
        automatically. ``key``: every event gets a ``mac`` made with it. Raises
        :class:`AuditLockedError` if another writer holds the log,
        :class:`AuditError` if its last complete line is damaged or carries a MAC
        this key does not match, and ConfigError if it carries a MAC and no key
        is given.
        """
        if max_unsynced < 0:
            raise ValueError("max_unsynced must be >= 0")
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            existed = target.exists()
            flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(target, flags, 0o644)
        except OSError as exc:
            raise CopygenError(
                f"cannot open the audit log: {exc.strerror or exc}", file=target
            ) from None
        try:
            lock = _FileLock(target, fd)
        except OSError:
            os.close(fd)
            raise AuditLockedError(
                "another process is writing this audit log",
                file=target,
                hint="wait for it to finish, or give this run its own --audit file",
            ) from None
        never = [*secrets, *env_secrets(), key.secret_text if key is not None else None]
        log = cls(
            target,
            fd,
            lock,
            run=run or new_run_id(),
            scrubber=Scrubber(never),
            max_unsynced=max_unsynced,
            key=key,
        )
        try:
            if not existed:
                _fsync_dir(target.parent)
            log._load_tail()
        except BaseException:
            log._release()
            raise
        return log

    def _load_tail(self) -> None:
        size = os.fstat(self._fd).st_size
        self._size = size
        if size == 0:
            return
        tail = _Tail(self._fd, size, self._path)
        if tail.last_line is not None:
            last = _parse_event(tail.last_line)
            if last is None:
                raise AuditError(
                    "the last complete line of the audit log is damaged",
                    file=self._path,
                    hint="run `copygen audit verify` on it; start a new log file to continue",
                )
            self._check_key(last)
            self._head, self._seq = last["hash"], last["seq"]
        if tail.fragment:
            self._recover(tail)

    def _check_key(self, last: dict[str, Any]) -> None:
        """Refuse to extend a keyed log without its key, or with another one."""
        if "mac" not in last:
            return  # an unkeyed log; with a key, keying starts with the next event
        if self._key is None:
            raise keyed_log_error(self._path)
        mac = last["mac"]
        if not is_mac(mac) or not self._key.mac_ok(mac_body(last), mac):
            raise wrong_key_error(self._path)

    @property
    def keyed(self) -> bool:
        """Whether events written now carry a MAC."""
        return self._key is not None

    def _recover(self, tail: _Tail) -> None:
        fragment = tail.fragment
        event = _parse_event(fragment)
        if event is not None and event.get("prev") == self._head and event["seq"] == self._seq + 1:
            # The whole event reached the disk; only its newline did not.
            self._check_key(event)
            _write_all(self._fd, b"\n")
            self._fsync()
            self._size += 1
            self._head, self._seq = event["hash"], event["seq"]
            self.append(
                "recovered",
                action="completed",
                offset=tail.good_end,
                bytes=len(fragment),
                reason="the last event was complete but its line ending was missing",
            )
            return
        os.ftruncate(self._fd, tail.good_end)
        self._fsync()
        self._size = tail.good_end
        self.append(
            "recovered",
            action="truncated",
            offset=tail.good_end,
            removed_bytes=len(fragment),
            removed_sha256=hashlib.sha256(fragment).hexdigest(),
            removed_prefix=fragment[: _PREFIX_CHARS * 4].decode("utf-8", errors="replace")[
                :_PREFIX_CHARS
            ],
            reason="torn last line (a writer stopped in the middle of an event)",
        )

    # -- state ---------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def run(self) -> str:
        return self._run

    @property
    def head(self) -> str:
        """Hash of the last event in the file (the genesis value when empty)."""
        return self._head

    @property
    def seq(self) -> int:
        """``seq`` of the last event in the file (0 when empty)."""
        return self._seq

    @property
    def closed(self) -> bool:
        return self._closed

    # -- writing ---------------------------------------------------------------------

    def append(self, event: str, **data: Any) -> dict[str, Any]:
        """Write one event and return it as written (with ``seq``, ``hash``, ...).

        ``data`` is scrubbed of credentials and its ``messages`` masked for
        personal data before it is written. Safe to call from several threads;
        asyncio tasks can call it directly (it does not await) or use
        :meth:`append_async` to keep the fsync off the event loop.
        """
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}; expected one of {', '.join(EVENTS)}")
        clash = sorted(set(data) & set(ENVELOPE_KEYS))
        if clash:
            raise ValueError(f"audit event data may not set {', '.join(clash)}")
        payload = self._scrub(plain(data))
        with self._mutex:
            if self._closed:
                raise ValueError("the audit log is closed")
            record: dict[str, Any] = {
                "v": FORMAT_VERSION,
                "seq": self._seq + 1,
                "ts": utc_now(),
                "run": self._run,
                "event": event,
                **payload,
                "prev": self._head,
            }
            # One serialisation for the MAC, the hash and the line (see chain.seal).
            signer = self._key.mac if self._key is not None else None
            digest, mac, line = seal(record, signer)
            if len(line) > MAX_LINE_BYTES:
                raise CopygenError(
                    f"a {event} event of {len(line)} bytes is over the audit log's limit of "
                    f"{MAX_LINE_BYTES} bytes per event",
                    file=self._path,
                    hint="lower max_reply_bytes",
                )
            if mac is not None:
                record["mac"] = mac
            record["hash"] = digest
            try:
                _write_all(self._fd, line)
                self._unsynced += 1
                if self._unsynced > self._max_unsynced:
                    self._fsync()
            except OSError as exc:
                # Take back a partial line so the chain stays intact for the next writer.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._size)
                raise CopygenError(
                    f"cannot write the audit log: {exc.strerror or exc}", file=self._path
                ) from None
            self._size += len(line)
            self._seq = record["seq"]
            self._head = record["hash"]
            return record

    async def append_async(self, event: str, **data: Any) -> dict[str, Any]:
        """:meth:`append` in a worker thread, so the fsync does not block the loop."""
        return await asyncio.to_thread(self.append, event, **data)

    def sync(self) -> None:
        """fsync now (only needed with ``max_unsynced > 0``)."""
        with self._mutex:
            if not self._closed and self._unsynced:
                self._fsync()

    def _fsync(self) -> None:
        os.fsync(self._fd)
        self._unsynced = 0

    # -- closing ---------------------------------------------------------------------

    def close(self) -> None:
        """fsync what is pending, release the lock and close the file. Idempotent."""
        with self._mutex:
            if self._closed:
                return
            try:
                if self._unsynced:
                    self._fsync()
            finally:
                self._release()

    def _release(self) -> None:
        self._closed = True
        self._lock_file.release()
        os.close(self._fd)

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"seq={self._seq}"
        return f"AuditLog({str(self._path)!r}, run={self._run!r}, {state})"
