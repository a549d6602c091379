"""Request files in the OpenAI batch format, one JSON object a line.

``{"custom_id": ITEM_ID, "method": "POST", "url": "/v1/chat/completions", "body": {...}}``
with the messages generate would send (personal data masked) and its parameters.
Files are split at the provider's limits: requests per file and bytes per file.
``vllm`` (``vllm run-batch``) reads the same lines; the body always names the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from copygen.batch.state import BATCH_DIR, BatchFile
from copygen.config import Settings
from copygen.files.atomic import write_error

__all__ = [
    "ENDPOINT",
    "MAX_FILE_BYTES",
    "MAX_REQUESTS_PER_FILE",
    "RequestWriter",
    "request_body",
]

ENDPOINT = "/v1/chat/completions"
#: OpenAI's limits for one batch input file.
MAX_REQUESTS_PER_FILE = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024


def request_body(
    messages: Sequence[Mapping[str, str]],
    *,
    settings: Settings,
    model: str | None,
    platform: str,
    lang: str,
) -> dict[str, Any]:
    """The chat request generate's OpenAI backend would send for one item."""
    from copygen.backends.response_format import auto_max_tokens, response_format_for

    body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
    body["temperature"] = settings.temperature
    max_tokens = settings.max_tokens or auto_max_tokens(platform, lang)
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if settings.seed is not None:
        body["seed"] = settings.seed
    if settings.json_mode and settings.response_format != "none":
        level = "json_schema" if settings.response_format == "auto" else settings.response_format
        fmt = response_format_for(level, platform)
        if fmt is not None:
            body["response_format"] = fmt
    return body


class RequestWriter:
    """Writes request lines into ``OUTDIR/batch/requests-r{round}-{part}.jsonl`` files."""

    def __init__(
        self,
        outdir: Path,
        round_number: int,
        *,
        max_requests: int = MAX_REQUESTS_PER_FILE,
        max_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.outdir = outdir
        self.round = round_number
        self.max_requests = max(1, max_requests)
        self.max_bytes = max_bytes
        self.files: list[BatchFile] = []
        self._handle: IO[bytes] | None = None
        self._current: BatchFile | None = None

    def add(self, custom_id: str, body: Mapping[str, Any]) -> None:
        line = (
            json.dumps(
                {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n"
        ).encode("utf-8")
        current = self._current
        if current is None or (
            current.requests >= self.max_requests or current.bytes + len(line) > self.max_bytes
        ):
            current = self._open(custom_id)
        assert self._handle is not None
        try:
            self._handle.write(line)
        except OSError as exc:
            raise write_error(exc, self.outdir / current.path) from None
        current.requests += 1
        current.bytes += len(line)
        current.last_id = custom_id

    def add_all(self, lines: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        for custom_id, body in lines:
            self.add(custom_id, body)

    def _open(self, first_id: str) -> BatchFile:
        self.close()
        relative = f"{BATCH_DIR}/requests-r{self.round}-{len(self.files) + 1}.jsonl"
        path = self.outdir / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(path, "wb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise write_error(exc, path) from None
        self._current = BatchFile(
            path=relative, requests=0, bytes=0, first_id=first_id, last_id=first_id
        )
        self.files.append(self._current)
        return self._current

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
