"""The listening socket and the uvicorn server around the desk's app.

The socket is bound here, before uvicorn starts, so that a port in use is one
clear error (exit 2) instead of a log line from inside the server, and so that
``--port 0`` can name the port the system picked. uvicorn's access log is off: it
prints every request's query string, and the page's first request carries the
token in it; :class:`copygen.serve.auth.Guard` logs changes and errors by path.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from copygen.errors import ConfigError
from copygen.serve.auth import allowed_hosts, new_token

if TYPE_CHECKING:
    import uvicorn

    from copygen.serve.desk import Desk

__all__ = [
    "RunningDesk",
    "bind_socket",
    "desk_url",
    "make_server",
    "running",
    "serve_forever",
]

log = logging.getLogger("copygen.serve")


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: any free one), or ConfigError."""
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot listen on {host!r}: {exc.strerror}",
            hint="--host takes an address of this machine, such as 127.0.0.1 or 0.0.0.0",
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # A restarted desk may take its port back while old connections wind down;
        # it still cannot take a port another server listens on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is in use (another copygen serve?)",
                hint="pick another with --port, or --port 0 for any free port",
            ) from None
        if exc.errno == errno.EACCES:
            raise ConfigError(
                f"no permission to listen on port {port}",
                hint="ports below 1024 need privileges: use --port 8765",
            ) from None
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="--host takes an address of this machine, such as 127.0.0.1 or 0.0.0.0",
        ) from None
    return sock


def desk_url(host: str, port: int, token: str | None = None) -> str:
    """The address to open: the bound host (this machine's name for 0.0.0.0 / ::)."""
    name = host.strip("[]")
    if name in ("0.0.0.0", "::", ""):
        name = socket.gethostname()
    if ":" in name:
        name = f"[{name}]"
    url = f"http://{name}:{port}/"
    return f"{url}?token={quote(token, safe='')}" if token else url


class _WithoutQuery(logging.Filter):
    """uvicorn's access lines with the path only: the page's first request carries the
    token in its query string. (The access log is off; this holds if someone turns a
    handler on for it, as a test's log capture or an embedding application may.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def _scrub_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _WithoutQuery) for f in access.filters):
        access.addFilter(_WithoutQuery())


def make_server(desk: Desk, sock: socket.socket, *, token: str, host: str) -> uvicorn.Server:
    import uvicorn

    from copygen.serve.app import create_app

    port = int(sock.getsockname()[1])
    app = create_app(desk, token=token, hosts=allowed_hosts(host, port))
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        interface="asgi3",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    _scrub_access_log()
    return uvicorn.Server(config)


def _open_when_ready(server: uvicorn.Server, url: str) -> None:
    def wait_and_open() -> None:
        deadline = time.monotonic() + 30
        while not server.started and not server.should_exit and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.started:
            webbrowser.open(url)

    threading.Thread(target=wait_and_open, name="copygen-serve-open", daemon=True).start()


def serve_forever(
    desk: Desk,
    sock: socket.socket,
    *,
    token: str,
    host: str,
    open_browser: bool = False,
) -> None:
    """Serve until Ctrl-C (or SIGTERM); then close the reviewers' sessions."""
    if not logging.getLogger("copygen.serve").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        serve_log = logging.getLogger("copygen.serve")
        serve_log.addHandler(handler)
        serve_log.setLevel(logging.INFO)
        serve_log.propagate = False
    server = make_server(desk, sock, token=token, host=host)
    if open_browser:
        _open_when_ready(server, desk_url(host, int(sock.getsockname()[1]), token))
    # uvicorn shuts down gracefully on Ctrl-C and SIGTERM, then raises the signal again
    # for the handler that was there before. SIGTERM's default handler would end the
    # process on the spot, before the reviewers' sessions are closed in the audit log:
    # here it becomes an exception, as Ctrl-C is.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if in_main else None
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Stopped):
        pass  # how a desk is stopped, not a failure
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        desk.close()
        sock.close()


class _Stopped(Exception):
    """SIGTERM, after uvicorn's graceful shutdown."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


@dataclass(frozen=True)
class RunningDesk:
    url: str  # without the token
    token: str
    host: str
    port: int

    @property
    def page(self) -> str:
        """The page's address with the token, as ``copygen serve`` prints it."""
        return f"{self.url}?token={quote(self.token, safe='')}"


@contextlib.contextmanager
def running(
    desk: Desk,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
) -> Iterator[RunningDesk]:
    """The desk served from a background thread for the block (tests, demos, embedding);
    the desk is closed at the end."""
    secret = token or new_token()
    sock = bind_socket(host, port)
    bound = int(sock.getsockname()[1])
    server = make_server(desk, sock, token=secret, host=host)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="copygen-serve", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the desk's server did not start")
        time.sleep(0.01)
    try:
        yield RunningDesk(url=desk_url(host, bound), token=secret, host=host, port=bound)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        desk.close()
