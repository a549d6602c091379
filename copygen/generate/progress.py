"""Progress of a generate run: a rich bar on a terminal, plain lines otherwise.

The pipeline calls a :class:`ProgressReporter`; it never prints by itself, so the
library stays quiet and the CLI decides how to show progress.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Protocol

__all__ = [
    "NullProgress",
    "PlainProgress",
    "ProgressReporter",
    "RichProgress",
    "make_progress",
]

FLAGGED = ("review", "blocked")


class ProgressReporter(Protocol):
    def start(self, *, total: int, done: int) -> None:
        """``total`` items planned, ``done`` of them already completed earlier."""

    def item_done(self, status: str) -> None:
        """One item completed with ``status``."""

    def close(self) -> None:
        """The run ended (normally or not)."""


class NullProgress:
    def start(self, *, total: int, done: int) -> None:
        pass

    def item_done(self, status: str) -> None:
        pass

    def close(self) -> None:
        pass


class _Counts:
    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.new = 0
        self.passed = 0
        self.flagged = 0
        self.errors = 0
        self.started = time.monotonic()

    def add(self, status: str) -> None:
        self.done += 1
        self.new += 1
        if status == "pass":
            self.passed += 1
        elif status in FLAGGED:
            self.flagged += 1
        elif status == "error":
            self.errors += 1

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.new / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        rate = self.rate()
        if rate <= 0:
            return None
        return max(0, self.total - self.done) / rate

    def tally(self) -> str:
        return f"pass {self.passed} · flagged {self.flagged} · error {self.errors}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class PlainProgress:
    """A line every ``interval`` seconds (and at the end), for logs and CI."""

    def __init__(self, stream: IO[str] | None = None, *, interval: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.counts = _Counts()
        self._last = 0.0

    def _line(self) -> None:
        c = self.counts
        self.stream.write(
            f"copygen: {c.done}/{c.total} items, {c.rate():.1f}/s, "
            f"ETA {_duration(c.eta())}, {c.tally()}\n"
        )
        self.stream.flush()
        self._last = time.monotonic()

    def start(self, *, total: int, done: int) -> None:
        self.counts.total = total
        self.counts.done = done
        self.counts.started = time.monotonic()
        self._last = self.counts.started
        if done:
            self.stream.write(f"copygen: resuming, {done} of {total} items already done\n")
            self.stream.flush()

    def item_done(self, status: str) -> None:
        self.counts.add(status)
        if time.monotonic() - self._last >= self.interval:
            self._line()

    def close(self) -> None:
        if self.counts.new:
            self._line()


class RichProgress:
    """A live bar: done/total, rate, ETA and the pass/flagged/error tally."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.console = console if console is not None else Console(stderr=True)
        self.counts = _Counts()
        self._progress = Progress(
            TextColumn("[bold]generate"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[tally]}"),
            console=self.console,
            transient=False,
        )
        self._task: Any = None

    def start(self, *, total: int, done: int) -> None:
        self.counts.total = total
        self.counts.done = done
        self.counts.started = time.monotonic()
        self._progress.start()
        self._task = self._progress.add_task(
            "generate", total=total, completed=done, rate="", tally=self.counts.tally()
        )

    def item_done(self, status: str) -> None:
        self.counts.add(status)
        if self._task is not None:
            self._progress.update(
                self._task,
                advance=1,
                rate=f"{self.counts.rate():.1f}/s",
                tally=self.counts.tally(),
            )

    def close(self) -> None:
        self._progress.stop()


def make_progress(stream: IO[str] | None = None, *, quiet: bool = False) -> ProgressReporter:
    """Rich on a terminal, plain lines otherwise, nothing when ``quiet``."""
    if quiet:
        return NullProgress()
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    if callable(isatty) and isatty():
        from rich.console import Console

        return RichProgress(Console(file=target))
    return PlainProgress(target)
