"""Which HTTP transport the ``openai`` backend's client runs on: aiohttp or httpx.

The openai SDK talks through an httpx ``AsyncClient``; by default its transport is
httpcore, and ``openai[aiohttp]`` adds ``openai.DefaultAioHttpClient``, the same
client on an aiohttp transport. Per request aiohttp costs about half the CPU of
httpcore (whose pool walks every connection on every request), which is what a
generate run of hundreds of concurrent requests on one event loop spends most on.
So copygen uses aiohttp when it is installed (it is a dependency) and httpx where
it is not, or where aiohttp cannot do what httpx does:

* a proxy from the environment that is not an ``http://`` one (``socks5://``,
  ``https://``): aiohttp speaks only to http proxies;
* ``COPYGEN_HTTP_TRANSPORT=httpx`` in the environment (``aiohttp`` forces the other
  one; ``auto``, the default, chooses as above).

Both keep every guarantee of the backend: the client is still an httpx client, so
the reply cap of ``http_limits`` (a response hook that meters the body), the proxy
environment (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, read by httpx), TLS
settings (``SSL_CERT_FILE``) and the SDK's headers work the same on either; the
backend's deadline for the whole request and its retries sit above the client.

The SDK's aiohttp transport reports every connection failure as a connect
*timeout* (a refused connection, a server that hung up); :func:`aiohttp_client`
wraps it so that each failure reaches the SDK as the httpx error it is — a timeout
stays a timeout, a dropped connection is a connection error — and no aiohttp
exception escapes the SDK unwrapped.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import os
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

from copygen.errors import ConfigError

__all__ = [
    "TRANSPORT_ENV",
    "aiohttp_available",
    "aiohttp_client",
    "choose_transport",
    "httpx_module",
    "ssl_context",
]

#: The environment variable that picks the transport: auto (default), aiohttp, httpx.
TRANSPORT_ENV = "COPYGEN_HTTP_TRANSPORT"
_CHOICES = ("auto", "aiohttp", "httpx")


@functools.cache
def httpx_module() -> Any:
    """The httpx module (``httpx`` or ``httpx2``) the installed openai SDK is built on."""
    from openai import DefaultAsyncHttpxClient

    for base in DefaultAsyncHttpxClient.__mro__:
        if base.__name__ == "AsyncClient":
            return importlib.import_module(base.__module__.partition(".")[0])
    return importlib.import_module("httpx")  # pragma: no cover - every SDK release has one


def ssl_context() -> Any:
    """The TLS context the SDK's clients build by default (``verify=True``, honouring
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``), built once per process for each value of
    those variables: loading the CA bundle takes tens of milliseconds, which a
    client built per run would otherwise spend on the event loop as the run starts."""
    return _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _ssl_context(cafile: str | None, capath: str | None) -> Any:
    # The arguments are the cache key: create_ssl_context reads the variables itself.
    return httpx_module().create_ssl_context(verify=True, trust_env=True)


@functools.cache
def aiohttp_available() -> bool:
    """Whether the installed openai SDK can run on aiohttp (``openai[aiohttp]``)."""
    try:
        import aiohttp  # noqa: F401
        from openai import DefaultAioHttpClient
    except ImportError:
        return False
    # Without aiohttp the SDK defines a stand-in that refuses to be built.
    own = getattr(DefaultAioHttpClient, "_init_transport", None)
    plain = getattr(httpx_module().AsyncClient, "_init_transport", None)
    return own is not None and own is not plain


def _env_proxies_are_http() -> bool:
    """True when every proxy the environment names (for http, https, all) is http://."""
    for scheme, url in urllib.request.getproxies().items():
        if scheme not in ("http", "https", "all") or not url:
            continue
        proxy_scheme = url.split("://", 1)[0].lower() if "://" in url else "http"
        if proxy_scheme != "http":
            return False
    return True


def choose_transport(requested: str | None = None) -> str:
    """``aiohttp`` or ``httpx``: what a backend's client is built on now.

    ``requested``: auto, aiohttp or httpx (None: ``$COPYGEN_HTTP_TRANSPORT``, else auto).
    ConfigError for another value, or for aiohttp when it is not installed.
    """
    choice = (requested or os.environ.get(TRANSPORT_ENV) or "auto").strip().lower()
    if choice not in _CHOICES:
        raise ConfigError(
            f"unknown HTTP transport {choice!r} (from {TRANSPORT_ENV})",
            hint=f"expected one of {', '.join(_CHOICES)}",
        )
    if choice == "httpx":
        return "httpx"
    if choice == "aiohttp":
        if not aiohttp_available():
            raise ConfigError(
                f"{TRANSPORT_ENV}=aiohttp, but aiohttp is not installed",
                hint="pip install 'openai[aiohttp]', or unset the variable",
            )
        return "aiohttp"
    return "aiohttp" if aiohttp_available() and _env_proxies_are_http() else "httpx"


# --- the aiohttp client -----------------------------------------------------------------


def _processing_error() -> type[Exception]:
    """aiohttp's error for an HTTP message it cannot parse (a header too long, ...)."""
    from aiohttp.http_exceptions import HttpProcessingError

    return HttpProcessingError


def _as_httpx_error(exc: BaseException) -> BaseException:
    """The httpx error an exception out of the aiohttp transport stands for.

    The SDK's transport maps aiohttp's errors coarsely (every connection error
    becomes ``ConnectTimeout``) and passes some through unmapped; this looks at
    the aiohttp error underneath and names it properly. Anything else is returned
    as it is.
    """
    import aiohttp

    httpx = httpx_module()
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) else exc
    if not isinstance(cause, (aiohttp.ClientError, _processing_error())):
        return exc
    message = str(cause) or type(cause).__name__
    new: BaseException
    if isinstance(cause, aiohttp.ServerTimeoutError):
        connect = getattr(aiohttp, "ConnectionTimeoutError", ())
        new = (
            httpx.ConnectTimeout(message)
            if connect and isinstance(cause, connect)
            else httpx.ReadTimeout(message)
        )
    elif isinstance(cause, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
        new = httpx.ProxyError(message)
    elif isinstance(cause, aiohttp.ClientConnectorError):
        new = httpx.ConnectError(message)
    elif isinstance(cause, aiohttp.ServerDisconnectedError):
        new = httpx.RemoteProtocolError("Server disconnected without sending a complete response.")
    elif isinstance(cause, aiohttp.ClientPayloadError):
        new = httpx.ReadError(message)
    elif isinstance(cause, (aiohttp.ClientResponseError, _processing_error())):
        new = httpx.RemoteProtocolError(message)  # not HTTP, or headers past aiohttp's limits
    else:
        new = httpx.NetworkError(message)
    new.__cause__ = cause
    return new


@functools.cache
def _wrapper_classes() -> tuple[type[Any], type[Any]]:
    """(transport, byte stream) wrappers that translate aiohttp's errors (see above)."""
    httpx = httpx_module()

    class Stream(httpx.AsyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                async for chunk in self._inner:
                    yield chunk
            except Exception as exc:
                mapped = _as_httpx_error(exc)
                if mapped is exc:
                    raise
                raise mapped from mapped.__cause__

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            except Exception as exc:
                mapped = _as_httpx_error(exc)
                if mapped is exc:
                    raise
                raise mapped from mapped.__cause__

    class Transport(httpx.AsyncBaseTransport):  # type: ignore[name-defined]
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        async def handle_async_request(self, request: Any) -> Any:
            if request.url.userinfo:
                # httpx has made the URL's user:password the Authorization header;
                # aiohttp refuses a request that has both.
                request.url = request.url.copy_with(userinfo=b"")
            try:
                response = await self._inner.handle_async_request(request)
            except Exception as exc:
                mapped = _as_httpx_error(exc)
                if mapped is exc:
                    raise
                raise mapped from mapped.__cause__
            response.stream = Stream(response.stream)
            return response

        async def aclose(self) -> None:
            await self._inner.aclose()
            # aiohttp closes its TLS connections a moment later (on the next loop
            # turn); let it, so that nothing is left to a loop about to close.
            await asyncio.sleep(0)

    return Transport, Stream


@functools.cache
def _client_class() -> type[Any]:
    from openai import DefaultAioHttpClient

    transport_class, _ = _wrapper_classes()

    class AiohttpClient(DefaultAioHttpClient):
        """``openai.DefaultAioHttpClient`` whose transports report errors as httpx does."""

        def _init_transport(self, *args: Any, **kwargs: Any) -> Any:
            inner = super()._init_transport(*args, **kwargs)
            return inner if kwargs.get("transport") is not None else transport_class(inner)

        def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> Any:
            return transport_class(super()._init_proxy_transport(*args, **kwargs))

    return AiohttpClient


def aiohttp_client(**kwargs: Any) -> Any:
    """An httpx ``AsyncClient`` on the SDK's aiohttp transport (``DefaultAioHttpClient``'s
    defaults), with aiohttp's errors translated; ``kwargs`` go to the client."""
    return _client_class()(**kwargs)
