"""``copygen serve``: the review desk in a browser, over one output folder.

A small local web app that does what ``copygen review`` does, for several
reviewers at once, through the same review core and into the same audit log.

- ``desk``: :class:`Desk`, the folder opened for review: the queue, one item, the
  re-check of an edit, decisions and undo (one lock around the audit-log writer),
  export and report. No web code: usable and tested from Python.
- ``views``: the items as JSON (the queue's summaries, one item with its findings,
  product facts and the other variants of its row, counts, the text search).
- ``bodies``: the JSON request bodies read and checked (sizes, types, fields).
- ``auth``: the access token, the Host check and the security headers.
- ``app``: the routes (the page, its assets and the JSON API).
- ``server``: the listening socket, uvicorn, the printed address.
- ``static/``: the page itself, plain HTML, CSS and JavaScript (no build, no CDN).

Starlette and uvicorn are imported by ``app`` and ``server`` only, so that
importing this package (and the CLI that registers ``serve``) stays cheap.
"""

from __future__ import annotations
