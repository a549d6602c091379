"""The ``openai`` backend: any server that speaks OpenAI chat completions.

OpenAI itself, DeepSeek, Qwen (DashScope compatible mode), vLLM, Ollama and the
llama.cpp server all accept the same request, so one backend built on the official
``AsyncOpenAI`` client covers them; only ``base_url``, ``model`` and the key differ.

The client's own retries are off: copygen retries in one place (``retry.py``), with a
pause shared by all tasks on a 429 and an optional requests-per-minute limit.

Keys are handled with care: a key is never sent over plain ``http://`` to a host that
is not this machine unless ``allow_insecure`` is set; a local server needs no key; an
OpenAI organisation/project id from the environment is only sent to OpenAI; and no
error message ever contains the key.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from copygen.backends.base import Backend, Completion, Message, RequestContext, Usage
from copygen.backends.retry import (
    PauseGate,
    RateLimiter,
    RetryPolicy,
    RetryStats,
    TransientError,
    is_retriable_status,
    parse_retry_after,
    with_retries,
)
from copygen.config import mask_header
from copygen.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from copygen.config import Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Sent as the key to local servers, which ignore it (the client insists on one).
PLACEHOLDER_KEY = "not-needed"
#: Request parameters of the chat-completions API itself; other params go in the body
#: as extras (vLLM and Ollama accept e.g. ``top_k``, ``repetition_penalty``).
API_PARAMS = frozenset(
    {"temperature", "max_tokens", "seed", "top_p", "stop", "presence_penalty", "frequency_penalty"}
)
#: Params a server may reject without the request being wrong: dropped when it does.
OPTIONAL_PARAMS = ("temperature", "seed", "top_p", "presence_penalty", "frequency_penalty")
#: Copygen's own params, never sent as such.
LOCAL_PARAMS = frozenset({"json_mode"})
_EMPTY_RETRIES = 2  # an empty or malformed reply is retried at most this often


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: traffic that never leaves this machine."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenAIBackend(Backend):
    name: ClassVar[str] = "openai"
    remote: ClassVar[bool] = True
    description: ClassVar[str] = (
        "Any OpenAI-compatible server: OpenAI, DeepSeek, Qwen/DashScope, vLLM, Ollama, llama.cpp"
    )

    def __init__(
        self,
        *,
        model: str | None,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        extra_headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        json_mode: bool = True,
        rpm: int | None = None,
        allow_insecure: bool = False,
        policy: RetryPolicy | None = None,
    ) -> None:
        if not model:
            raise ConfigError(
                "the openai backend needs a model",
                hint="give --model, or set model: in the config or its backend profile",
            )
        self._model = model
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        parts = urlsplit(self._base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"base URL must be an http(s) URL, got {self._base_url!r}",
                hint="for example https://api.deepseek.com/v1 or http://127.0.0.1:8000/v1",
            )
        self._host = parts.hostname
        self._api_key_env = api_key_env
        self._headers = dict(extra_headers or {})
        self._api_key = self._checked_key(
            api_key, scheme=parts.scheme, host=parts.hostname, allow_insecure=allow_insecure
        )
        self._timeout = timeout
        self._defaults: dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "json_mode": json_mode,
        }
        self._policy = policy or RetryPolicy(max_retries=max_retries)
        self._gate = PauseGate()
        self._limiter = RateLimiter(rpm) if rpm else None
        self._json_mode_ok = True  # becomes False when the server rejects response_format
        self._dropped: set[str] = set()  # optional params the server rejected
        self._renamed: dict[str, str] = {}  # params the server knows by another name
        #: What this run learnt about the server (for the run summary and the audit log).
        self.adaptations: list[str] = []
        self.stats = RetryStats()
        self._client_obj: AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        return cls(
            model=settings.model,
            base_url=settings.base_url,
            api_key=settings.api_key,
            api_key_env=settings.api_key_env,
            extra_headers=settings.extra_headers,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            seed=settings.seed,
            json_mode=settings.json_mode,
            rpm=settings.rpm,
            allow_insecure=settings.allow_insecure,
        )

    # --- properties ---------------------------------------------------------------------

    @property
    def model(self) -> str:
        return self._model

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def json_mode_supported(self) -> bool:
        """False once the server rejected ``response_format`` in this run."""
        return self._json_mode_ok

    @property
    def gate(self) -> PauseGate:
        return self._gate

    # --- key safety ---------------------------------------------------------------------

    def _checked_key(
        self, api_key: str | None, *, scheme: str, host: str, allow_insecure: bool
    ) -> str:
        local = is_loopback_host(host)
        plain = scheme == "http"
        secret_headers = [name for name in self._headers if mask_header(name, "") == "***"]
        if plain and not local and not allow_insecure and (api_key or secret_headers):
            what = "the API key" if api_key else f"the header {secret_headers[0]!r}"
            raise ConfigError(
                f"refusing to send {what} over plain http to {host}",
                hint="use an https:// base URL, or --allow-insecure "
                "(allow_insecure: true) if this network is trusted",
            )
        if api_key:
            return api_key
        if local or (plain and allow_insecure):
            # A local server (or one the user explicitly trusts over http) needs no key.
            return PLACEHOLDER_KEY
        raise ConfigError(
            f"no API key for {host}: set the environment variable {self._api_key_env}",
            hint="or name another variable with api_key_env in the config; "
            "any value will do if the server needs none",
        )

    def _scrub(self, text: str) -> str:
        if self._api_key and self._api_key != PLACEHOLDER_KEY and len(self._api_key) >= 6:
            text = text.replace(self._api_key, "***")
        return text

    # --- the client ---------------------------------------------------------------------

    def _client(self) -> AsyncOpenAI:
        # An httpx pool belongs to one event loop; a new loop (another asyncio.run) gets a
        # new client instead of a pool whose connections died with the old loop.
        loop = asyncio.get_running_loop()
        if self._client_obj is None or self._client_loop is not loop:
            from openai import AsyncOpenAI, Omit

            headers: dict[str, Any] = dict(self._headers)
            if self._host != "api.openai.com":
                # OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment are for OpenAI only.
                headers.setdefault("OpenAI-Organization", Omit())
                headers.setdefault("OpenAI-Project", Omit())
            self._client_obj = AsyncOpenAI(
                base_url=self._base_url,
                api_key=self._api_key,
                timeout=self._timeout,
                max_retries=0,
                default_headers=headers,
            )
            self._client_loop = loop
        return self._client_obj

    async def aclose(self) -> None:
        client, loop = self._client_obj, self._client_loop
        self._client_obj, self._client_loop = None, None
        # A client from an earlier (now closed) loop cannot be closed from this one;
        # its connections went with that loop.
        if client is not None and loop is asyncio.get_running_loop():
            await client.close()

    # --- completing ---------------------------------------------------------------------

    def request_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The effective generation parameters: the backend's defaults under ``params``."""
        merged = {**self._defaults, **params}
        return {k: v for k, v in merged.items() if v is not None}

    async def complete(
        self,
        messages: Sequence[Message],
        params: Mapping[str, Any],
        *,
        context: RequestContext | None = None,
    ) -> Completion:
        effective = self.request_params(params)
        kwargs: dict[str, Any] = {
            "model": self._model,
            "messages": [dict(m) for m in messages],
        }
        extra_body: dict[str, Any] = {}
        for key, value in effective.items():
            if key in API_PARAMS:
                kwargs[key] = value
            elif key not in LOCAL_PARAMS:
                extra_body[key] = value
        if extra_body:
            kwargs["extra_body"] = extra_body
        want_json = bool(effective.get("json_mode"))

        async def attempt(_retry: int) -> Completion:
            return await self._attempt(kwargs, want_json)

        return await with_retries(
            attempt, policy=self._policy, gate=self._gate, limiter=self._limiter, stats=self.stats
        )

    async def _attempt(self, kwargs: dict[str, Any], want_json: bool) -> Completion:
        import openai

        client = self._client()
        while True:
            request = self._shape(kwargs, want_json)
            started = time.perf_counter()
            try:
                response = await client.chat.completions.create(**request)
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 422) and self._adapt(exc, request):
                    continue  # the server rejected an optional parameter: ask again without
                raise self._status_error(exc) from None
            except openai.APITimeoutError:
                raise TransientError(
                    f"request timed out after {self._timeout:g} s", kind="timeout"
                ) from None
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                raise TransientError(
                    self._scrub(f"connection error to {self._host}: {_short(cause)}"),
                    kind="connection",
                ) from None
            except (ValueError, openai.APIResponseValidationError):
                raise TransientError(
                    "malformed response body (not chat-completion JSON)",
                    kind="malformed",
                    limit=_EMPTY_RETRIES,
                ) from None
            except openai.OpenAIError as exc:
                raise BackendError(self._scrub(f"openai client error: {_short(exc)}")) from None
            latency_ms = (time.perf_counter() - started) * 1000
            return self._completion(response, latency_ms)

    def _shape(self, kwargs: Mapping[str, Any], want_json: bool) -> dict[str, Any]:
        """The request as this server accepts it, after what it rejected earlier in the run."""
        request = {self._renamed.get(k, k): v for k, v in kwargs.items() if k not in self._dropped}
        if want_json and self._json_mode_ok:
            request["response_format"] = {"type": "json_object"}
        return request

    def _adapt(self, exc: Any, request: Mapping[str, Any]) -> bool:
        """Learn from a 400 about an optional parameter; True when a retry may succeed.

        Servers differ: some have no JSON mode, newer OpenAI models want
        ``max_completion_tokens`` and accept only the default temperature. Each lesson
        holds for the rest of the run and is recorded in ``adaptations``; each is learnt
        at most once, so this cannot loop.
        """
        text = f"{_error_message(exc)} {_error_param(exc) or ''}".lower()
        param = (_error_param(exc) or "").lower()
        if "response_format" in request and _about_json_mode(exc):
            self._json_mode_ok = False
            self.adaptations.append("json mode off: the server rejected response_format")
            return True
        if "max_tokens" in request and "max_completion_tokens" in text:
            self._renamed["max_tokens"] = "max_completion_tokens"
            self.adaptations.append("max_tokens sent as max_completion_tokens")
            return True
        if "unsupported" in text or "not supported" in text:
            for name in OPTIONAL_PARAMS:
                mentioned = param == name or f"'{name}'" in text or f'"{name}"' in text
                if name in request and mentioned:
                    self._dropped.add(name)
                    self.adaptations.append(f"{name} dropped: not supported by the server")
                    return True
        return False

    def _completion(self, response: Any, latency_ms: float) -> Completion:
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise TransientError("reply without choices", kind="malformed", limit=_EMPTY_RETRIES)
        choice = choices[0]
        message = getattr(choice, "message", None)
        text = getattr(message, "content", None) or ""
        if not text.strip():
            raise TransientError("empty reply", kind="empty", limit=_EMPTY_RETRIES)
        usage = getattr(response, "usage", None)
        return Completion(
            text=text,
            usage=Usage(
                prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            ),
            latency_ms=round(latency_ms, 1),
            model=getattr(response, "model", None) or self._model,
            finish_reason=getattr(choice, "finish_reason", None),
            raw=response.model_dump(mode="json", exclude_unset=True),
        )

    def _status_error(self, exc: Any) -> Exception:
        status = int(exc.status_code)
        message = self._scrub(_error_message(exc))
        reason = f"HTTP {status} from {self._host}: {message}"
        headers = getattr(getattr(exc, "response", None), "headers", None)
        retry_after = parse_retry_after(dict(headers) if headers is not None else None)
        code = _error_code(exc)
        if status == 429 and code != "insufficient_quota":
            return TransientError(
                reason, retry_after=retry_after, rate_limited=True, kind="rate_limit"
            )
        if is_retriable_status(status) and status != 429:
            return TransientError(reason, retry_after=retry_after, kind=f"http_{status}")
        if status in (401, 403):
            return BackendError(reason, hint=f"check the API key in ${self._api_key_env}")
        if status == 404:
            return BackendError(reason, hint="check --model and --base-url")
        return BackendError(reason)


def _about_json_mode(exc: Any) -> bool:
    text = f"{_error_message(exc)} {_error_param(exc) or ''}".lower()
    return any(
        word in text for word in ("response_format", "json_object", "json mode", "json_mode")
    )


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return _short(inner["message"])
        if isinstance(inner, str):
            return _short(inner)
    message = str(getattr(exc, "message", "") or exc)
    if message.startswith("Error code:"):
        message = message.split(" - ", 1)[-1]
    return _short(message)


def _error_param(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("param"):
            return str(inner["param"])
    param = getattr(exc, "param", None)
    return str(param) if param else None


def _error_code(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("code"):
            return str(inner["code"])
    code = getattr(exc, "code", None)
    return str(code) if code else None


def _short(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
