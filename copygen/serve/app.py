"""The desk's web app: the page, its two asset files, and the JSON API the page uses.

=======  ================================  =============================================
method   path                              does
=======  ================================  =============================================
GET      /                                 the page (``?token=`` once; it holds no data)
GET      /static/desk.js, /static/desk.css its script and style
GET      /api/info                         the folder, default reviewer, labels
GET      /api/state                        counts per status and a change token (polled)
GET      /api/items                        the queue: ?status=&platform=&category=&rule=
                                           &sku=&q=&offset=&limit=
GET      /api/items/{id}                   one item: fields, findings, product, variants
POST     /api/items/{id}/decision          approve / reject (force, reason, edited fields)
POST     /api/check                        check an edited text before deciding
POST     /api/undo                         take back the reviewer's last decision
POST     /api/export                       ``copygen export`` into OUTDIR/exports/
POST     /api/report                       ``copygen report`` to OUTDIR/report.html
GET      /api/files/{name}                 download a file the desk wrote
=======  ================================  =============================================

Every ``/api/`` request needs ``Authorization: Bearer <token>`` (:mod:`.auth`).
Errors are ``{"error": "..."}`` with 400 (bad request), 401, 403, 404 (no such
item or file), 409 (the item changed since it was loaded; ``current`` holds it as
it is now), 413 (body over the limit), 415 (not JSON), 503 (the folder or its
audit log is busy with another process: try again) — never a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from copygen.errors import AuditError, AuditLockedError, ConfigError, CopygenError, InputError
from copygen.files.atomic import WriteError
from copygen.review.decisions import ConflictError, queue_filter
from copygen.serve import views
from copygen.serve.auth import Guard, token_matches
from copygen.serve.bodies import (
    check_body,
    decision_body,
    export_body,
    report_title,
    reviewer_name,
)
from copygen.serve.desk import Desk, NotFoundError, NothingToUndoError

__all__ = ["MAX_BODY", "create_app"]

#: Bytes a request body may have: an edited text is a few KB; this leaves room
#: for long detail pages and stops a runaway client.
MAX_BODY = 1024 * 1024

log = logging.getLogger("copygen.serve")

_ASSETS: dict[str, str] = {
    "desk.js": "text/javascript; charset=utf-8",
    "desk.css": "text/css; charset=utf-8",
}
_DOWNLOAD_TYPES: dict[str, str] = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".jsonl": "application/x-ndjson; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
_BAD_LINK = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>copygen 审核台</title></head>
<body><h1>此链接无效 · This link's token is not valid</h1>
<p>Open the address that <code>copygen serve</code> printed when it started
(a new token is made each time it starts).</p></body></html>
"""


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(views.json_safe(data), ensure_ascii=False, allow_nan=False)
    return Response(
        body, status_code=status, media_type="application/json; charset=utf-8", headers=headers
    )


def _error(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return _json({"error": message, **extra}, status, headers)


def _copygen_error(exc: CopygenError) -> Response:
    """The HTTP status for each kind of refusal; the message is the CLI's one line."""
    text = str(exc)
    if isinstance(exc, NotFoundError):
        return _error(404, text)
    if isinstance(exc, ConflictError):
        current = views.summary(exc.item) if exc.item is not None else None
        return _error(409, text, current=current)
    if isinstance(exc, NothingToUndoError):
        return _error(409, text)
    if isinstance(exc, (AuditLockedError, ConfigError)):
        # Another process (a generate run, an export on the command line) holds the
        # folder or its audit log: nothing was recorded, the same request can be retried.
        return _error(503, text, {"Retry-After": "2"})
    if isinstance(exc, AuditError):
        return _error(409, text)
    if isinstance(exc, WriteError):
        return _error(500, text)
    if isinstance(exc, InputError):
        return _error(400, text)
    return _error(400, text)


Handler = Callable[[Request], Awaitable[Response]]


def _endpoint(handler: Handler) -> Handler:
    """Every error as JSON with its status; an unexpected one is logged, not sent."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.headers)
        except CopygenError as exc:
            return _copygen_error(exc)
        except Exception:
            log.exception("unexpected error in %s %s", request.method, request.url.path)
            return _error(500, "internal error (the server's terminal shows what happened)")

    return wrapper


async def _body(request: Request, limit: int) -> Any:
    """The JSON body (None when empty), read up to ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            too_big = int(declared) > limit
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        if too_big:
            raise ApiError(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "send the body as JSON (Content-Type: application/json)")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None


def _asset(name: str) -> bytes:
    return (resources.files("copygen.serve") / "static" / name).read_bytes()


def create_app(
    desk: Desk, *, token: str, hosts: frozenset[str] | None, max_body: int = MAX_BODY
) -> Starlette:
    """The ASGI app of ``desk``, guarded by ``token`` (and ``hosts``, on loopback)."""
    page = _asset("index.html")
    assets = {name: (_asset(name), kind) for name, kind in _ASSETS.items()}

    async def index(request: Request) -> Response:
        given = request.query_params.get("token")
        if given is not None and not token_matches(given, token):
            return Response(_BAD_LINK, status_code=401, media_type="text/html; charset=utf-8")
        return Response(
            page, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"}
        )

    async def static(request: Request) -> Response:
        found = assets.get(str(request.path_params["name"]))
        if found is None:
            return Response("not found", status_code=404, media_type="text/plain")
        content, kind = found
        return Response(content, media_type=kind, headers={"Cache-Control": "no-cache"})

    @_endpoint
    async def info(request: Request) -> Response:
        return _json(desk.info())

    @_endpoint
    async def state(request: Request) -> Response:
        return _json(await run_in_threadpool(desk.state))

    @_endpoint
    async def items(request: Request) -> Response:
        query = request.query_params
        filters = queue_filter(
            statuses=query.getlist("status"),
            categories=query.getlist("category"),
            platforms=query.getlist("platform"),
            rules=query.getlist("rule"),
            skus=query.getlist("sku"),
        )
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", "500"))
        except ValueError:
            raise ApiError(400, "offset and limit must be whole numbers") from None
        text = query.get("q", "")
        return _json(
            await run_in_threadpool(desk.items, filters, text=text, offset=offset, limit=limit)
        )

    @_endpoint
    async def item(request: Request) -> Response:
        item_id = str(request.path_params["item_id"])
        return _json(await run_in_threadpool(desk.item, item_id))

    @_endpoint
    async def decide(request: Request) -> Response:
        item_id = str(request.path_params["item_id"])
        body = decision_body(await _body(request, max_body))
        return _json(await run_in_threadpool(desk.decide, item_id, body))

    @_endpoint
    async def check(request: Request) -> Response:
        body = check_body(await _body(request, max_body))
        return _json(await run_in_threadpool(desk.check, body))

    @_endpoint
    async def undo(request: Request) -> Response:
        data = await _body(request, max_body)
        if data is not None and (not isinstance(data, dict) or set(data) - {"reviewer"}):
            raise ApiError(400, 'the body is {"reviewer": "..."} or empty')
        who = reviewer_name((data or {}).get("reviewer"))
        return _json(await run_in_threadpool(desk.undo, who))

    @_endpoint
    async def export(request: Request) -> Response:
        body = export_body(await _body(request, max_body))
        return _json(await run_in_threadpool(desk.export, body.format, body.group_by))

    @_endpoint
    async def report(request: Request) -> Response:
        title = report_title(await _body(request, max_body))
        return _json(await run_in_threadpool(desk.report, title))

    @_endpoint
    async def download(request: Request) -> Response:
        path = desk.file(str(request.path_params["name"]))
        content = await run_in_threadpool(path.read_bytes)
        headers = {
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}",
            # A report is a page: even opened from here it runs nothing of ours.
            "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
        }
        kind = _DOWNLOAD_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return Response(content, media_type=kind, headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        if request.url.path.startswith("/api/"):
            return _error(status, str(detail).lower())
        return Response(str(detail), status_code=status, media_type="text/plain")

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/info", info, methods=["GET"]),
        Route("/api/state", state, methods=["GET"]),
        Route("/api/items", items, methods=["GET"]),
        Route("/api/items/{item_id:path}/decision", decide, methods=["POST"]),
        Route("/api/items/{item_id:path}", item, methods=["GET"]),
        Route("/api/check", check, methods=["POST"]),
        Route("/api/undo", undo, methods=["POST"]),
        Route("/api/export", export, methods=["POST"]),
        Route("/api/report", report, methods=["POST"]),
        Route("/api/files/{name}", download, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token, hosts=hosts)],
        exception_handlers={HTTPException: http_error},
    )
