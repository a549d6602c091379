"""The provider's Files and Batches APIs through the ``openai`` client.

The client gets the backend's settings (base_url, api key from the settings, timeout,
extra headers); the key is never printed or logged. Each step saves ``batch.json``
right after the provider answered, so a killed submit does not upload twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copygen.batch.requests import ENDPOINT
from copygen.batch.state import BATCH_DIR, BatchFile, BatchRound, BatchState
from copygen.config import Settings
from copygen.errors import BackendError, ConfigError

__all__ = ["client_for", "download", "refresh", "submit_file"]

COMPLETION_WINDOW = "24h"


def client_for(settings: Settings) -> Any:
    """A sync ``openai.OpenAI`` client for the settings' backend."""
    import openai

    if not settings.base_url and not settings.api_key:
        raise ConfigError(
            "batch jobs need an OpenAI-compatible backend",
            hint="give --backend openai (and --base-url), or a backend profile",
        )
    return openai.OpenAI(
        base_url=settings.base_url or None,
        api_key=settings.api_key or "none",
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        default_headers=dict(settings.extra_headers) or None,
    )


def _failed(action: str, exc: Exception) -> BackendError:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return BackendError(f"{action}: HTTP {exc.status_code}: {exc.message}")
    return BackendError(f"{action}: {type(exc).__name__}: {exc}")


def submit_file(client: Any, state: BatchState, round_: BatchRound, batch_file: BatchFile) -> None:
    """Upload one request file (unless uploaded) and create its batch."""
    try:
        if batch_file.file_id is None:
            with open(state.outdir / batch_file.path, "rb") as handle:
                uploaded = client.files.create(file=handle, purpose="batch")
            batch_file.file_id = uploaded.id
            state.save()
        batch = client.batches.create(
            input_file_id=batch_file.file_id,
            endpoint=ENDPOINT,
            completion_window=COMPLETION_WINDOW,
            metadata={"copygen_round": str(round_.number), "copygen_kind": round_.kind},
        )
    except Exception as exc:
        raise _failed(f"cannot submit {batch_file.path}", exc) from None
    batch_file.batch_id = batch.id
    _take(batch_file, batch)
    state.save()


def refresh(client: Any, state: BatchState, batch_file: BatchFile) -> None:
    try:
        batch = client.batches.retrieve(batch_file.batch_id)
    except Exception as exc:
        raise _failed(f"cannot read batch {batch_file.batch_id}", exc) from None
    _take(batch_file, batch)
    state.save()


def _take(batch_file: BatchFile, batch: Any) -> None:
    batch_file.status = batch.status
    counts = getattr(batch, "request_counts", None)
    if counts is not None:
        batch_file.counts = {
            "total": counts.total,
            "completed": counts.completed,
            "failed": counts.failed,
        }
    batch_file.output_file_id = getattr(batch, "output_file_id", None)
    batch_file.error_file_id = getattr(batch, "error_file_id", None)


def download(client: Any, state: BatchState, batch_file: BatchFile) -> list[Path]:
    """The batch's output and error files here (downloaded once); their paths."""
    paths: list[Path] = []
    stem = Path(batch_file.path).stem.replace("requests-", "")
    for kind, file_id in (
        ("output", batch_file.output_file_id),
        ("errors", batch_file.error_file_id),
    ):
        if not file_id:
            continue
        relative = f"{BATCH_DIR}/{kind}-{stem}.jsonl"
        path = state.outdir / relative
        if relative not in batch_file.downloaded:
            from copygen.files.atomic import atomic_writer

            try:
                content = client.files.content(file_id)
                with atomic_writer(path, "wb") as handle:
                    for chunk in content.iter_bytes():
                        handle.write(chunk)
            except BackendError:
                raise
            except Exception as exc:
                if isinstance(exc, OSError):
                    raise
                raise _failed(f"cannot download {file_id}", exc) from None
            batch_file.downloaded.append(relative)
            state.save()
        paths.append(path)
    return paths
