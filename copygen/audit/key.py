"""The audit key: where it comes from, and the MACs and signed checkpoints made with it.

The key is a secret shared by everyone allowed to write the log (the machines that
run ``generate``, ``review`` and ``export``) and by whoever verifies it. It is read
from, highest first: ``--audit-key-file`` on the command line, the environment
variable ``COPYGEN_AUDIT_KEY`` (the key itself), ``COPYGEN_AUDIT_KEY_FILE``, and
``audit_key_file`` in the config file. A key file's surrounding whitespace (the
newline an editor or ``echo`` adds) is not part of the key.

The key itself is never used directly: event MACs and checkpoint signatures use
two keys derived from it (HMAC-SHA256 with a fixed label each), so a checkpoint's
signature can never be passed off as an event's MAC or the other way round. The
key never reaches an output, an error message or the log: :class:`AuditKey` does
not show it in ``repr``, and the log's scrubber redacts it should it ever appear in
event data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from copygen.errors import AuditError, ConfigError

if TYPE_CHECKING:
    from copygen.config import Settings

__all__ = [
    "CHECKPOINT_PREFIX",
    "KEY_ENV",
    "MIN_KEY_BYTES",
    "AuditKey",
    "Checkpoint",
    "key_from_settings",
    "load_key",
]

KEY_ENV = "COPYGEN_AUDIT_KEY"
KEY_FILE_ENV = "COPYGEN_AUDIT_KEY_FILE"
#: 128 bits: below that an HMAC key can be guessed offline from any MAC in the log.
MIN_KEY_BYTES = 16
#: A key file is a short secret; a bigger file is the wrong file (or /dev/zero).
MAX_KEY_FILE_BYTES = 4096
CHECKPOINT_PREFIX = "copygen-checkpoint-v1"
_EVENT_LABEL = b"copygen audit event mac v1"
_CHECKPOINT_LABEL = b"copygen audit checkpoint v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHECKPOINT_RE = re.compile(
    rf"^{CHECKPOINT_PREFIX}:([1-9][0-9]{{0,17}}):([0-9a-f]{{64}}):([0-9a-f]{{64}})$"
)
_KEY_HINT = "make one with: openssl rand -hex 32"


class AuditKey:
    """A loaded audit key; ``source`` says where it came from (safe to print)."""

    __slots__ = ("_checkpoint_key", "_event_key", "_text", "source")

    def __init__(self, secret: bytes, *, source: str) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise ConfigError(
                f"the audit key from {source} is too short ({len(secret)} bytes; "
                f"at least {MIN_KEY_BYTES})",
                hint=_KEY_HINT,
            )
        self.source = source
        self._event_key = hmac.new(secret, _EVENT_LABEL, hashlib.sha256).digest()
        self._checkpoint_key = hmac.new(secret, _CHECKPOINT_LABEL, hashlib.sha256).digest()
        self._text = secret.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"AuditKey(from {self.source})"

    @property
    def secret_text(self) -> str:
        """The key as text, for the scrubber's list of values never to write."""
        return self._text

    def mac(self, body: bytes) -> str:
        """HMAC-SHA256 (hex) of an event's MAC body (see chain.mac_body)."""
        return hmac.new(self._event_key, body, hashlib.sha256).hexdigest()

    def mac_ok(self, body: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.mac(body), mac)

    def checkpoint(self, seq: int, head: str) -> Checkpoint:
        """A signed checkpoint of the event ``seq`` whose hash is ``head``."""
        return Checkpoint(seq, head, self._checkpoint_mac(seq, head))

    def checkpoint_ok(self, checkpoint: Checkpoint) -> bool:
        expected = self._checkpoint_mac(checkpoint.seq, checkpoint.head)
        return hmac.compare_digest(expected, checkpoint.mac)

    def _checkpoint_mac(self, seq: int, head: str) -> str:
        message = f"{CHECKPOINT_PREFIX}:{seq}:{head}".encode("ascii")
        return hmac.new(self._checkpoint_key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """``seq`` and ``head`` (hash) of one event, signed with the audit key."""

    seq: int
    head: str
    mac: str

    def __str__(self) -> str:
        return f"{CHECKPOINT_PREFIX}:{self.seq}:{self.head}:{self.mac}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """InputError (exit 2) for anything that is not a checkpoint line."""
        from copygen.errors import InputError

        match = _CHECKPOINT_RE.match(text.strip().lower())
        if match is None:
            raise InputError(
                "--checkpoint is not a checkpoint (expected "
                f"{CHECKPOINT_PREFIX}:SEQ:HASH:MAC as printed by `copygen audit checkpoint`)"
            )
        return cls(int(match.group(1)), match.group(2), match.group(3))


def is_mac(value: object) -> bool:
    return isinstance(value, str) and _HEX64.match(value) is not None


def _read_key_file(path: Path) -> bytes:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError("audit key file not found", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the audit key file: {exc.strerror}", file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError("is a directory, not an audit key file", file=path)
    try:
        with open(path, "rb") as handle:
            # Bounded: a FIFO or a device would otherwise be read for ever.
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the audit key file: {exc.strerror}", file=path) from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise ConfigError(
            f"the audit key file is larger than {MAX_KEY_FILE_BYTES} bytes: not a key file",
            file=path,
        )
    secret = data.strip()
    if not secret:
        raise ConfigError("the audit key file is empty", file=path, hint=_KEY_HINT)
    return secret


def load_key(
    *,
    key_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    config_key_file: str | os.PathLike[str] | None = None,
) -> AuditKey | None:
    """The audit key in force, or None when none is configured.

    ``key_file``: given on the command line (wins); then ``COPYGEN_AUDIT_KEY``,
    ``COPYGEN_AUDIT_KEY_FILE`` from ``env``; then ``config_key_file``.
    """
    environ = os.environ if env is None else env
    if key_file is not None:
        path = Path(key_file).expanduser()
        return AuditKey(_read_key_file(path), source=f"file {path}")
    value = environ.get(KEY_ENV)
    if value is not None:
        secret = value.strip().encode("utf-8")
        if not secret:
            raise ConfigError(f"{KEY_ENV} is set but empty", hint=_KEY_HINT)
        return AuditKey(secret, source=f"env {KEY_ENV}")
    named = environ.get(KEY_FILE_ENV) or (str(config_key_file) if config_key_file else None)
    if named:
        path = Path(named).expanduser()
        return AuditKey(_read_key_file(path), source=f"file {path}")
    return None


def key_from_settings(
    settings: Settings | None, *, env: Mapping[str, str] | None = None
) -> AuditKey | None:
    """The audit key for a command run with ``settings``.

    ``settings.audit_key_file`` given as an option wins over ``COPYGEN_AUDIT_KEY``;
    from the environment or the config file it comes after it.
    """
    if settings is None:
        return load_key(env=env)
    key_file = getattr(settings, "audit_key_file", None)
    if key_file is not None and settings.sources.get("audit_key_file") == "option":
        return load_key(key_file=key_file, env=env)
    return load_key(env=env, config_key_file=key_file)


def require_key(key: AuditKey | None, what: str) -> AuditKey:
    if key is None:
        raise ConfigError(
            f"{what} needs the audit key",
            hint=f"set {KEY_ENV}, or pass --audit-key-file",
        )
    return key


def keyed_log_error(path: str | Path) -> ConfigError:
    return ConfigError(
        "this audit log is keyed (its events carry a MAC); writing to it needs its key",
        file=path,
        hint=f"set {KEY_ENV}, or pass --audit-key-file / audit_key_file in the config",
    )


def wrong_key_error(path: str | Path, row: int | None = None) -> AuditError:
    return AuditError(
        "the last event's MAC does not match the audit key (another key, or a forged event)",
        file=path,
        row=row,
        hint="run `copygen audit verify` with the key",
    )
