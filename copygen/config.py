"""Settings: one frozen object built from CLI flags, then environment, then a config file.

Precedence, highest first: CLI flags; environment (``COPYGEN_*``, ``OPENAI_API_KEY``,
``OPENAI_BASE_URL``); the selected backend profile of the config file; top-level keys
of the config file; built-in defaults. The config file is the first of ``--config``,
``$COPYGEN_CONFIG``, ``./copygen.yaml``, ``~/.config/copygen/config.yaml`` that is
given or exists. Unknown keys are an error naming the key and line: a typo must never
silently fall back to a default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from copygen.errors import ConfigError

if TYPE_CHECKING:
    import yaml

PLATFORMS: tuple[str, ...] = ("livestream", "social", "detail")
FAIL_ON_LEVELS: tuple[str, ...] = ("block", "warn", "info", "never")
#: What a judge finding's severity may be, and what a judge that fails does to the item.
JUDGE_SEVERITIES: tuple[str, ...] = ("warn", "block")
JUDGE_ON_ERROR: tuple[str, ...] = ("review", "pass", "error")
SECRET_KEYS = frozenset({"api_key", "judge_api_key"})
CONFIG_FILE_NAME = "copygen.yaml"
#: How replies are asked to be JSON: ``auto`` tries a JSON schema built from the
#: platform, then ``json_object``, then nothing, and remembers what the server took.
RESPONSE_FORMATS: tuple[str, ...] = ("auto", "json_schema", "json_object", "none")
#: Seconds per request, and requests in flight, when the user set none. A server on
#: this machine (localhost, 127.x, ::1) is usually one CPU or GPU generating one reply
#: at a time: requests queue inside it, and the queue counts against the timeout.
DEFAULT_TIMEOUT = 60.0
LOCAL_SERVER_TIMEOUT = 600.0
DEFAULT_CONCURRENCY = 8
LOCAL_SERVER_CONCURRENCY = 2
#: Characters one cell of an input file may hold (product sheets, `check --input`): a
#: product title or selling point is a few hundred; a cell past this is a broken or
#: hostile file, and text that long costs seconds in every checker that reads it.
DEFAULT_MAX_CELL_CHARS = 65_536
#: Bytes of one reply read at most: a chat completion sized by max_tokens is a few
#: kilobytes, so a reply past this is a broken or hostile server, not copy.
DEFAULT_MAX_REPLY_BYTES = 1 << 20
#: Query parameters that carry a credential in some gateways' base URLs.
SECRET_QUERY_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "token",
        "access_token",
        "auth",
        "auth_token",
        "sig",
        "signature",
        "secret",
        "client_secret",
        "password",
    }
)


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1: traffic that never leaves this machine."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url(url: str | None) -> str | None:
    """``url`` as it may be logged or printed: no ``user:password@``, and the values of
    secret query parameters (``?api_key=``, ``&sig=``, ...) as ``***``.

    A URL with nothing to hide comes back unchanged, character for character.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a broken [IPv6] host: still drop what looks like user-info
        return re.sub(r"//[^/?#]*@", "//", url)
    netloc = parts.netloc.rpartition("@")[2]
    query = _redact_params(parts.query)
    fragment = _redact_params(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _redact_params(text: str) -> str:
    out = []
    for pair in text.split("&"):
        name, sep, value = pair.partition("=")
        secret = unquote_plus(name).strip().lower() in SECRET_QUERY_PARAMS
        out.append(f"{name}=***" if sep and value and secret else pair)
    return "&".join(out)


def is_loopback_url(url: str | None) -> bool:
    """True when ``url`` (e.g. ``http://127.0.0.1:8000/v1``) names a server on this machine."""
    if not url:
        return False
    try:
        return is_loopback_host(urlsplit(url.strip()).hostname)
    except ValueError:
        return False


@dataclass(frozen=True)
class Price:
    """Price of a model per million tokens."""

    input: float
    output: float
    currency: str = "USD"
    #: Price of prompt tokens read from the provider's cache; None: same as input.
    cached_input: float | None = None
    #: Batch jobs (``copygen batch``): explicit batch prices per million tokens, else
    #: the prices above times ``batch_discount`` (OpenAI's Batch API: half price).
    batch_input: float | None = None
    batch_output: float | None = None
    batch_discount: float = 0.5

    def batch_price(self) -> Price:
        """The price of a batch job's tokens."""
        d = self.batch_discount
        return Price(
            input=self.batch_input if self.batch_input is not None else self.input * d,
            output=self.batch_output if self.batch_output is not None else self.output * d,
            currency=self.currency,
            cached_input=None if self.cached_input is None else self.cached_input * d,
        )


@dataclass(frozen=True)
class BrandVoice:
    tone: str = ""
    use: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class AigcLabel:
    """The explicit, visible AI-content label of one platform."""

    enabled: bool
    position: str = "end"  # "start" or "end"
    text_zh: str = "本内容由AI辅助生成"
    text_en: str = "AI-generated content"

    def text(self, lang: str | None) -> str:
        return self.text_zh if (lang or "zh").startswith("zh") else self.text_en


def _default_labels() -> Mapping[str, AigcLabel]:
    # 《人工智能生成合成内容标识办法》: social posts are shown to the public as they are,
    # so they carry the label by default; scripts and detail pages are usually edited
    # into other material first, so their label is opt-in.
    return MappingProxyType(
        {
            "livestream": AigcLabel(enabled=False),
            "social": AigcLabel(enabled=True),
            "detail": AigcLabel(enabled=False),
        }
    )


#: The fields of a product row, in order: what ``--map field=COLUMN`` (``columns:``) may name.
PRODUCT_FIELDS: tuple[str, ...] = (
    "sku",
    "title",
    "category",
    "brand",
    "selling_points",
    "attributes",
    "price",
    "promo_price",
    "currency",
    "audience",
    "platforms",
    "lang",
)


@dataclass(frozen=True)
class Settings:
    backend: str = "offline"
    backend_profile: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    api_key: str | None = field(default=None, repr=False)
    extra_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    temperature: float = 0.8
    #: None ("auto"): sized per request from the platform's limits and the language.
    max_tokens: int | None = None
    seed: int | None = None
    json_mode: bool = True
    response_format: str = "auto"  # one of RESPONSE_FORMATS; json_mode false means none
    #: Seconds per request. load_settings() gives a server on this machine
    #: LOCAL_SERVER_TIMEOUT when the user set none.
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = 4
    #: Bytes of one reply read at most; past it the item ends in error, not retried.
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES
    #: Requests in flight. load_settings() gives a server on this machine
    #: LOCAL_SERVER_CONCURRENCY when the user set none.
    concurrency: int = DEFAULT_CONCURRENCY
    rpm: int | None = None
    max_repairs: int | None = None
    platforms: tuple[str, ...] = PLATFORMS
    variants: int = 1
    lang: str | None = None
    fail_on: str | None = None
    rules: tuple[Path, ...] = ()
    allow: tuple[Path, ...] = ()
    disable: tuple[str, ...] = ()
    only_category: tuple[str, ...] = ()
    templates: Path | None = None
    cache: bool = True
    cache_dir: Path | None = None
    audit: Path | None = None
    #: A file holding the audit key (HMAC of every event); COPYGEN_AUDIT_KEY wins over
    #: it unless it is given as an option. See copygen.audit.key.
    audit_key_file: Path | None = None
    allow_insecure: bool = False
    #: Characters one cell of an input file may hold; a longer cell is refused (exit 2).
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    #: Product field -> the column holding it (``--map title=产品名称``, ``columns:``),
    #: for sheets whose headers copygen's aliases do not know.
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    aigc_provider: str = "copygen"
    aigc_labels: Mapping[str, AigcLabel] = field(default_factory=_default_labels)
    prices: Mapping[str, Price] = field(default_factory=lambda: MappingProxyType({}))
    brand_voice: BrandVoice = field(default_factory=BrandVoice)
    backends: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    #: The LLM judge (``judge:`` in the config, ``--judge*`` options): off unless asked.
    #: ``judge_backend`` names a profile of ``backends:`` or a backend type; None: the
    #: run's own backend. ``judge_profile`` holds that profile's values, parsed, and
    #: ``judge_api_key`` the key its ``api_key_env`` names (see copygen.judge.setup).
    judge: bool = False
    judge_backend: str | None = None
    judge_model: str | None = None
    judge_base_url: str | None = None
    judge_severity: str = "warn"
    judge_on_error: str = "review"
    judge_all: bool = False
    judge_max_tokens: int = 600
    judge_profile: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    judge_api_key: str | None = field(default=None, repr=False)
    debug: bool = False
    config_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def price_for(self, model: str | None) -> Price | None:
        if model is None:
            return None
        return self.prices.get(model)

    def label_for(self, platform: str) -> AigcLabel:
        return self.aigc_labels.get(platform, AigcLabel(enabled=False))

    @property
    def local_server(self) -> bool:
        """True when the backend is a model server on this machine (loopback base URL)."""
        return self.backend != "offline" and is_loopback_url(self.base_url)

    def public_dict(self) -> dict[str, Any]:
        """Every setting as plain data, secrets masked: safe to print or log."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("sources",):
                continue
            value = getattr(self, f.name)
            if f.name in SECRET_KEYS:
                value = mask_secret(value)
            elif f.name in ("base_url", "judge_base_url"):
                value = redact_url(value)
            elif f.name == "extra_headers":
                value = {k: mask_header(k, v) for k, v in value.items()}
            elif f.name == "backends":
                value = {name: _mask_profile(p) for name, p in value.items()}
            elif f.name == "judge_profile":
                value = _mask_profile(value)
            out[f.name] = _plain(value)
        return out


def mask_secret(value: str | None) -> str | None:
    if not value:
        return None
    return f"***{value[-4:]}" if len(value) >= 12 else "***"


def mask_header(name: str, value: str) -> str:
    lowered = name.lower()
    if any(word in lowered for word in ("auth", "key", "token", "secret", "cookie")):
        return "***"
    return value


def _mask_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(profile)
    if isinstance(out.get("base_url"), str):
        out["base_url"] = redact_url(out["base_url"])
    if "extra_headers" in out and isinstance(out["extra_headers"], Mapping):
        out["extra_headers"] = {k: mask_header(k, v) for k, v in out["extra_headers"].items()}
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


# --- value parsing -----------------------------------------------------------------------

Parser = Callable[[Any], Any]


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _int(minimum: int) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("expected a whole number") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    return parse


def _optional(parser: Parser) -> Parser:
    def parse(value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
            return None
        return parser(value)

    return parse


def _auto(parser: Parser) -> Parser:
    """``parser``, or None for "auto" (or nothing): the value is worked out, not given."""

    def parse(value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
            return None
        return parser(value)

    return parse


def _float(minimum: float) -> Parser:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a number") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    return parse


def _str(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError("expected text")


def _choice(*choices: str) -> Parser:
    def parse(value: Any) -> str:
        text = _str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return text

    return parse


def split_list(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """The items of a list option given once or more, each time one item or a comma list:
    ``["social,detail", "social", "livestream"]`` gives ``("social", "detail",
    "livestream")``. Blanks are dropped and each item is kept once, where first given.

    The one place lists are split: every list option of the command line, the review
    queue's filters, the audit log's event filter and comma lists in the config.
    """
    if values is None:
        return ()
    given = [values] if isinstance(values, str) else values
    out: dict[str, None] = {}
    for value in given:
        for part in str(value).split(","):
            if part.strip():
                out.setdefault(part.strip(), None)
    return tuple(out)


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items = list(split_list(value))
    elif isinstance(value, (list, tuple)):
        items = [_str(item).strip() for item in value]
    else:
        raise ValueError("expected a list or comma-separated text")
    return tuple(item for item in items if item)


def _map_items(text: str) -> list[str]:
    """``title=名称,sku=ID`` -> two items; a comma inside a column name stays when a
    part has no ``=`` (``title=Name, full``)."""
    parts = [p.strip() for p in text.split(",")]
    if all("=" in p for p in parts if p):
        return [p for p in parts if p]
    return [text.strip()]


def _columns(value: Any) -> Mapping[str, str]:
    """``{field: column}``, or ``field=column`` items (a list, or text with commas)."""
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        pairs = [(_str(k).strip(), _str(v).strip()) for k, v in value.items()]
    else:
        items = [value] if isinstance(value, str) else list(value)
        for item in (part for text in items for part in _map_items(_str(text))):
            name, sep, column = item.partition("=")
            if not sep:
                raise ValueError(f"expected field=COLUMN, got {item!r}")
            pairs.append((name.strip(), column.strip()))
    out: dict[str, str] = {}
    taken: dict[str, str] = {}
    for name, column in pairs:
        if name not in PRODUCT_FIELDS:
            import difflib

            close = difflib.get_close_matches(name, PRODUCT_FIELDS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown product field {name!r}{hint} (fields: {', '.join(PRODUCT_FIELDS)})"
            )
        if not column:
            raise ValueError(f"no column given for {name!r}")
        if column in taken and taken[column] != name:
            raise ValueError(f"column {column!r} is mapped to both {taken[column]!r} and {name!r}")
        taken[column] = name
        out[name] = column
    return MappingProxyType(out)


def _platforms(value: Any) -> tuple[str, ...]:
    items = _str_tuple(value)
    unknown = [p for p in items if p not in PLATFORMS]
    if unknown:
        raise ValueError(f"unknown platform {unknown[0]!r}; expected {', '.join(PLATFORMS)}")
    if not items:
        raise ValueError("needs at least one platform")
    return items


def _path(value: Any) -> Path:
    return Path(os.path.expanduser(_str(value)))


def _path_tuple(value: Any) -> tuple[Path, ...]:
    return tuple(Path(os.path.expanduser(item)) for item in _str_tuple(value))


def _str_map(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of names to text")
    return MappingProxyType({str(k): _str(v) for k, v in value.items()})


# Scalar settings: name -> parser. These can come from any source.
SCALARS: dict[str, Parser] = {
    "backend": _str,
    "model": _optional(_str),
    "base_url": _optional(_str),
    "api_key_env": _str,
    "extra_headers": _str_map,
    "temperature": _float(0.0),
    "max_tokens": _auto(_int(1)),
    "seed": _optional(_int(0)),
    "json_mode": _bool,
    "response_format": _choice(*RESPONSE_FORMATS),
    "timeout": _auto(_float(0.1)),
    "max_retries": _int(0),
    "max_reply_bytes": _int(1024),
    "concurrency": _auto(_int(1)),
    "rpm": _optional(_int(1)),
    "max_repairs": _optional(_int(0)),
    "platforms": _platforms,
    "variants": _int(1),
    "lang": _optional(_str),
    "fail_on": _optional(_choice(*FAIL_ON_LEVELS)),
    "rules": _path_tuple,
    "allow": _path_tuple,
    "disable": _str_tuple,
    "only_category": _str_tuple,
    "templates": _optional(_path),
    "cache": _bool,
    "cache_dir": _optional(_path),
    "audit": _optional(_path),
    "audit_key_file": _optional(_path),
    "allow_insecure": _bool,
    "max_cell_chars": _int(1),
    "columns": _columns,
    "judge": _bool,
    "judge_backend": _optional(_str),
    "judge_model": _optional(_str),
    "judge_base_url": _optional(_str),
    "judge_severity": _choice(*JUDGE_SEVERITIES),
    "judge_on_error": _choice(*JUDGE_ON_ERROR),
    "judge_all": _bool,
    "judge_max_tokens": _int(16),
    "debug": _bool,
}
#: The ``judge:`` section of the config file: its keys and the settings they set.
JUDGE_SECTION: dict[str, str] = {
    "enabled": "judge",
    "backend": "judge_backend",
    "model": "judge_model",
    "base_url": "judge_base_url",
    "severity": "judge_severity",
    "on_error": "judge_on_error",
    "all": "judge_all",
    "max_tokens": "judge_max_tokens",
}

# Keys a backend profile may set (plus `type`).
PROFILE_KEYS = frozenset(
    {
        "model",
        "base_url",
        "api_key_env",
        "extra_headers",
        "temperature",
        "max_tokens",
        "seed",
        "json_mode",
        "response_format",
        "timeout",
        "max_retries",
        "max_reply_bytes",
        "concurrency",
        "rpm",
        "max_repairs",
    }
)
SECTION_KEYS: dict[str, frozenset[str]] = {
    "brand_voice": frozenset({"tone", "use", "avoid"}),
    "aigc": frozenset({"provider", "labels"}),
    "aigc.labels.*": frozenset({"enabled", "position", "text_zh", "text_en"}),
    "prices.*": frozenset(
        {"input", "output", "currency", "cached_input", "batch_input", "batch_output"}
        | {"batch_discount"}
    ),
    "backends.*": PROFILE_KEYS | {"type"},
    "judge": frozenset(JUDGE_SECTION),
}
# The judge's settings are written in their own section, not as judge_* keys.
TOP_LEVEL_KEYS = frozenset(SCALARS) - {"debug"} - set(JUDGE_SECTION.values()) | {
    "brand_voice",
    "aigc",
    "prices",
    "backends",
    "judge",
}


# --- the config file ---------------------------------------------------------------------


def find_config_file(
    explicit: str | Path | None, env: Mapping[str, str], cwd: Path, home: Path
) -> Path | None:
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError("config file not found", file=path)
        return path
    from_env = env.get("COPYGEN_CONFIG")
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise ConfigError("config file named by COPYGEN_CONFIG not found", file=path)
        return path
    local = cwd / CONFIG_FILE_NAME
    if local.is_file():
        return local
    xdg = env.get("XDG_CONFIG_HOME")
    user = (Path(xdg) if xdg else home / ".config") / "copygen" / "config.yaml"
    if user.is_file():
        return user
    return None


def _check_keys(node: yaml.Node, path: Path, section: str, allowed: frozenset[str]) -> None:
    import yaml  # only when there is a config file: not for each 'copygen check'

    if not isinstance(node, yaml.MappingNode):
        where = f"'{section}'" if section else "the top level"
        raise ConfigError(f"{where} must be a mapping", file=path, row=node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = key_node.value
        dotted = f"{section}.{key}" if section else key
        if key not in allowed:
            import difflib

            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"allowed here: {', '.join(sorted(allowed))}"
            )
            raise ConfigError(
                f"unknown key '{dotted}'", file=path, row=key_node.start_mark.line + 1, hint=hint
            )
        # Recurse into sections whose keys are fixed.
        if dotted in SECTION_KEYS:
            _check_keys(value_node, path, dotted, SECTION_KEYS[dotted])
        elif dotted in ("prices", "backends", "aigc.labels"):
            if not isinstance(value_node, yaml.MappingNode):
                raise ConfigError(
                    f"'{dotted}' must be a mapping", file=path, row=value_node.start_mark.line + 1
                )
            for name_node, entry_node in value_node.value:
                _check_keys(
                    entry_node,
                    path,
                    f"{dotted}.{name_node.value}",
                    SECTION_KEYS[f"{dotted}.*"],
                )


def _key_lines(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    """Line of every key, by dotted name, to point value errors at the right line."""
    import yaml

    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[dotted] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, dotted))
    return lines


def read_config_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The file's mapping and the line of each dotted key; validates key names."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", file=path) from None
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML: {problem}", file=path, row=row) from None
    if node is None or data is None:
        return {}, {}
    _check_keys(node, path, "", TOP_LEVEL_KEYS)
    return data, _key_lines(node)


# --- building the settings ---------------------------------------------------------------


def _parse(name: str, raw: Any, source: str, *, file: Path | None, line: int | None) -> Any:
    parser = SCALARS[name]
    try:
        return parser(raw)
    except ValueError as exc:
        if file is not None:
            raise ConfigError(f"'{name}': {exc}", file=file, row=line) from None
        raise ConfigError(f"{source}: {exc}") from None


def _env_values(env: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    values: dict[str, tuple[Any, str]] = {}
    if env.get("OPENAI_BASE_URL"):
        values["base_url"] = (env["OPENAI_BASE_URL"], "env OPENAI_BASE_URL")
    for name in SCALARS:
        var = f"COPYGEN_{name.upper()}"
        if name == "extra_headers":
            continue  # a mapping does not fit one variable; set it in the file
        if var in env:
            values[name] = (env[var], f"env {var}")
    return values


def _sections(
    data: Mapping[str, Any], lines: Mapping[str, int], path: Path | None
) -> dict[str, Any]:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"'{key}': {message}", file=path, row=lines.get(key))

    out: dict[str, Any] = {}
    voice = data.get("brand_voice")
    if voice is not None:
        try:
            out["brand_voice"] = BrandVoice(
                tone=_str(voice.get("tone", "")),
                use=_str_tuple(voice.get("use") or []),
                avoid=_str_tuple(voice.get("avoid") or []),
            )
        except (ValueError, AttributeError) as exc:
            raise fail("brand_voice", str(exc)) from None
    prices = data.get("prices")
    if prices is not None:
        parsed: dict[str, Price] = {}
        for model, entry in prices.items():
            key = f"prices.{model}"
            try:
                parsed[str(model)] = Price(
                    input=_float(0.0)(entry.get("input")),
                    output=_float(0.0)(entry.get("output")),
                    currency=_str(entry.get("currency", "USD")),
                    cached_input=_optional(_float(0.0))(entry.get("cached_input")),
                    batch_input=_optional(_float(0.0))(entry.get("batch_input")),
                    batch_output=_optional(_float(0.0))(entry.get("batch_output")),
                    batch_discount=_float(0.0)(entry.get("batch_discount", 0.5)),
                )
            except (ValueError, AttributeError) as exc:
                raise fail(key, f"{exc} (give input and output per million tokens)") from None
        out["prices"] = MappingProxyType(parsed)
    aigc = data.get("aigc")
    if aigc is not None:
        if "provider" in aigc:
            out["aigc_provider"] = _str(aigc["provider"])
        labels = dict(_default_labels())
        for platform, entry in (aigc.get("labels") or {}).items():
            key = f"aigc.labels.{platform}"
            if platform not in PLATFORMS:
                raise fail(key, f"unknown platform; expected {', '.join(PLATFORMS)}")
            base = labels[platform]
            entry = entry or {}
            try:
                labels[platform] = AigcLabel(
                    enabled=_bool(entry.get("enabled", base.enabled)),
                    position=_choice("start", "end")(entry.get("position", base.position)),
                    text_zh=_str(entry.get("text_zh", base.text_zh)),
                    text_en=_str(entry.get("text_en", base.text_en)),
                )
            except ValueError as exc:
                raise fail(key, str(exc)) from None
        out["aigc_labels"] = MappingProxyType(labels)
    backends = data.get("backends")
    if backends is not None:
        out["backends"] = MappingProxyType(
            {str(name): MappingProxyType(dict(entry or {})) for name, entry in backends.items()}
        )
    return out


def load_settings(
    *,
    cli: Mapping[str, Any] | None = None,
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Settings:
    """Build the effective settings.

    ``cli`` holds values given as flags; ``None`` values mean "not given" so that
    lower sources show through.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    home = Path.home() if home is None else home
    cli = {k: v for k, v in (cli or {}).items() if v is not None}
    for key in cli:
        if key not in SCALARS:
            raise ValueError(f"not a setting: {key}")

    path = find_config_file(config_path, env, cwd, home)
    data, lines = read_config_file(path) if path is not None else ({}, {})

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in SCALARS:
        if name in data and name not in JUDGE_SECTION.values():  # `judge:` is a section
            values[name] = _parse(name, data[name], "config", file=path, line=lines.get(name))
            sources[name] = f"config {path}"
    judge_section = data.get("judge")
    if judge_section is not None and not isinstance(judge_section, Mapping):
        raise ConfigError("'judge' must be a mapping", file=path, row=lines.get("judge"))
    for key, raw in (judge_section or {}).items():
        name = JUDGE_SECTION[str(key)]
        where = lines.get(f"judge.{key}")
        values[name] = _parse(name, raw, "config", file=path, line=where)
        sources[name] = f"config {path} (judge)"
    env_values = _env_values(env)
    for name, (raw, source) in env_values.items():
        values[name] = _merged(name, values, _parse(name, raw, source, file=None, line=None))
        sources[name] = source

    # The key a judge on another server gets unless its own profile names one: never
    # the key of the run's profile, which belongs to the run's server.
    base_key_env = values.get("api_key_env", Settings.api_key_env)
    # A backend name may be a profile from `backends:`; its values sit between the
    # file's top level and the environment.
    section_values = _sections(data, lines, path)
    backend_name = cli.get("backend", values.get("backend", "offline"))
    profiles: Mapping[str, Mapping[str, Any]] = section_values.get("backends", {})
    if backend_name in profiles:
        profile = profiles[backend_name]
        values["backend_profile"] = backend_name
        for key, raw in profile.items():
            if key == "type":
                continue
            if key in env_values or key in cli:
                continue
            values[key] = _parse(
                key, raw, "config", file=path, line=lines.get(f"backends.{backend_name}.{key}")
            )
            sources[key] = f"config {path} (backend '{backend_name}')"
        backend_type = _str(profile.get("type", "openai"))
        values["backend"] = backend_type
        sources["backend"] = f"config {path} (backend '{backend_name}')"
        cli = {k: v for k, v in cli.items() if k != "backend"}

    for name, raw in cli.items():
        flag = "--map" if name == "columns" else "--" + name.replace("_", "-")
        parsed = _parse(name, raw, f"option {flag}", file=None, line=None)
        values[name] = _merged(name, values, parsed)
        sources[name] = "option"

    _resolve_server_defaults(values, sources)

    api_key_env = values.get("api_key_env", Settings.api_key_env)
    api_key = env.get(api_key_env) or None
    if api_key:
        sources["api_key"] = f"env {api_key_env}"
    judge_name = values.get("judge_backend")
    judge_key_env = base_key_env
    if judge_name is not None and judge_name in profiles:
        values["judge_profile"] = _profile_values(
            judge_name, profiles[judge_name], path=path, lines=lines
        )
        judge_key_env = values["judge_profile"].get("api_key_env", base_key_env)
    values["judge_api_key"] = env.get(judge_key_env) or None

    return Settings(
        **values,
        **section_values,
        api_key=api_key,
        config_file=path,
        sources=MappingProxyType(sources),
    )


def _merged(name: str, values: Mapping[str, Any], value: Any) -> Any:
    """A higher source's value; column mappings add up field by field instead
    (``--map sku=ID`` keeps the config's ``columns: {title: 产品名称}``)."""
    if name == "columns" and name in values:
        return MappingProxyType({**values[name], **value})
    return value


def _profile_values(
    name: str, profile: Mapping[str, Any], *, path: Path | None, lines: Mapping[str, int]
) -> Mapping[str, Any]:
    """A profile of ``backends:`` parsed as settings (``type`` as ``backend``)."""
    out: dict[str, Any] = {"backend": _str(profile.get("type", "openai"))}
    for key, raw in profile.items():
        if key != "type":
            out[key] = _parse(
                key, raw, "config", file=path, line=lines.get(f"backends.{name}.{key}")
            )
    return MappingProxyType(out)


#: The source of a timeout or concurrency chosen for a server on this machine.
SERVER_DEFAULT_SOURCE = "default for a server on this machine"


def server_defaults(*, backend: str, base_url: str | None) -> dict[str, Any]:
    """Timeout and concurrency for a server when the user set none: a server on this
    machine gets LOCAL_SERVER_TIMEOUT and LOCAL_SERVER_CONCURRENCY, others the built-in
    defaults. Empty for a backend without a server (offline)."""
    if backend == "offline":
        return {}
    if is_loopback_url(base_url):
        return {"timeout": LOCAL_SERVER_TIMEOUT, "concurrency": LOCAL_SERVER_CONCURRENCY}
    return {"timeout": DEFAULT_TIMEOUT, "concurrency": DEFAULT_CONCURRENCY}


def _resolve_server_defaults(values: dict[str, Any], sources: dict[str, str]) -> None:
    """Timeout and concurrency the user left unset (or "auto"), for the server in use
    (:func:`server_defaults`). A value the user gave always stands."""
    chosen = server_defaults(
        backend=values.get("backend", Settings.backend), base_url=values.get("base_url")
    )
    # Only a server on this machine changes the dataclass defaults.
    local = bool(chosen) and is_loopback_url(values.get("base_url"))
    for name in ("timeout", "concurrency"):
        if values.get(name) is not None:
            continue
        values.pop(name, None)
        sources.pop(name, None)
        if local:
            values[name] = chosen[name]
            sources[name] = SERVER_DEFAULT_SOURCE


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy with some settings changed (for tests and library callers)."""
    return replace(settings, **changes)
