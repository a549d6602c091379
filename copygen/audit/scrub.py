"""What must never reach an audit log: credentials, and personal data in prompts.

Three layers, applied to every event's data before it is serialised:

1. Keys that name a credential (``api_key``, ``authorization``, ``password``,
   ``*_secret``, ``access_token``, ...) are dropped at any depth, and so are
   credential-like entries (auth, key, token, secret, cookie) of any ``*headers``
   mapping.
2. String values have known secret values replaced by ``***``: the values given
   to ``AuditLog.open(secrets=...)`` and those of environment variables named like
   a credential (``OPENAI_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ...), plus
   ``Bearer <token>`` and ``sk-...`` key shapes wherever they appear.
3. ``messages`` (the rendered prompt sent to a model) have personal data masked
   with :func:`copygen.compliance.pii.mask_pii`; the raw model response is kept
   as it came back, since it is the evidence of what was generated.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

REDACTED = "***"
_SECRET_KEY_NAMES = frozenset(
    {
        "api_key",
        "apikey",
        "api_token",
        "auth",
        "auth_token",
        "access_token",
        "refresh_token",
        "id_token",
        "session_token",
        "token",
        "bearer",
        "authorization",
        "proxy_authorization",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "private_key",
        "cookie",
        "set_cookie",
        "x_api_key",
    }
)
_SECRET_KEY_SUFFIXES = ("_api_key", "_apikey", "_secret", "_password", "_token")
_HEADER_WORDS = ("auth", "key", "token", "secret", "cookie")
_ENV_SECRET_RE = re.compile(r"(API_?KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL)", re.IGNORECASE)
_VALUE_PATTERNS = (
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE), r"\1 " + REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), "sk-" + REDACTED),
)
# Cheap tests that a text may hold a match of the pattern of the same index in
# _VALUE_PATTERNS (each is implied by a match, so skipping on a miss changes
# nothing). The first spells out every character that IGNORECASE matching of
# "bearer"/"basic" accepts: besides ASCII case, the long s (U+017F) for s, and the
# dotted capital I (U+0130) and dotless i (U+0131) for i; a test checks this list
# against the regex engine.
_BEARER_GATE = re.compile("[Bb](?:[Ee][Aa][Rr][Ee][Rr]|[Aa][Ss\u017f][Ii\u0130\u0131][Cc])\\s")
_VALUE_GATES: tuple[Callable[[str], bool], ...] = (
    lambda text: _BEARER_GATE.search(text) is not None,
    lambda text: "sk-" in text,
)
_MIN_SECRET_LEN = 8  # shorter values would redact ordinary words
# Masked prompts remembered by text: the system prompt and retried prompts recur.
_MASK_MEMO_SIZE = 64


@functools.lru_cache(maxsize=4096)  # event keys recur on every event
def _norm(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    name = _norm(key)
    # *_tokens (prompt_tokens, max_tokens) are counts, not credentials: only the
    # singular suffix names one.
    return (
        name in _SECRET_KEY_NAMES or name.endswith(_SECRET_KEY_SUFFIXES) or "authorization" in name
    )


def _is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _HEADER_WORDS)


def env_secrets(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of environment variables named like credentials."""
    env = os.environ if environ is None else environ
    return {
        value
        for name, value in env.items()
        if _ENV_SECRET_RE.search(name) and len(value.strip()) >= _MIN_SECRET_LEN
    }


class Scrubber:
    """Removes credentials from event data; masks personal data in prompts."""

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        *,
        mask: Callable[[str], str] | None = None,
    ) -> None:
        values = {s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(values, key=len, reverse=True)
        self._mask = mask
        self._mask_memo: dict[str, str] = {}

    def __call__(self, data: Mapping[str, Any]) -> dict[str, Any]:
        result = self._mapping(data, headers=False)
        return result

    def _mapping(self, data: Mapping[str, Any], *, headers: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if is_secret_key(key) or (headers and _is_secret_header(key)):
                continue
            norm = _norm(key)
            if norm == "messages" and isinstance(value, list):
                out[key] = [self._message(m) for m in value]
            else:
                out[key] = self._value(value, headers=norm.endswith("headers"))
        return out

    def _value(self, value: Any, *, headers: bool = False) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return self._mapping(value, headers=headers)
        if isinstance(value, list):
            return [self._value(v) for v in value]
        return value

    def _message(self, message: Any) -> Any:
        if not isinstance(message, Mapping):
            return self._value(message)
        out = self._mapping(message, headers=False)
        content = out.get("content")
        if isinstance(content, str):
            out["content"] = self.mask(content)
        elif isinstance(content, list):  # OpenAI content parts
            out["content"] = [
                {**part, "text": self.mask(part["text"])}
                if isinstance(part, dict) and isinstance(part.get("text"), str)
                else part
                for part in content
            ]
        return out

    def mask(self, text: str) -> str:
        """Personal data masked (phones, e-mails, ID and bank card numbers)."""
        memo = self._mask_memo
        masked = memo.get(text)
        if masked is not None:
            return masked
        mask = self._mask
        if mask is None:
            from copygen.compliance.pii import mask_pii

            mask = self._mask = mask_pii
        masked = mask(text)
        if len(memo) >= _MASK_MEMO_SIZE:
            memo.clear()  # simple and safe with appends from several threads
        memo[text] = masked
        return masked

    def text(self, value: str) -> str:
        if len(value) < _MIN_SECRET_LEN:
            return value  # shorter than any secret and any key shape
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        for gate, (pattern, replacement) in zip(_VALUE_GATES, _VALUE_PATTERNS, strict=True):
            if gate(value):
                value = pattern.sub(replacement, value)
        return value
