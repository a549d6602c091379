"""The backend interface every model backend implements.

Modelled on simonw/llm: a backend is a small class registered by name; the pipeline
knows nothing of HTTP. ``complete`` gets the exact chat messages plus the context of
the item, which a remote model ignores and the offline backend writes from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from copygen.config import Price, Settings
    from copygen.inputs.product import Product

Message = Mapping[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}


@dataclass(frozen=True)
class RequestContext:
    """What the item is, for backends that compose rather than call a model."""

    item_id: str
    platform: str
    lang: str
    variant: int
    product: Product | None = None
    attempt: int = 1  # 1 = first draft, 2.. = repairs
    findings: tuple[Mapping[str, Any], ...] = ()  # what the repair must fix
    previous_fields: Mapping[str, Any] | None = None  # the draft being repaired
    seed: int | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: Of prompt_tokens, those the server read from its prefix cache
    #: (``usage.prompt_tokens_details.cached_tokens``); 0 when it does not say.
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        out = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.cached_tokens:
            out["cached_tokens"] = self.cached_tokens
        return out


@dataclass(frozen=True)
class Completion:
    text: str  # the raw reply text (JSON for the platforms' fields)
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0
    model: str | None = None
    finish_reason: str | None = None
    raw: Mapping[str, Any] | None = None  # the server's response body, for the audit log
    cached: bool = False


def cost_of(usage: Usage, price: Price | None) -> float | None:
    """The cost of one call's tokens, or None when the model's price is unknown."""
    if price is None:
        return None
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    cached_price = price.input if price.cached_input is None else price.cached_input
    fresh = usage.prompt_tokens - cached
    return (
        fresh * price.input + cached * cached_price + usage.completion_tokens * price.output
    ) / 1e6


class Backend(ABC):
    """A source of completions. Subclasses set ``name`` and implement ``complete``."""

    name: ClassVar[str]
    #: True when prompts leave the machine: personal data is masked before sending.
    remote: ClassVar[bool] = True
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Backend:
        """Build from the effective settings; raise ConfigError/BackendError if unusable."""

    @abstractmethod
    async def complete(
        self,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        """One completion; raises ``copygen.errors.BackendError`` when it finally fails."""

    @property
    def model(self) -> str | None:
        return None

    @property
    def base_url(self) -> str | None:
        """The server's URL as it may be logged and shown (audit log, run.json, output):
        never with a ``user:password@`` or a secret query parameter in it
        (``copygen.config.redact_url``). None: no server."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook, default is nothing to close
        """Release connections."""
