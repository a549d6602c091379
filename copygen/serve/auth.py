"""Who may use the desk: the access token, the Host check and the security headers.

The model, for a server on a reviewer's own machine (loopback) or on a team's
network:

- Every ``/api/`` request carries the token as ``Authorization: Bearer <token>``,
  GET included; the token in the address is accepted only for the page itself
  (``/?token=``), which holds no data. A link or a form on another site cannot
  set that header, so it can neither read nor decide anything; no cookie is ever
  set. Tokens are compared in constant time.
- Bound to loopback, a request whose ``Host`` is not the bound address is refused:
  a web page that rebinds its own name to 127.0.0.1 (DNS rebinding) still sends
  its own name as Host.
- A request that changes something and says where it comes from (``Origin``)
  must come from the desk's own page.
- Every response carries a Content-Security-Policy without inline script, and
  no-sniff, no-referrer and no-framing headers.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from copygen.errors import ConfigError

__all__ = [
    "CSP",
    "MIN_TOKEN",
    "Guard",
    "allowed_hosts",
    "is_loopback",
    "new_token",
    "token_matches",
    "valid_token",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIN_TOKEN = 16
#: The page's scripts and styles are files of the desk (no inline code, nothing
#: from elsewhere); its requests go to the desk only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = logging.getLogger("copygen.serve")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid_token(token: str) -> str:
    """A token given with ``--token`` or ``COPYGEN_SERVE_TOKEN``, or ConfigError (exit 2)."""
    value = token.strip()
    if len(value) < MIN_TOKEN:
        raise ConfigError(
            f"the access token is too short ({len(value)} characters; at least {MIN_TOKEN})",
            hint="leave out --token to have one generated",
        )
    # It travels in an HTTP header and in the address: printable ASCII, no spaces.
    if not all(33 <= ord(ch) <= 126 for ch in value):
        raise ConfigError(
            "the access token may hold only printable ASCII characters, no spaces",
            hint="leave out --token to have one generated",
        )
    return value


def token_matches(given: str | None, token: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host headers a server bound to ``host`` accepts (None: any, off loopback)."""
    if not is_loopback(host):
        return None
    names = {"localhost", "127.0.0.1", "[::1]"}
    bare = host.strip("[]")
    names.add(f"[{bare}]" if ":" in bare else bare.lower())
    allowed = {f"{name}:{port}" for name in names}
    if port == 80:
        allowed |= names
    return frozenset(allowed)


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


class Guard:
    """ASGI middleware: Host check, token check for ``/api/``, Origin check for
    changes, security headers on every response, one log line per change or error
    (the path only: a query string never reaches the log)."""

    def __init__(self, app: ASGIApp, *, token: str, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.token = token
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope.get("headers") or []
        }
        method = str(scope.get("method", "GET")).upper()
        path = str(scope.get("path", ""))
        status_seen: list[int] = []

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(int(message["status"]))
                extra = list(message.get("headers") or [])
                names = {name.lower() for name, _ in extra}
                for name, value in _SECURITY_HEADERS:
                    if name not in names:
                        extra.append((name, value))
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CSP.encode("ascii")))
                if path.startswith("/api/") and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = extra
            await send(message)

        refusal = self._refusal(headers, method, path)
        try:
            if refusal is not None:
                status, text, extra_headers = refusal
                await _send_json(send_secured, status, {"error": text}, extra_headers)
            else:
                await self.app(scope, receive, send_secured)
        finally:
            status = status_seen[0] if status_seen else 0
            if method not in _SAFE_METHODS or status >= 400 or status == 0:
                log.info("%s %s %s", method, path, status or "-")

    def _refusal(
        self, headers: dict[str, str], method: str, path: str
    ) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        host = headers.get("host", "").lower()
        if self.hosts is not None and host not in self.hosts:
            return 400, "this desk does not answer to that Host name", []
        if not (path == "/api" or path.startswith("/api/")):
            return None
        if not token_matches(_bearer(headers.get("authorization")), self.token):
            # The token in the address is not enough here, on purpose: see the module doc.
            return (
                401,
                "the access token is missing or wrong: send it as 'Authorization: Bearer "
                "<token>' (copygen serve printed it)",
                [(b"www-authenticate", b'Bearer realm="copygen"')],
            )
        origin = headers.get("origin")
        # Browsers say where a request comes from; scripts usually do not.
        foreign = origin is not None and (
            origin == "null" or urlsplit(origin).netloc.lower() != host
        )
        if method not in _SAFE_METHODS and foreign:
            return 403, "a change must come from the desk's own page", []
        return None


async def _send_json(
    send: Send, status: int, data: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
