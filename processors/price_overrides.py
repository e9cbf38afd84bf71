"""User price overrides for custom, self-hosted or specially negotiated models.

A TOML or JSON file (path in ``AGENTSTATE_PRICES_FILE``) lists prices in USD per million tokens::

    [[price]]
    model = "llama-3.1-70b-internal"   # exact (case-insensitive) or a glob such as "llama-3.1-*"
    provider = "self-hosted"           # optional: must equal the span's normalised provider
    input_mtok = 0.20
    output_mtok = 0.60
    cache_read_mtok = 0.02             # optional, defaults to input_mtok
    cache_write_mtok = 0.25            # optional, defaults to input_mtok
    reasoning_mtok = 0.60              # optional, defaults to output_mtok
    start_date = 2025-06-01            # optional: the latest entry started at span time wins

JSON uses the same keys: ``{"price": [{...}, ...]}``. Overrides win over ``genai-prices``.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

import tomllib

PRICES_FILE_ENV: Final = "AGENTSTATE_PRICES_FILE"
"""Environment variable naming the overrides file."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """One user-defined price (USD per million tokens).

    Attributes:
        model: Model name or glob, compared case-insensitively.
        input_mtok: Price of uncached input tokens.
        output_mtok: Price of output tokens.
        provider: Provider the entry is limited to, or ``None`` for any.
        cache_read_mtok: Price of cache reads (``None``: the input price).
        cache_write_mtok: Price of cache writes (``None``: the input price).
        reasoning_mtok: Price of reasoning tokens (``None``: the output price).
        start: When the price takes effect.
    """

    model: str
    input_mtok: Decimal
    output_mtok: Decimal
    provider: str | None = None
    cache_read_mtok: Decimal | None = None
    cache_write_mtok: Decimal | None = None
    reasoning_mtok: Decimal | None = None
    start: datetime = _EPOCH

    def matches(self, provider: str | None, model: str) -> bool:
        """Return whether this entry prices ``model`` from ``provider``."""
        if self.provider is not None and (provider or "").lower() != self.provider.lower():
            return False
        pattern, name = self.model.lower(), model.lower()
        return name == pattern or fnmatch.fnmatchcase(name, pattern)


def find_override(
    overrides: Sequence[PriceOverride], provider: str | None, model: str, at: datetime
) -> PriceOverride | None:
    """Return the matching entry in effect at ``at`` with the latest start, or ``None``."""
    best: PriceOverride | None = None
    for entry in overrides:
        if entry.start <= at and entry.matches(provider, model) and (best is None or entry.start >= best.start):
            best = entry
    return best


def parse_overrides(data: Mapping[str, object]) -> tuple[PriceOverride, ...]:
    """Build overrides from a parsed TOML/JSON document.

    Raises:
        ValueError: On a missing model or price, a negative or non-numeric price, or a bad date.
    """
    entries = data.get("price", [])
    if not isinstance(entries, list):
        raise ValueError("'price' must be a list of tables")
    return tuple(_entry(e, i) for i, e in enumerate(entries))


def load_overrides(path: str | os.PathLike[str] | None = None) -> tuple[PriceOverride, ...]:
    """Load overrides from ``path``, else from ``$AGENTSTATE_PRICES_FILE``; none if neither is set.

    Raises:
        ValueError: If the file cannot be parsed or holds an invalid entry.
        OSError: If the file cannot be read.
    """
    name = path if path is not None else os.environ.get(PRICES_FILE_ENV)
    if not name:
        return ()
    file = Path(name)
    raw = file.read_bytes()
    try:
        data = json.loads(raw) if file.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{file}: top level must be a table")
    return parse_overrides(data)


def _entry(raw: object, index: int) -> PriceOverride:
    if not isinstance(raw, dict):
        raise ValueError(f"price[{index}] must be a table")
    model = raw.get("model")
    if not isinstance(model, str) or not model:
        raise ValueError(f"price[{index}]: 'model' is required")
    provider = raw.get("provider")
    return PriceOverride(
        model=model,
        provider=provider if isinstance(provider, str) and provider else None,
        input_mtok=_price(raw, "input_mtok", index, required=True) or Decimal(0),
        output_mtok=_price(raw, "output_mtok", index, required=True) or Decimal(0),
        cache_read_mtok=_price(raw, "cache_read_mtok", index),
        cache_write_mtok=_price(raw, "cache_write_mtok", index),
        reasoning_mtok=_price(raw, "reasoning_mtok", index),
        start=_start(raw.get("start_date"), index),
    )


def _price(raw: Mapping[str, object], key: str, index: int, *, required: bool = False) -> Decimal | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise ValueError(f"price[{index}]: '{key}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"price[{index}]: '{key}' must be a number")
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"price[{index}]: '{key}' must be a number") from exc
    if not price.is_finite() or price < 0:
        raise ValueError(f"price[{index}]: '{key}' must be a finite non-negative number")
    return price


def _start(value: object, index: int) -> datetime:
    if value is None:
        return _EPOCH
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _start(datetime.fromisoformat(value), index)
        except ValueError as exc:
            raise ValueError(f"price[{index}]: bad start_date {value!r}") from exc
    raise ValueError(f"price[{index}]: bad start_date {value!r}")
