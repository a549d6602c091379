"""``OUTDIR/batch.json``: the state of one batch job, rewritten atomically after each step.

A job is a list of *rounds*; each round is one kind of request (``generate``: first
drafts; ``retry``: first drafts of items the provider failed; ``repair``: repairs of
flagged items) in one or more request files, each file one provider batch. A round
is collected once, when all its batches have ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from copygen.errors import ConfigError
from copygen.files.atomic import atomic_writer
from copygen.files.locks import held_lock

__all__ = ["STATE_FILE", "TERMINAL", "BatchFile", "BatchRound", "BatchState"]

STATE_FILE = "batch.json"
BATCH_DIR = "batch"
LOCK_FILE = ".batch.lock"
#: Provider batch statuses after which nothing changes any more.
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


@dataclass
class BatchFile:
    """One request file and the provider batch made of it."""

    path: str  # relative to OUTDIR
    requests: int
    bytes: int
    first_id: str
    last_id: str
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None  # the provider's; None until submitted
    counts: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None
    downloaded: list[str] = field(default_factory=list)  # local copies, relative to OUTDIR

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL


@dataclass
class BatchRound:
    number: int
    kind: str  # generate | retry | repair
    files: list[BatchFile] = field(default_factory=list)
    collected: bool = False
    #: The runs in the folder's run.json when this round's first collect began. A run
    #: after them that completed recorded the round (a collect killed before it could
    #: mark the round collected is finished without recording it twice); the others
    #: were stopped, and what they recorded is not recorded again.
    runs_before: int | None = None

    @property
    def requests(self) -> int:
        return sum(f.requests for f in self.files)

    @property
    def submitted(self) -> bool:
        return all(f.batch_id is not None for f in self.files)

    @property
    def ended(self) -> bool:
        return all(f.ended for f in self.files)


@dataclass
class BatchState:
    outdir: Path
    input: str
    input_sha256: str
    format: str  # openai | vllm
    model: str | None
    base_url: str | None  # redacted
    max_repairs: int
    #: The command line's settings (load_settings(cli=...)) and config file, so that
    #: submit/status/collect rebuild the settings prepare used.
    cli: dict[str, Any] = field(default_factory=dict)
    config_path: str | None = None
    rounds: list[BatchRound] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.outdir / STATE_FILE

    @classmethod
    def load(cls, outdir: str | Path) -> BatchState:
        outdir = Path(outdir)
        path = outdir / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"no batch job in {outdir}", file=path, hint="run `copygen batch prepare` first"
            ) from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"unreadable batch state: {exc}", file=path) from None
        try:
            rounds = [
                BatchRound(
                    number=int(r["number"]),
                    kind=str(r["kind"]),
                    files=[BatchFile(**f) for f in r["files"]],
                    collected=bool(r["collected"]),
                    runs_before=(
                        int(r["runs_before"]) if r.get("runs_before") is not None else None
                    ),
                )
                for r in data.pop("rounds")
            ]
            data.pop("version", None)
            return cls(outdir=outdir, rounds=rounds, **data)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"damaged batch state ({type(exc).__name__}: {exc})",
                file=path,
                hint="it is rewritten by copygen only; restore it, or start over with "
                "`copygen batch prepare --force`",
            ) from None

    @staticmethod
    def exists(outdir: str | Path) -> bool:
        return (Path(outdir) / STATE_FILE).is_file()

    def save(self) -> None:
        data = asdict(self)
        data.pop("outdir")
        with atomic_writer(self.path, "w", encoding="utf-8") as handle:
            json.dump({"version": 1, **data}, handle, ensure_ascii=False, indent=1)

    @staticmethod
    @contextmanager
    def locked(outdir: str | Path, *, new: bool = False) -> Iterator[None]:
        """One batch command at a time in a folder: two submits would pay twice.

        Unless ``new`` (prepare), the folder must hold a job: a mistyped folder is the
        "no batch job" error, not a folder created to hold a lock.
        """
        if not new and not BatchState.exists(outdir):
            BatchState.load(outdir)  # raises, naming the folder
        with held_lock(
            Path(outdir) / BATCH_DIR / LOCK_FILE,
            busy="another copygen batch command is working on this job",
            hint="wait for it to finish",
            folder=Path(outdir),
        ):
            yield

    def next_round(self) -> int:
        return len(self.rounds) + 1

    def pending(self) -> list[BatchRound]:
        """Rounds not yet collected, in order."""
        return [r for r in self.rounds if not r.collected]
