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
  last record for an id wins. ``generate --repair`` relies on that: it appends each
  replaced record as it completes and compacts the file (:meth:`ResultStore.compact`)
  at the end, so a killed repair run leaves duplicates that read correctly.
- One writer at a time: :meth:`ResultStore.lock` takes an OS lock on a side file,
  so a review cannot rewrite the file while a generate run appends to it.
- A write that fails (disk full, read-only folder) takes back what it wrote, so
  no torn line is left, and raises ``WriteError`` naming the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from copygen.backends.fastjson import loads
from copygen.errors import InputError
from copygen.files.atomic import atomic_writer, write_error
from copygen.files.locks import held_lock
from copygen.ids import IdNumbers, IdTable

__all__ = [
    "RESULTS_FILE",
    "STATUSES",
    "STATUS_CODES",
    "RecordsById",
    "ResultStore",
    "dumps_record",
]

RESULTS_FILE = "results.jsonl"
_FOUND_KEPT = 4096  # RecordsById: more than a run holds between ``in`` and ``[]``
LOCK_FILE = ".results.lock"
#: Every status an item can have: the checker's three, ``error`` for items the
#: backend could not produce, and the reviewer's two decisions.
STATUSES: tuple[str, ...] = ("pass", "review", "blocked", "error", "approved", "rejected")
#: Each status as a small number, for :meth:`ResultStore.status_table`.
STATUS_CODES: dict[str, int] = {status: code for code, status in enumerate(STATUSES, start=1)}
_OTHER_STATUS = len(STATUSES) + 1


def dumps_record(item: Mapping[str, Any]) -> str:
    """One record as one line of JSON (no newline): UTF-8 text, no ASCII escapes."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)


class ResultStore:
    """The ``results.jsonl`` of an output folder.

    ``append`` is the only method used on the hot path; it writes one line with one
    ``os.write`` on a file opened for appending (no user-space buffer), which is
    what survives ``kill -9``. ``fsync_every`` additionally forces the data to disk
    every N appends (and on close) to bound what a power failure can take; the audit
    log, which fsyncs every event, remains the durable record of what was done.
    """

    def __init__(self, outdir: str | Path, *, fsync_every: int = 64) -> None:
        self.outdir = Path(outdir)
        self.path = self.outdir / RESULTS_FILE
        self.fsync_every = max(1, fsync_every)
        self._fd: int | None = None
        self._size = 0  # bytes of complete lines: where a failed append is cut back to
        self._unsynced = 0

    # --- locking ---------------------------------------------------------------------

    @contextmanager
    def lock(self, *, wait: float = 0.0) -> Iterator[None]:
        """Hold the folder's writer lock; ConfigError if another process holds it.

        ``wait``: seconds to keep trying before giving up (reviewers take the lock
        for one decision at a time, so two of them only ever wait for each other
        briefly; a generate run holds it for the whole run).
        """
        with held_lock(
            self.outdir / LOCK_FILE,
            wait=wait,
            busy="another copygen process is writing this output folder",
            hint="wait for it to finish or use another -o folder",
        ):
            yield

    # --- reading -----------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, record) for every complete, valid line.

        A line that is not valid JSON is tolerated only at the end of the file (a torn
        write); anywhere else it means the file was edited by hand, which is an error.
        """
        for number, _, _, record in self._raw_lines():
            yield number, record

    def _raw_lines(self) -> Iterator[tuple[int, int, bytes, dict[str, Any]]]:
        """:meth:`_lines` with each line's byte offset and bytes (newline included)."""
        if not self.path.is_file():
            return
        with open(self.path, "rb") as handle:
            pending: tuple[int, bytes] | None = None
            offset = 0
            for number, raw in enumerate(handle, start=1):
                start, offset = offset, offset + len(raw)
                if pending is not None:
                    self._raise_bad_line(*pending)
                if not raw.endswith(b"\n"):
                    return  # torn last line: never complete, ignore it
                stripped = raw.strip()
                if not stripped:
                    continue
                try:
                    record = loads(stripped)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    pending = (number, raw)
                    continue
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    pending = (number, raw)
                    continue
                yield number, start, raw, record

    def raw_lines(self, *, after: int = 0, size: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(line number, bytes) of the lines after line ``after``, within the first
        ``size`` bytes of the file (None: all); no checks (``TableDraft`` makes its own)."""
        if not self.path.is_file():
            return
        consumed = 0
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if size is not None:
                    if consumed >= size:
                        return
                    consumed += len(raw)
                if number > after:
                    yield number, raw

    @property
    def written_bytes(self) -> int:
        """Bytes of complete lines in the file, as this store last knew them."""
        if self._fd is not None:
            return self._size
        return self.path.stat().st_size if self.path.is_file() else 0

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
        ids (at most 36 bytes each), not with the size of the records.
        """
        for _, record in self.numbered_records():
            yield record

    def numbered_records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """:meth:`iter_records` with each record's line number, to name it in errors.

        Each record's hash is in the audit log (``copygen.audit.binding``): the hash
        of the parsed record, so other spacing or key order on the line keeps it.
        """
        for number, _, record in self._latest():
            yield number, record

    def located_records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """:meth:`iter_records` with each record's byte offset, for :meth:`record_at`."""
        for _, offset, record in self._latest():
            yield offset, record

    def _latest(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(line number, offset, record) of the last record of each id, in file order."""
        seen = IdTable()
        # The last line of each id written more than once: few (a killed repair run's).
        # An id whose digest meets another id's lands here too, and is still exact.
        again: dict[str, int] = {}
        any_line = False
        for number, record in self._lines():
            any_line = True
            if not seen.add(record["id"]):
                again[record["id"]] = number
        if not any_line:
            return
        del seen
        for number, offset, _, record in self._raw_lines():
            if again.get(record["id"], number) == number:
                yield number, offset, record

    def record_at(self, offset: int) -> dict[str, Any] | None:
        """The record on the line at byte ``offset``; None when there is none there."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                raw = handle.readline()
        except OSError:
            return None
        if not raw.endswith(b"\n"):
            return None
        try:
            record = loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None
        return record if isinstance(record, dict) else None

    def load(self) -> list[dict[str, Any]]:
        """All records (the last per id), in file order; for small folders and tests."""
        return list(self.iter_records())

    def get(self, item_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = None
        for _, record in self._lines():
            if record["id"] == item_id:
                found = record
        return found

    def latest(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The latest record of each of ``ids`` that has one, in one pass."""
        wanted = set(ids)
        found: dict[str, dict[str, Any]] = {}
        for _, record in self._lines():
            if record["id"] in wanted:
                found[record["id"]] = record
        return found

    def completed_ids(self, *, statuses: tuple[str, ...] | None = None) -> set[str]:
        """Ids that have a record (optionally: whose latest record has one of ``statuses``).

        Every id as a string: for small folders and tests; a run uses :meth:`status_table`.
        """
        latest: dict[str, str] = {}
        for _, record in self._lines():
            latest[record["id"]] = str(record.get("status"))
        if statuses is None:
            return set(latest)
        return {item_id for item_id, status in latest.items() if status in statuses}

    def status_table(self) -> IdTable:
        """Each id's latest status, as its :data:`STATUS_CODES` value, in one pass.

        At most 36 bytes an id: a million-item folder is read in tens of MB, not hundreds.
        """
        table = IdTable()
        for _, record in self._lines():
            table.set(record["id"], STATUS_CODES.get(str(record.get("status")), _OTHER_STATUS))
        return table

    # --- writing -----------------------------------------------------------------------

    def repair(self) -> int:
        """Cut a torn last line left by a crash; return the number of bytes removed."""
        if not self.path.is_file():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        try:
            with open(self.path, "rb+") as handle:
                # Find the end of the last complete, valid line by reading backwards.
                cut = _valid_end(handle, size)
                if cut < size:
                    handle.truncate(cut)
                    handle.flush()
                    os.fsync(handle.fileno())
        except OSError as exc:
            raise write_error(exc, self.path) from None
        return size - cut

    def append(self, item: Mapping[str, Any]) -> None:
        """Write one record as one line, straight to the OS; never leave part of one.

        When the write fails (disk full, quota, read-only), the file is cut back to
        its last complete line and ``WriteError`` names it: the record is simply not
        there, and the next run does the item again.
        """
        data = (dumps_record(item) + "\n").encode("utf-8")
        fd = self._fd if self._fd is not None else self._open()
        try:
            _write_all(fd, data)
        except OSError as exc:
            # If even this fails, repair() cuts the torn line before anyone appends again.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, self._size)
            raise write_error(exc, self.path) from None
        self._size += len(data)
        self._unsynced += 1
        if self._unsynced >= self.fsync_every:
            self.sync()

    def _open(self) -> int:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o666)  # the umask applies, as for open()
            self._size = os.fstat(fd).st_size
        except OSError as exc:
            raise write_error(exc, self.path) from None
        self._fd = fd
        return fd

    def sync(self) -> None:
        if self._fd is not None and self._unsynced:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise write_error(exc, self.path) from None
            self._unsynced = 0

    def close(self) -> None:
        """fsync what is pending and close; the file is closed even when the fsync fails."""
        if self._fd is not None:
            fd = self._fd
            try:
                self.sync()
            finally:
                self._fd = None
                self._unsynced = 0
                os.close(fd)

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

    def compact(self) -> int:
        """Atomically drop the earlier lines of ids that were appended again.

        ``generate --repair`` appends each replaced record as it completes (a killed
        run keeps what it repaired: the last line of an id wins) and compacts at the
        end. Each id keeps its place, its first line's, with its last record; the
        lines of ids recorded once are copied byte for byte. Returns the number of
        lines dropped; the file is not rewritten when there are none.
        """
        self.close()
        seen = IdTable()
        # The last line of each id written more than once (an id whose digest meets
        # another's lands here too: it is then written as it is, still exact).
        later: dict[str, bytes] = {}
        for _, _, raw, record in self._raw_lines():
            item_id = record["id"]
            if not seen.add(item_id):
                later[item_id] = raw
        del seen
        if not later:
            return 0
        dropped = 0
        placed: set[str] = set()
        with atomic_writer(self.path, "wb") as out:
            for _, _, raw, record in self._raw_lines():
                item_id = record["id"]
                if item_id not in later:
                    out.write(raw)
                elif item_id in placed:
                    dropped += 1
                else:
                    placed.add(item_id)
                    out.write(later[item_id])
        return dropped

    def update(self, changes: Mapping[str, Mapping[str, Any]]) -> int:
        """Merge ``changes[id]`` into the latest record of each id, atomically.

        Raises InputError naming the first id that has no record (nothing is
        written then). Returns the number of records changed.
        """
        if not changes:
            return 0
        known = self.status_table()
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


def _write_all(fd: int, data: bytes) -> None:
    # One os.write nearly always takes the whole line; loop for the rare short write.
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


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


class RecordsById:
    """Chosen records of a ``results.jsonl``, by id, read again from the file when
    asked: each costs its id's digest and offset, not the record.

    Valid while the lines already written stay where they are: a run appends, and
    only rewrites at its end, under the folder lock. A record read back must carry the
    id asked for, so an id whose digest meets a chosen one's is not taken for it.
    ``view`` turns each record read into what the caller keeps of it.
    """

    def __init__(
        self,
        store: ResultStore,
        *,
        view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.view = view
        self._offsets = IdNumbers()
        # Found by ``in`` and not yet taken by ``[]``: a repair run asks both of each
        # item, and the record is read and viewed once. Bounded: a stopped run may
        # never take the ones it found.
        self._found: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def add(self, item_id: str, offset: int) -> None:
        self._offsets.set(item_id, offset + 1)  # 0 is "absent"

    def get(self, item_id: str) -> dict[str, Any] | None:
        found = self._found.pop(item_id, None)
        if found is not None:
            return found
        where = self._offsets.get(item_id)
        if not where:
            return None
        record = self.store.record_at(where - 1)
        if record is None or record.get("id") != item_id:
            return None
        return self.view(record) if self.view is not None else record

    def __getitem__(self, item_id: str) -> dict[str, Any]:
        found = self.get(item_id)
        if found is None:
            raise KeyError(item_id)
        return found

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, str):
            return False
        found = self.get(item_id)
        if found is None:
            return False
        self._found[item_id] = found
        if len(self._found) > _FOUND_KEPT:
            self._found.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._offsets)
