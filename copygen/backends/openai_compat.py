"""The ``openai`` backend: any server that speaks OpenAI chat completions.

OpenAI itself, DeepSeek, Qwen (DashScope compatible mode), vLLM, Ollama and the
llama.cpp server all accept the same request, so one backend built on the official
``AsyncOpenAI`` client covers them; only ``base_url``, ``model`` and the key differ.

The client's own retries are off: copygen retries in one place (``retry.py``), with a
pause shared by all tasks on a 429 and an optional requests-per-minute limit.

The client runs on the SDK's aiohttp transport where it is installed, else httpx
(``transport.py``), and requests go through its raw path: the body is sent as JSON
bytes and the reply read as JSON (orjson where installed, ``fastjson.py``) rather
than through the SDK's typed parameters and response models, which cost more CPU
than the rest of a request; copygen reads three fields of a reply.

Keys are handled with care: a key (or a ``user:password@`` in the base URL) is never
sent over plain ``http://`` to a host that is not this machine unless ``allow_insecure``
is set; a local server needs no key; an OpenAI organisation/project id from the
environment is only sent to OpenAI; no error message ever contains the key; and the
base URL is shown to the rest of copygen (audit log, run.json, output) without its
user-info or secret query parameters, while the client connects with the full one.

A server cannot hold a request or memory hostage: ``timeout`` is a deadline for the
whole request (connect, wait, read the body), not for each read, so a reply that
trickles in a byte a second or never ends is cut there and retried as a timeout; and
no reply is read past ``max_reply_bytes`` (``http_limits.py``): a bigger one fails the
item at once, since asking again would only fetch another one as big.

Replies are asked to be JSON in the best way the server accepts (``response_format``):
a strict JSON schema built from the platform's fields and limits, else ``json_object``,
else nothing (the prompt alone). A rejection moves one step down for the rest of the
run and is written to ``server_caps.json`` so the next run starts there. Unless the
user set ``max_tokens``, each request's is sized from its platform and language.
A server on this machine gets a long default timeout: requests queue inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import SplitResult, parse_qsl, unquote_plus, urlsplit, urlunsplit

from copygen.backends.base import Backend, Completion, Message, RequestContext, Usage
from copygen.backends.fastjson import dumps_body, loads
from copygen.backends.http_limits import ReplyRejected, capped_http_client
from copygen.backends.response_format import (
    LEVELS,
    LIMIT_KEYWORDS,
    auto_max_tokens,
    has_limits,
    json_schema_format,
    response_format_for,
)
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
from copygen.backends.server_caps import CapsStore
from copygen.backends.transport import httpx_module
from copygen.config import (
    DEFAULT_MAX_REPLY_BYTES,
    DEFAULT_TIMEOUT,
    LOCAL_SERVER_TIMEOUT,
    RESPONSE_FORMATS,
    SECRET_QUERY_PARAMS,
    is_loopback_host,
    mask_header,
    redact_url,
)
from copygen.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from copygen.config import Settings

T = TypeVar("T")
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
#: Copygen's own params, never sent as such. ``response_format`` is the setting
#: (auto/json_schema/json_object/none); ``response_schema`` ({"name", "schema"}) asks
#: for that schema instead of the platform's (``copygen backends test`` uses it).
LOCAL_PARAMS = frozenset({"json_mode", "response_format", "response_schema"})
_EMPTY_RETRIES = 2  # an empty or malformed reply is retried at most this often
#: An auto-sized max_tokens is lowered to fit the server's context window, not below this.
_MIN_FITTED_TOKENS = 64

__all__ = ["DEFAULT_BASE_URL", "PLACEHOLDER_KEY", "OpenAIBackend", "is_loopback_host"]


@dataclass(frozen=True)
class _Format:
    """How one request asks for JSON."""

    json: bool  # False: no response_format at all
    setting: str  # auto, json_schema, json_object (none is json=False)
    platform: str | None
    schema: Mapping[str, Any] | None = None  # {"name", "schema"} instead of the platform's


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
        timeout: float | None = None,
        max_retries: int = 4,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        json_mode: bool = True,
        response_format: str = "auto",
        rpm: int | None = None,
        allow_insecure: bool = False,
        policy: RetryPolicy | None = None,
        caps_file: str | Path | None = None,
        profile: str | None = None,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
    ) -> None:
        """``timeout`` None: 600 s for a server on this machine, else 60 s; it bounds
        each request as a whole. ``max_reply_bytes``: the most of a reply read.

        ``max_tokens`` None: sized per request from the platform and language of its
        context. ``caps_file``: where what the server accepts is remembered between
        runs (None: only for this instance). ``profile``: the config profile, noted there.
        """
        if not model:
            raise ConfigError(
                "the openai backend needs a model",
                hint="give --model, or set model: in the config or its backend profile",
            )
        self._model = model
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        #: What the rest of copygen sees: no user-info, no secret query values.
        self._public_url = redact_url(self._base_url) or self._base_url
        try:
            parts: SplitResult | None = urlsplit(self._base_url)
            hostname = parts.hostname if parts is not None else None
        except ValueError:  # a broken [IPv6] host
            parts, hostname = None, None
        if parts is None or parts.scheme not in ("http", "https") or not hostname:
            raise ConfigError(
                f"base URL must be an http(s) URL, got {self._public_url!r}",
                hint="for example https://api.deepseek.com/v1 or http://127.0.0.1:8000/v1",
            )
        self._host = hostname
        #: Secrets inside the base URL itself, kept out of every error message.
        self._url_secrets = _url_secrets(parts)
        # The client appends its paths to base_url, query and all: a query (a gateway's
        # ?api-version=, ?key=) goes with every request as default_query instead.
        self._connect_url = urlunsplit(parts._replace(query="", fragment="")).rstrip("/")
        self._query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self._api_key_env = api_key_env
        self._headers = dict(extra_headers or {})
        self._api_key = self._checked_key(
            api_key,
            scheme=parts.scheme,
            host=hostname,
            allow_insecure=allow_insecure,
            userinfo="@" in parts.netloc,
        )
        if max_reply_bytes < 1:
            raise ConfigError("max_reply_bytes must be at least 1")
        self._max_reply_bytes = int(max_reply_bytes)
        if timeout is None:
            timeout = LOCAL_SERVER_TIMEOUT if is_loopback_host(self._host) else DEFAULT_TIMEOUT
        self._timeout = float(timeout)
        if response_format not in RESPONSE_FORMATS:
            raise ConfigError(
                f"unknown response_format {response_format!r}",
                hint=f"expected one of {', '.join(RESPONSE_FORMATS)}",
            )
        self._defaults: dict[str, Any] = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "json_mode": json_mode,
            "response_format": response_format,
        }
        self._policy = policy or RetryPolicy(max_retries=max_retries)
        self._gate = PauseGate()
        self._limiter = RateLimiter(rpm) if rpm else None
        #: Index into LEVELS: the response formats before it were rejected in this run.
        self._floor = 0
        self._schema_limits = True  # False once the server rejected maxLength & co.
        self._auto_tokens_ok = True  # False once a reply starved under the sized max_tokens
        self._fitted = False  # an auto max_tokens was lowered to the context window
        self._dropped: set[str] = set()  # optional params the server rejected
        self._renamed: dict[str, str] = {}  # params the server knows by another name
        #: What this run learnt about the server (for the run summary and the audit log).
        self.adaptations: list[str] = []
        #: What earlier runs learnt; the level applies when response_format is auto.
        self._profile = profile
        self._caps = CapsStore(caps_file) if caps_file is not None else None
        self._saved_floor = 0
        saved = self._caps.get(self._public_url, model) if self._caps is not None else None
        if saved is not None:
            if saved.response_format is not None:
                self._saved_floor = LEVELS.index(saved.response_format)
            self._schema_limits = saved.schema_limits
            if json_mode and response_format == "auto" and self._saved_floor:
                self.adaptations.append(
                    f"response_format {LEVELS[self._saved_floor]}: the server rejected "
                    "better ones in an earlier run (remembered in server_caps.json)"
                )
            if not saved.schema_limits:
                self.adaptations.append(
                    "json_schema without maxLength/minItems/maxItems: the server rejected "
                    "them in an earlier run (remembered in server_caps.json)"
                )
        self.stats = RetryStats()
        self._client_obj: AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        from copygen.backends.server_caps import caps_path

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
            response_format=settings.response_format,
            rpm=settings.rpm,
            allow_insecure=settings.allow_insecure,
            caps_file=caps_path(settings),
            profile=settings.backend_profile,
            max_reply_bytes=settings.max_reply_bytes,
        )

    # --- properties ---------------------------------------------------------------------

    @property
    def model(self) -> str:
        return self._model

    @property
    def base_url(self) -> str:
        """The server's URL as it may be shown and logged: without user-info or secret
        query parameters (the client itself connects with the full URL)."""
        return self._public_url

    @property
    def timeout(self) -> float:
        """Seconds per request, start to last byte."""
        return self._timeout

    @property
    def max_reply_bytes(self) -> int:
        return self._max_reply_bytes

    @property
    def json_mode_supported(self) -> bool:
        """False once the server rejected ``response_format`` (in this run or, for auto, before)."""
        return self._level_index("auto") < LEVELS.index("none")

    @property
    def response_format_level(self) -> str:
        """What a request with a known platform asks for now: json_schema, json_object or none."""
        if not self._defaults["json_mode"]:
            return "none"
        return LEVELS[self._level_index(str(self._defaults["response_format"]))]

    #: ``copygen backends test`` may send its own schema (the ``response_schema`` param).
    accepts_response_schema: ClassVar[bool] = True

    def max_tokens_for(self, context: RequestContext | None) -> int | None:
        """The ``max_tokens`` a request of ``context`` gets when none is given."""
        if context is None or not self._auto_tokens_ok:
            return None
        return auto_max_tokens(context.platform, context.lang)

    @property
    def gate(self) -> PauseGate:
        return self._gate

    # --- key safety ---------------------------------------------------------------------

    def _checked_key(
        self,
        api_key: str | None,
        *,
        scheme: str,
        host: str,
        allow_insecure: bool,
        userinfo: bool = False,
    ) -> str:
        local = is_loopback_host(host)
        plain = scheme == "http"
        secret_headers = [name for name in self._headers if mask_header(name, "") == "***"]
        if plain and not local and not allow_insecure and (api_key or secret_headers or userinfo):
            if api_key:
                what = "the API key"
            elif secret_headers:
                what = f"the header {secret_headers[0]!r}"
            else:
                what = "the user:password of the base URL"
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
        if self._url_secrets:
            text = text.replace(self._base_url, self._public_url)
            for secret in self._url_secrets:
                text = text.replace(secret, "***")
        return text

    # --- the client ---------------------------------------------------------------------

    def _client(self) -> AsyncOpenAI:
        # A connection pool belongs to one event loop; a new loop (another asyncio.run)
        # gets a new client instead of a pool whose connections died with the old loop.
        loop = asyncio.get_running_loop()
        if self._client_obj is None or self._client_loop is not loop:
            from openai import AsyncOpenAI, Omit

            headers: dict[str, Any] = dict(self._headers)
            if self._host != "api.openai.com":
                # OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment are for OpenAI only.
                headers.setdefault("OpenAI-Organization", Omit())
                headers.setdefault("OpenAI-Project", Omit())
            client = AsyncOpenAI(
                base_url=self._connect_url,
                default_query=self._query or None,
                api_key=self._api_key,
                timeout=self._timeout,
                max_retries=0,
                default_headers=headers,
                http_client=capped_http_client(
                    max_reply_bytes=self._max_reply_bytes, timeout=self._timeout
                ),
            )
            self._client_obj, self._client_loop = client, loop
            self._closer = _close_with_loop(client)
        return self._client_obj

    async def aclose(self) -> None:
        client, loop, closer = self._client_obj, self._client_loop, self._closer
        self._client_obj, self._client_loop, self._closer = None, None, None
        # A client from an earlier loop was closed as that loop ended (_close_with_loop).
        if client is not None and loop is asyncio.get_running_loop():
            await client.close()
            if closer is not None:
                await closer.aclose()

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
        setting = effective.get("response_format", "auto")
        if setting not in RESPONSE_FORMATS:
            setting = "auto"
        schema = effective.get("response_schema")
        fmt = _Format(
            json=bool(effective.get("json_mode")) and setting != "none",
            setting=str(setting),
            platform=context.platform if context is not None else None,
            schema=schema if isinstance(schema, Mapping) else None,
        )
        # No max_tokens given: size it from the platform, so a runaway reply stops early.
        auto_tokens = None if "max_tokens" in kwargs else self.max_tokens_for(context)

        async def attempt(_retry: int) -> Completion:
            return await self._attempt(kwargs, fmt, auto_tokens)

        return await with_retries(
            attempt, policy=self._policy, gate=self._gate, limiter=self._limiter, stats=self.stats
        )

    async def _attempt(
        self, kwargs: dict[str, Any], fmt: _Format, auto_tokens: int | None
    ) -> Completion:
        import openai

        client = self._client()
        cap = auto_tokens
        while True:
            request, level, capped = self._shape(kwargs, fmt, cap)
            try:
                content = dumps_body(_body(request))
            except (TypeError, ValueError) as exc:
                raise BackendError(f"request parameters are not JSON: {_short(exc)}") from None
            started = time.perf_counter()
            try:
                # httpx's timeout is per read: a byte a second would keep it alive for
                # ever. The deadline is for the whole request; cancelling it closes the
                # connection (httpx never returns a half-read one to its pool).
                # The openai client's own transport, with the body as bytes and the reply
                # as the HTTP response: its typed transform of the parameters and its
                # response models cost more CPU than the rest of the request, and copygen
                # reads three fields of the reply (parsed here, orjson where installed).
                raw = await _deadline(
                    client.post(
                        "/chat/completions", content=content, cast_to=httpx_module().Response
                    ),
                    self._timeout,
                )
                response = loads(raw.content)
            except asyncio.TimeoutError:
                raise TransientError(self._timeout_reason(), kind="timeout") from None
            except ReplyRejected as exc:
                raise self._rejected(exc) from None
            except openai.APIStatusError as exc:
                if exc.status_code in (400, 422):
                    fitted = self._fit_context(exc, cap) if capped else None
                    if fitted is not None:
                        cap = fitted  # the sized max_tokens did not fit the context window
                        continue
                    if self._adapt(exc, request, level):
                        continue  # the server rejected an optional parameter: ask again without
                raise self._status_error(exc) from None
            except openai.APITimeoutError:
                raise TransientError(self._timeout_reason(), kind="timeout") from None
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                if isinstance(cause, ReplyRejected):  # SDKs that wrap every send error
                    raise self._rejected(cause) from None
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
            if capped and self._starved(response):
                continue  # the model spent the sized max_tokens before replying: ask without
            return self._completion(response, latency_ms)

    def _rejected(self, exc: ReplyRejected) -> BackendError:
        """A reply cut short on purpose: final, since asking again would get its like."""
        return BackendError(
            self._scrub(f"{exc.reason} from {self._host}"),
            hint="raise max_reply_bytes if this server's replies really are that big",
        )

    def _timeout_reason(self) -> str:
        reason = f"request timed out after {self._timeout:g} s"
        if is_loopback_host(self._host):
            reason += " (a local server queues requests: lower --concurrency or raise --timeout)"
        return reason

    def _level_index(self, setting: str) -> int:
        """Index into LEVELS of what a request with this setting asks for now."""
        if setting == "none":
            return LEVELS.index("none")
        index = LEVELS.index(setting) if setting in LEVELS else 0
        if setting == "auto":
            index = max(index, self._saved_floor)
        return max(index, self._floor)

    def _shape(
        self, kwargs: Mapping[str, Any], fmt: _Format, cap: int | None
    ) -> tuple[dict[str, Any], str, bool]:
        """The request as this server accepts it, after what it rejected earlier.

        Returns the request, the response format it asks for (json_schema, json_object
        or none) and whether it carries an auto-sized max_tokens.
        """
        request = {self._renamed.get(k, k): v for k, v in kwargs.items() if k not in self._dropped}
        capped = cap is not None and self._auto_tokens_ok
        if capped:
            request[self._renamed.get("max_tokens", "max_tokens")] = cap
        level = "none"
        if fmt.json:
            level = LEVELS[self._level_index(fmt.setting)]
            response_format: dict[str, Any] | None
            if level == "json_schema" and fmt.schema is not None:
                response_format = json_schema_format(
                    str(fmt.schema.get("name") or "reply"), dict(fmt.schema.get("schema") or {})
                )
            else:
                response_format = response_format_for(
                    level, fmt.platform, limits=self._schema_limits
                )
            if response_format is not None:
                # In the body as is: the client's typed transform of a JSON schema costs
                # more CPU than the rest of the request (it walks every nested key).
                request["extra_body"] = {
                    **dict(request.get("extra_body") or {}),
                    "response_format": response_format,
                }
                level = str(response_format["type"])
        return request, level, capped

    def _remember(self, **changes: Any) -> None:
        """Note what the server accepts for later runs (never fails the run)."""
        if self._caps is not None:
            self._caps.update(self._public_url, self._model, profile=self._profile, **changes)

    def _downgrade(self, level: str, request: Mapping[str, Any], text: str) -> bool:
        """The server rejected the response format ``level``: ask with the next one."""
        index = LEVELS.index(level) if level in LEVELS else LEVELS.index("json_object")
        if _about_limits(request, text):
            if self._schema_limits:
                self._schema_limits = False
                self.adaptations.append(
                    "json_schema sent without maxLength/minItems/maxItems: the server rejected them"
                )
                self._remember(schema_limits=False)
            return True
        if self._floor > index:
            return True  # another request learnt this already; ask as it does now
        self._floor = index + 1
        new = LEVELS[self._floor]
        if new == "none":
            self.adaptations.append("json mode off: the server rejected response_format")
        else:
            self.adaptations.append(f"response_format {new}: the server rejected {level}")
        self._remember(response_format=new)
        return True

    def _starved(self, response: Any) -> bool:
        """True when a reply came back empty because the sized max_tokens ran out.

        A reasoning model spends tokens before it writes the reply; then max_tokens is
        not sized for the rest of the run (learnt once) and the request is asked again.
        """
        choice = _first_choice(response)
        if choice is None or choice.get("finish_reason") != "length":
            return False
        if _message_text(choice).strip():
            return False
        if self._auto_tokens_ok:
            self._auto_tokens_ok = False
            self.adaptations.append(
                "max_tokens not sized from the platform: the model used them all before "
                "replying (a reasoning model?)"
            )
        return True

    def _fit_context(self, exc: Any, cap: int | None) -> int | None:
        """A smaller auto max_tokens when the server says the request exceeds its context."""
        if cap is None:
            return None
        text = _error_message(exc, limit=1000)
        window = re.search(r"maximum context length is (\d+)", text)
        prompt = re.search(r"(\d+) in the messages|has (\d+) input tokens", text)
        if window is None or prompt is None:
            return None
        room = int(window.group(1)) - int(prompt.group(1) or prompt.group(2)) - 8
        if room >= cap or room < _MIN_FITTED_TOKENS:
            return None
        if not self._fitted:
            self._fitted = True
            self.adaptations.append(
                "max_tokens lowered to fit the server's context window for long prompts"
            )
        return room

    def _adapt(self, exc: Any, request: Mapping[str, Any], level: str) -> bool:
        """Learn from a 400 about an optional parameter; True when a retry may succeed.

        Servers differ: some take no JSON schema or no JSON mode at all, newer OpenAI
        models want ``max_completion_tokens`` and accept only the default temperature.
        Each lesson holds for the rest of the run and is recorded in ``adaptations``;
        each is learnt at most once and the response format only moves down, so this
        cannot loop.
        """
        text = f"{_error_message(exc, limit=1000)} {_error_param(exc) or ''}".lower()
        param = (_error_param(exc) or "").lower()
        asked = _response_format(request) is not None
        if asked and (_about_json_mode(exc) or _about_limits(request, text)):
            return self._downgrade(level, request, text)
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
        choice = _first_choice(response)
        if choice is None:
            raise TransientError("reply without choices", kind="malformed", limit=_EMPTY_RETRIES)
        text = _message_text(choice)
        if not text.strip():
            raise TransientError("empty reply", kind="empty", limit=_EMPTY_RETRIES)
        usage = response.get("usage")
        usage = usage if isinstance(usage, Mapping) else {}
        model = response.get("model")
        finish = choice.get("finish_reason")
        return Completion(
            text=text,
            usage=Usage(
                prompt_tokens=_count(usage.get("prompt_tokens")),
                completion_tokens=_count(usage.get("completion_tokens")),
                cached_tokens=_cached_tokens(usage),
            ),
            latency_ms=round(latency_ms, 1),
            model=model if isinstance(model, str) and model else self._model,
            finish_reason=finish if isinstance(finish, str) else None,
            raw=response,
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


_JSON_MODE_WORDS = (
    "response_format",
    "response format",
    "json_object",
    "json_schema",
    "json mode",
    "json_mode",
    "schema",
    "structured output",
    "guided",
)


def _response_format(request: Mapping[str, Any]) -> Any:
    """The response format a request asks for (sent in its extra body)."""
    body = request.get("extra_body")
    return body.get("response_format") if isinstance(body, Mapping) else None


def _about_limits(request: Mapping[str, Any], text: str) -> bool:
    """The request's schema had length/item limits and the error names one of them."""
    return has_limits(_response_format(request)) and any(
        word.lower() in text.lower() for word in LIMIT_KEYWORDS
    )


def _about_json_mode(exc: Any) -> bool:
    text = f"{_error_message(exc, limit=1000)} {_error_param(exc) or ''}".lower()
    return any(word in text for word in _JSON_MODE_WORDS)


def _error_message(exc: Any, *, limit: int = 200) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return _short(inner["message"], limit)
        if isinstance(inner, str):
            return _short(inner, limit)
    message = str(getattr(exc, "message", "") or exc)
    if message.startswith("Error code:"):
        message = message.split(" - ", 1)[-1]
    return _short(message, limit)


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


def _url_secrets(parts: SplitResult) -> tuple[str, ...]:
    """The user, password and secret query values of a base URL, longest first."""
    found: set[str] = set()
    userinfo = parts.netloc.rpartition("@")[0]
    # Short pieces are left alone: replacing "u" everywhere would garble the message.
    found.update(piece for piece in (userinfo, *userinfo.split(":", 1)) if len(piece) >= 4)
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if unquote_plus(name).strip().lower() in SECRET_QUERY_PARAMS and len(value) >= 4:
            found.update({value, unquote_plus(value)})
    return tuple(sorted(found, key=len, reverse=True))


async def _deadline(request: Awaitable[T], seconds: float) -> T:
    """``request`` cut at ``seconds`` (asyncio.TimeoutError): in this task where the
    Python has ``asyncio.timeout`` (3.11), not in one more task per request."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await request
    return await asyncio.wait_for(request, seconds)  # pragma: no cover - Python 3.10


def _close_with_loop(client: Any) -> AsyncGenerator[None, None]:
    """Close ``client`` when the running loop shuts down (``asyncio.run`` ending), unless
    it was closed before: a backend used from several ``asyncio.run`` calls without
    ``aclose()`` still closes each loop's connections in that loop, so none is left
    to be collected open (aiohttp reports such sessions on stderr).

    It is an async generator that the loop finalizes in ``shutdown_asyncgens``; it is
    advanced to its ``yield`` here, so that its ``finally`` runs then. The caller keeps
    it (the loop holds it weakly, and would close it at once were it collected).
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if not client.is_closed():
                await client.close()

    gen = closer()
    with contextlib.suppress(StopIteration):  # stops at the yield, until the loop ends
        gen.asend(None).send(None)
    return gen


def _short(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _body(request: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a request: its parameters with its ``extra_body`` merged in."""
    body = {k: v for k, v in request.items() if k != "extra_body"}
    extra = request.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)
    return body


def _first_choice(response: Any) -> Mapping[str, Any] | None:
    """The first choice of a chat-completion body; a body that is not one raises
    TransientError (malformed)."""
    if not isinstance(response, Mapping):
        raise TransientError(
            "malformed response body (not chat-completion JSON)",
            kind="malformed",
            limit=_EMPTY_RETRIES,
        )
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        return None
    return choices[0]


def _message_text(choice: Mapping[str, Any]) -> str:
    message = choice.get("message")
    content = message.get("content") if isinstance(message, Mapping) else None
    return content if isinstance(content, str) else ""


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _cached_tokens(usage: Any) -> int:
    """Prompt tokens served from the server's prefix cache, where it reports them
    (OpenAI, DeepSeek-style ``prompt_cache_hit_tokens``, vLLM with prefix caching)."""

    def field(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)

    details = field(usage, "prompt_tokens_details")
    cached = field(details, "cached_tokens") if details is not None else None
    if cached is None:
        cached = field(usage, "prompt_cache_hit_tokens")
    try:
        return max(0, int(cached or 0))
    except (TypeError, ValueError):
        return 0
