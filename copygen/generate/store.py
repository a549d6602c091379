"""``results.jsonl``: the item records of one output folder.

One JSON object per line, one line per item, appended and flushed as each item
completes, so that a killed run loses at most the items in flight. The file is the
source of truth for an output folder: ``results.csv``/``results.xlsx`` are rebuilt
from it, the review command updates it, export and report read it.

Invariants kept here:

- A crash can leave a torn last line (no newline, or not valid JSON). Readers skip
  it and :meth:`ResultStore.repair` cuts it off before anyone appends again.
- Each item id appears once. Writers that change a record (review) rewrite the file
  atomically (temp file + ``os.replace``); if a duplicate ever appears anyway, the
  last record for an id wins.
- One writer at a time: :meth:`ResultStore.lock` takes an OS lock on a side file,
  so a review cannot rewrite the file while a generate run appends to it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from copygen.errors import ConfigError, InputError
from copygen.files.atomic import atomic_writer

__all__ = [
    "RESULTS_FILE",
    "STATUSES",
    "ResultStore",
    "dumps_record",
]

RESULTS_FILE = "results.jsonl"
LOCK_FILE = ".results.lock"
#: Every status an item can have: the checker's three, ``error`` for items the
#: backend could not produce, and the reviewer's two decisions.
STATUSES: tuple[str, ...] = ("pass", "review", "blocked", "error", "approved", "rejected")


def dumps_record(item: Mapping[str, Any]) -> str:
    """One record as one line of JSON (no newline): UTF-8 text, no ASCII escapes."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)


class ResultStore:
    """The ``results.jsonl`` of an output folder.

    ``append`` is the only method used on the hot path; it writes one line with one
    ``write`` call on a file opened for appending and flushes it to the OS, which is
    what survives ``kill -9``. ``fsync_every`` additionally forces the data to disk
    every N appends (and on close) to bound what a power failure can take; the audit
    log, which fsyncs every event, remains the durable record of what was done.
    """

    def __init__(self, outdir: str | Path, *, fsync_every: int = 64) -> None:
        self.outdir = Path(outdir)
        self.path = self.outdir / RESULTS_FILE
        self.fsync_every = max(1, fsync_every)
        self._handle: IO[bytes] | None = None
        self._unsynced = 0
        self._lock_handle: IO[bytes] | None = None

    # --- locking ---------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's writer lock; ConfigError if another process holds it."""
        self.outdir.mkdir(parents=True, exist_ok=True)
        handle = open(self.outdir / LOCK_FILE, "ab")  # noqa: SIM115 - held for the block
        try:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: no advisory lock
                fcntl = None  # type: ignore[assignment]
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    raise ConfigError(
                        "another copygen process is writing this output folder",
                        file=self.outdir,
                        hint="wait for it to finish or use another -o folder",
                    ) from None
            self._lock_handle = handle
            yield
        finally:
            self._lock_handle = None
            handle.close()

    # --- reading -----------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, record) for every complete, valid line.

        A line that is not valid JSON is tolerated only at the end of the file (a torn
        write); anywhere else it means the file was edited by hand, which is an error.
        """
        if not self.path.is_file():
            return
        with open(self.path, "rb") as handle:
            pending: tuple[int, bytes] | None = None
            for number, raw in enumerate(handle, start=1):
                if pending is not None:
                    self._raise_bad_line(*pending)
                if not raw.endswith(b"\n"):
                    return  # torn last line: never complete, ignore it
                stripped = raw.strip()
                if not stripped:
                    continue
                try:
                    record = json.loads(stripped)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    pending = (number, raw)
                    continue
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    pending = (number, raw)
                    continue
                yield number, record

    def _raise_bad_line(self, number: int, raw: bytes) -> None:
        raise InputError(
            "not a valid result record (the file was edited or damaged)",
            file=self.path,
            row=number,
            hint="fix or remove that line; only a torn last line is repaired automatically",
        )

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every record in file order, the last one per id only, streaming.

        Two passes over the file (ids first), so memory grows with the number of
        ids, not with the size of the records.
        """
        last: dict[str, int] = {}
        for number, record in self._lines():
            last[record["id"]] = number
        if not last:
            return
        for number, record in self._lines():
            if last.get(record["id"]) == number:
                yield record

    def load(self) -> list[dict[str, Any]]:
        """All records (the last per id), in file order; for small folders and tests."""
        return list(self.iter_records())

    def get(self, item_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = None
        for _, record in self._lines():
            if record["id"] == item_id:
                found = record
        return found

    def completed_ids(self, *, statuses: tuple[str, ...] | None = None) -> set[str]:
        """Ids that have a record (optionally: whose latest record has one of ``statuses``)."""
        latest: dict[str, str] = {}
        for _, record in self._lines():
            latest[record["id"]] = str(record.get("status"))
        if statuses is None:
            return set(latest)
        return {item_id for item_id, status in latest.items() if status in statuses}

    # --- writing -----------------------------------------------------------------------

    def repair(self) -> int:
        """Cut a torn last line left by a crash; return the number of bytes removed."""
        if not self.path.is_file():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with open(self.path, "rb+") as handle:
            # Find the end of the last complete, valid line by reading backwards in blocks.
            cut = _valid_end(handle, size)
            if cut < size:
                handle.truncate(cut)
                handle.flush()
                os.fsync(handle.fileno())
        return size - cut

    def append(self, item: Mapping[str, Any]) -> None:
        """Write one record as one line and flush it to the OS."""
        if self._handle is None:
            self.outdir.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "ab")  # noqa: SIM115 - kept open across appends
        data = (dumps_record(item) + "\n").encode("utf-8")
        self._handle.write(data)
        self._handle.flush()
        self._unsynced += 1
        if self._unsynced >= self.fsync_every:
            os.fsync(self._handle.fileno())
            self._unsynced = 0

    def sync(self) -> None:
        if self._handle is not None and self._unsynced:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._unsynced = 0

    def close(self) -> None:
        if self._handle is not None:
            self.sync()
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def rewrite(
        self,
        transform: Callable[[dict[str, Any]], dict[str, Any] | None],
    ) -> int:
        """Atomically rewrite the file: each latest record through ``transform``.

        ``transform`` returns the record to keep (possibly changed) or None to drop
        it. Duplicates and a torn tail disappear. Returns the number of records kept.
        """
        self.close()
        self.outdir.mkdir(parents=True, exist_ok=True)
        kept = 0
        with atomic_writer(self.path, "wb") as out:
            for record in self.iter_records():
                new = transform(record)
                if new is None:
                    continue
                out.write((dumps_record(new) + "\n").encode("utf-8"))
                kept += 1
        return kept

    def update(self, changes: Mapping[str, Mapping[str, Any]]) -> int:
        """Merge ``changes[id]`` into the latest record of each id, atomically.

        Raises InputError naming the first id that has no record (nothing is
        written then). Returns the number of records changed.
        """
        if not changes:
            return 0
        known = self.completed_ids()
        missing = [item_id for item_id in changes if item_id not in known]
        if missing:
            raise InputError(f"no result with id {missing[0]!r}", file=self.path)
        changed = 0

        def apply(record: dict[str, Any]) -> dict[str, Any]:
            nonlocal changed
            patch = changes.get(record["id"])
            if patch is None:
                return record
            changed += 1
            return {**record, **patch}

        self.rewrite(apply)
        return changed


def _valid_end(handle: IO[bytes], size: int) -> int:
    """Offset just after the last line that is complete and valid JSON."""
    last_newline = _rfind_newline(handle, size)
    if last_newline < 0:
        return 0  # not a single complete line
    end = last_newline + 1
    # The last complete line may itself be garbage (a torn write that happened to
    # contain a newline); check it and step back over it if needed.
    line_start = _rfind_newline(handle, last_newline) + 1
    handle.seek(line_start)
    line = handle.read(end - line_start)
    try:
        record = json.loads(line)
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            return end
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    return line_start


def _rfind_newline(handle: IO[bytes], before: int) -> int:
    """Offset of the last b"\\n" strictly before ``before``, or -1."""
    block = 65536
    pos = before
    while pos > 0:
        start = max(0, pos - block)
        handle.seek(start)
        chunk = handle.read(pos - start)
        index = chunk.rfind(b"\n")
        if index >= 0:
            return start + index
        pos = start
    return -1
