"""SDK configuration: documented settings resolved once into a frozen :class:`Config`.

Each setting comes from, in order: the argument given to ``init``, an ``AGENTSTATE_*`` variable,
the standard ``OTEL_*`` variable where one exists, then the default. A value that cannot be parsed
is logged and the next source is used, never raised (the OTel ``environment_variables`` habit).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import unquote

from agentstate._internal.errors import logger
from agentstate._internal.integrations.catalog import ALIASES as INTEGRATION_ALIASES
from agentstate._internal.integrations.catalog import NAMES as INTEGRATION_NAMES

DEFAULT_COLLECTOR_URL: Final = "http://127.0.0.1:4318"
"""Where spans go when nothing is configured: a local AgentState receiver."""

DEFAULT_SERVICE_NAME: Final = "unknown_service"
"""OpenTelemetry's own default service name."""

DEFAULT_SPOOL_DIR: Final = "~/.agentstate/spool"
"""Folder of the offline spool; ``AGENTSTATE_SPOOL_DIR=off`` disables spooling."""

DEFAULT_SPOOL_MAX_BYTES: Final = 64 * 1024 * 1024
"""Byte cap of the spool; the oldest batches are evicted (and counted) beyond it."""

DEFAULT_MAX_VALUE_LENGTH: Final = 16 * 1024
"""Characters kept of each captured input/output JSON string."""

DEFAULT_EXPORT_TIMEOUT: Final = 10.0
"""Seconds one HTTP export may take before the batch is spooled instead."""

DEFAULT_FLUSH_TIMEOUT: Final = 5.0
"""Seconds the exit handler may spend flushing; what is left is spooled."""

DEFAULT_MAX_REQUEST_BYTES: Final = 4 * 1024 * 1024
"""Serialized size above which a batch is split in halves (the receiver's limit is 5 MiB)."""

TRACES_PATH: Final = "/v1/traces"
"""OTLP/HTTP traces path appended to the collector URL."""

_OFF: Final = frozenset({"", "off", "none", "false", "0", "disabled"})
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})

T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    """Resolved SDK settings; built once by :func:`resolve_config`.

    Attributes:
        traces_endpoint: Full OTLP/HTTP URL spans are POSTed to.
        headers: HTTP headers sent with every export (authentication included).
        api_key: The AgentState ingest key, if any.
        service_name: ``service.name`` of a provider the SDK creates.
        capture_io: Whether ``@observe`` records arguments and return values by default.
        scrub: Whether PII and secrets are redacted before export.
        scrub_patterns: Extra ``{TYPE: regex}`` patterns for the scrubber.
        scrub_exempt_keys: Attribute keys never scrubbed, besides the structural safe keys.
        spool_dir: Folder of the offline spool, or ``None`` when spooling is off.
        spool_max_bytes: Byte cap of the spool.
        disabled: ``True`` turns the SDK into a no-op.
        max_value_length: Characters kept of each captured value.
        export_timeout: Seconds per HTTP export attempt.
        flush_timeout: Seconds the exit flush may take.
        max_request_bytes: Serialized size above which a batch is split.
        propagate_to_threads: Whether context follows work into threads and thread pools.
        integrations: Names of the framework integrations ``init`` switches on.
    """

    traces_endpoint: str = DEFAULT_COLLECTOR_URL + TRACES_PATH
    headers: Mapping[str, str] = field(default_factory=dict)
    api_key: str | None = None
    service_name: str = DEFAULT_SERVICE_NAME
    capture_io: bool = True
    scrub: bool = True
    scrub_patterns: Mapping[str, str] = field(default_factory=dict)
    scrub_exempt_keys: frozenset[str] = frozenset()
    spool_dir: Path | None = None
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES
    disabled: bool = False
    max_value_length: int = DEFAULT_MAX_VALUE_LENGTH
    export_timeout: float = DEFAULT_EXPORT_TIMEOUT
    flush_timeout: float = DEFAULT_FLUSH_TIMEOUT
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    propagate_to_threads: bool = True
    integrations: frozenset[str] = frozenset(INTEGRATION_NAMES)


def _env(*names: str) -> tuple[str, str] | None:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            return name, value.strip()
    return None


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"must be positive: {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"must be positive: {value}")
    return value


def _from_env(parse: Callable[[str], T], default: T, *names: str) -> T:
    """Parse the first set variable among ``names``; log and fall back to ``default`` if bad."""
    found = _env(*names)
    if found is None:
        return default
    name, text = found
    try:
        return parse(text)
    except (ValueError, TypeError) as exc:
        logger.warning("Ignoring %s=%r (%s); using %r", name, text, exc, default)
        return default


def parse_otlp_headers(text: str) -> dict[str, str]:
    """Parse ``OTEL_EXPORTER_OTLP_HEADERS`` (``k1=v1,k2=v2``, URL-encoded values).

    Malformed pairs are logged and skipped.
    """
    headers: dict[str, str] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            logger.warning("Ignoring malformed OTLP header entry %r", pair)
            continue
        headers[unquote(key.strip()).lower()] = unquote(value.strip())
    return headers


def _endpoint(collector_url: str | None) -> str:
    if collector_url:
        return collector_url.rstrip("/") + TRACES_PATH
    found = _env("AGENTSTATE_COLLECTOR_URL")
    if found:
        return found[1].rstrip("/") + TRACES_PATH
    found = _env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if found:
        return found[1]  # the spec says: used as-is, no path appended
    found = _env("OTEL_EXPORTER_OTLP_ENDPOINT")
    if found:
        return found[1].rstrip("/") + TRACES_PATH
    return DEFAULT_COLLECTOR_URL + TRACES_PATH


def _spool_dir(explicit: str | os.PathLike[str] | None) -> Path | None:
    raw = os.fspath(explicit) if explicit is not None else None
    if raw is None:
        found = _env("AGENTSTATE_SPOOL_DIR")
        raw = found[1] if found else DEFAULT_SPOOL_DIR
    if raw.strip().lower() in _OFF:
        return None
    return Path(raw).expanduser()


IntegrationsArg = bool | Iterable[str] | Mapping[str, bool] | None
"""``init(integrations=...)``: all/none, exactly these names, or per-name switches over the default."""


def _integration_name(raw: str, source: str) -> str | None:
    name = raw.strip().lower().replace("-", "_")
    name = INTEGRATION_ALIASES.get(name, name)
    if name not in INTEGRATION_NAMES:
        logger.warning("Ignoring unknown integration %r in %s (known: %s)", raw, source, ", ".join(INTEGRATION_NAMES))
        return None
    return name


def _names(raw: Iterable[str], source: str) -> set[str]:
    return {n for n in (_integration_name(r, source) for r in raw if r.strip()) if n is not None}


def _integrations(arg: IntegrationsArg) -> frozenset[str]:
    """``AGENTSTATE_INTEGRATIONS`` (``all``, ``none`` or a comma list) under the argument, then
    every ``AGENTSTATE_DISABLE_<NAME>=true`` removes its integration (the operator's off switch)."""
    everything = set(INTEGRATION_NAMES)
    found = _env("AGENTSTATE_INTEGRATIONS")
    text = found[1].lower() if found else "all"
    if text == "all":
        default = everything
    else:
        default = set() if text in _OFF else _names(text.split(","), "AGENTSTATE_INTEGRATIONS")
    if arg is None:
        chosen = default
    elif isinstance(arg, bool):
        chosen = everything if arg else set()
    elif isinstance(arg, Mapping):
        chosen = set(default)
        for raw, on in arg.items():
            name = _integration_name(raw, "integrations=")
            if name is not None:
                (chosen.add if on else chosen.discard)(name)
    else:
        chosen = _names([arg] if isinstance(arg, str) else arg, "integrations=")
    for name in INTEGRATION_NAMES:
        if _from_env(_parse_bool, False, f"AGENTSTATE_DISABLE_{name.upper()}"):
            chosen.discard(name)
    return frozenset(chosen)


def resolve_config(
    *,
    collector_url: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    capture_io: bool | None = None,
    scrub: bool | None = None,
    scrub_patterns: Mapping[str, str] | None = None,
    scrub_exempt_keys: frozenset[str] = frozenset(),
    spool_dir: str | os.PathLike[str] | None = None,
    spool_max_bytes: int | None = None,
    disabled: bool | None = None,
    max_value_length: int | None = None,
    export_timeout: float | None = None,
    flush_timeout: float | None = None,
    propagate_to_threads: bool = True,
    integrations: IntegrationsArg = None,
) -> Config:
    """Build the :class:`Config`: arguments first, then ``AGENTSTATE_*``, then ``OTEL_*``."""
    found_headers = _env("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
    headers = parse_otlp_headers(found_headers[1]) if found_headers else {}
    key = api_key if api_key is not None else _from_env(str, "", "AGENTSTATE_API_KEY")
    if key:
        headers["authorization"] = f"Bearer {key}"
    if disabled is None:
        disabled = _from_env(_parse_bool, False, "AGENTSTATE_DISABLED") or _from_env(
            _parse_bool, False, "OTEL_SDK_DISABLED"
        )
    return Config(
        traces_endpoint=_endpoint(collector_url),
        headers=headers,
        api_key=key or None,
        service_name=service_name
        or _from_env(str, DEFAULT_SERVICE_NAME, "AGENTSTATE_SERVICE_NAME", "OTEL_SERVICE_NAME"),
        capture_io=capture_io if capture_io is not None else _from_env(_parse_bool, True, "AGENTSTATE_CAPTURE_IO"),
        scrub=scrub if scrub is not None else _from_env(_parse_bool, True, "AGENTSTATE_SCRUB"),
        scrub_patterns=dict(scrub_patterns or {}),
        scrub_exempt_keys=frozenset(scrub_exempt_keys),
        spool_dir=_spool_dir(spool_dir),
        spool_max_bytes=spool_max_bytes
        or _from_env(_positive_int, DEFAULT_SPOOL_MAX_BYTES, "AGENTSTATE_SPOOL_MAX_BYTES"),
        disabled=disabled,
        max_value_length=max_value_length
        or _from_env(_positive_int, DEFAULT_MAX_VALUE_LENGTH, "AGENTSTATE_MAX_VALUE_LENGTH"),
        export_timeout=export_timeout
        or _from_env(_positive_float, DEFAULT_EXPORT_TIMEOUT, "AGENTSTATE_EXPORT_TIMEOUT"),
        flush_timeout=flush_timeout or _from_env(_positive_float, DEFAULT_FLUSH_TIMEOUT, "AGENTSTATE_FLUSH_TIMEOUT"),
        propagate_to_threads=propagate_to_threads,
        integrations=_integrations(integrations),
    )
