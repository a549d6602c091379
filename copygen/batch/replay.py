"""The batch's replies as a backend, so that generate's own run records them.

:class:`ReplyIndex` keeps every output and error line of a job in
``OUTDIR/batch/replies.sqlite``, keyed by round and ``custom_id`` (the provider
returns lines in any order; a million of them do not fit in memory as a dict).
Loading the same file again replaces its lines: collecting twice adds nothing.

:class:`ReplayBackend` answers ``complete`` for an item with its line of the round
being collected: the reply's text, usage and body (``raw``, with the batch id), or
a BackendError for a failed or missing request, which generate records as an item
with status ``error`` (sent again by the next ``batch submit``). A second call for
the same item (generate asks again when a reply does not parse) fails the same way:
a batch holds one reply per request.
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from copygen.backends.base import Backend, Completion, Message, RequestContext, Usage
from copygen.config import Settings
from copygen.errors import BackendError

__all__ = ["REPLIES_FILE", "ReplayBackend", "ReplyIndex", "completion_from_line"]

REPLIES_FILE = "replies.sqlite"
_SERVED_KEPT = 4096  # items answered lately: more than a run keeps in flight


class ReplyIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path))
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS replies (round INTEGER, custom_id TEXT, "
            "batch_id TEXT, line TEXT, PRIMARY KEY (round, custom_id))"
        )

    def load(self, round_number: int, batch_id: str | None, path: Path) -> int:
        """Index every line of an output or error file; returns the lines read."""
        count = 0
        with open(path, "rb") as handle:
            rows: list[tuple[int, str, str | None, str]] = []
            for raw in handle:
                text = raw.decode("utf-8").strip()
                if not text:
                    continue
                try:
                    custom_id = str(json.loads(text)["custom_id"])
                except (ValueError, KeyError, TypeError):
                    continue  # not a reply line: nothing to match it with
                rows.append((round_number, custom_id, batch_id, text))
                count += 1
                if len(rows) >= 10_000:
                    self._put(rows)
                    rows = []
            self._put(rows)
        self.db.commit()
        return count

    def _put(self, rows: list[tuple[int, str, str | None, str]]) -> None:
        if rows:
            # A success line wins over an error line for the same request.
            self.db.executemany(
                "INSERT INTO replies VALUES (?, ?, ?, ?) ON CONFLICT (round, custom_id) DO "
                "UPDATE SET batch_id = excluded.batch_id, line = excluded.line "
                "WHERE replies.line NOT LIKE '%\"status_code\":200%' "
                "AND replies.line NOT LIKE '%\"status_code\": 200%'",
                rows,
            )

    def get(self, round_number: int, custom_id: str) -> tuple[str | None, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT batch_id, line FROM replies WHERE round = ? AND custom_id = ?",
            (round_number, custom_id),
        ).fetchone()
        if row is None:
            return None
        return row[0], json.loads(row[1])

    def ids(self, round_number: int) -> Iterator[str]:
        for (custom_id,) in self.db.execute(
            "SELECT custom_id FROM replies WHERE round = ?", (round_number,)
        ):
            yield custom_id

    def close(self) -> None:
        self.db.close()


def completion_from_line(line: Mapping[str, Any], batch_id: str | None) -> Completion:
    """The Completion of one output line; BackendError for a failed request."""
    response = line.get("response") or {}
    error = line.get("error")
    status = response.get("status_code") if isinstance(response, Mapping) else None
    body = response.get("body") if isinstance(response, Mapping) else None
    if error or status != 200 or not isinstance(body, Mapping):
        if isinstance(error, Mapping):
            reason = f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip()
        elif isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            err = body["error"]
            reason = f"{status}: {err.get('message') or err.get('code') or 'error'}"
        else:
            reason = f"status {status}"
        raise BackendError(f"batch request failed ({reason})")
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise BackendError("batch reply without a message") from None
    usage = body.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return Completion(
        text=str(text),
        usage=Usage(
            int(usage.get("prompt_tokens") or 0),
            int(usage.get("completion_tokens") or 0),
            int(details.get("cached_tokens") or 0) if isinstance(details, Mapping) else 0,
        ),
        model=body.get("model"),
        finish_reason=choice.get("finish_reason"),
        raw={**body, "batch_id": batch_id, "custom_id": line.get("custom_id")},
    )


class ReplayBackend(Backend):
    """Answers each item with its reply from one round of a batch job."""

    name: ClassVar[str] = "batch"
    remote: ClassVar[bool] = True
    description: ClassVar[str] = "replies of a provider batch job (copygen batch collect)"

    def __init__(
        self, index: ReplyIndex, round_number: int, *, model: str | None, base_url: str | None
    ) -> None:
        self.index = index
        self.round = round_number
        self._model = model
        self._base_url = base_url
        self._served: OrderedDict[tuple[str, int], None] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> ReplayBackend:  # pragma: no cover
        raise BackendError("the batch backend is made by `copygen batch collect`")

    @property
    def model(self) -> str | None:
        return self._model

    @property
    def base_url(self) -> str | None:
        return self._base_url

    async def complete(
        self,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        if context is None:
            raise BackendError("a batch reply needs the item it answers")
        key = (context.item_id, context.attempt)
        if key in self._served:
            raise BackendError("the batch holds one reply per request; asked again next round")
        self._served[key] = None
        if len(self._served) > _SERVED_KEPT:
            self._served.popitem(last=False)
        found = self.index.get(self.round, context.item_id)
        if found is None:
            raise BackendError(f"no reply in round {self.round} of the batch job")
        batch_id, line = found
        return completion_from_line(line, batch_id)

    async def aclose(self) -> None:
        return None
