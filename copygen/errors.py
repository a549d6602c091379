"""The exception tree and the exit-code table.

Every failure a user can cause or meet is a ``CopygenError`` subclass carrying its
exit code and, where known, the file, row (1-based data row or line) and column it
concerns. The CLI turns them into one line on stderr; Python callers catch them.

Exit codes are a public contract for scripts: a number is never reused for another
meaning.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # bad option, unreadable file, missing column, template error, invalid rule file
    BACKEND = 3  # rows that still failed after retries
    AUDIT = 4  # audit log verification failed
    INTERRUPTED = 130


class CopygenError(Exception):
    """Base of every error copygen raises on purpose."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint

    def location(self) -> str:
        """``file:row: column 'c'`` with whatever parts are known."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(self.file if self.row is None else f"{self.file}:{self.row}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(CopygenError):
    """Unreadable or invalid input: a product file, a text file, a missing column."""


class ConfigError(CopygenError):
    """An invalid configuration file, environment variable or option value."""


class TemplateError(CopygenError):
    """A prompt template that cannot be found, parsed or rendered."""


class RuleError(CopygenError):
    """An invalid rule pack or allowlist."""


class BackendError(CopygenError):
    """A model backend that failed after retries, or cannot be set up."""

    exit_code = ExitCode.BACKEND


class AuditError(CopygenError):
    """An audit log that fails verification."""

    exit_code = ExitCode.AUDIT


class AuditLockedError(AuditError):
    """Another process holds the audit log's writer lock.

    This is not a verification failure, so it does not take exit code 4: the log
    is fine, the command simply cannot use it now.
    """

    exit_code = ExitCode.USAGE
