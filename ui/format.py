"""Numbers and values as short, human-readable text, and telemetry made safe to display.

Telemetry is untrusted input. It reaches the screen only as plain text (``st.text``, ``st.code``,
table cells, ``st.json``) or through :func:`escape_markdown`, which neutralises Markdown and HTML.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~$:])")


def duration(ms: float) -> str:
    """``0.4 ms``, ``12 ms``, ``1.52 s``, ``2 m 05 s``."""
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} m {seconds:02d} s"


COST_DIGITS = 3
"""Significant digits of a cost under a dollar: enough to tell apart two cheap calls ($0.000046, $0.000051)."""
_MAX_COST_DECIMALS = 12


def _cost_decimals(usd: float) -> int:
    """Decimals showing :data:`COST_DIGITS` significant digits under a dollar; cents from a dollar up."""
    size = abs(usd)
    if size >= 1 or size == 0:
        return 2
    return max(2, min(_MAX_COST_DECIMALS, COST_DIGITS - 1 - math.floor(math.log10(size))))


def cost_value(usd: float) -> float:
    """A cost rounded as :func:`cost` shows it, for numeric table cells that stay sortable."""
    return round(float(usd), _cost_decimals(usd))


def cost(usd: float) -> str:
    """Dollars with enough significant digits for per-call LLM prices: ``$0.000046``, ``$0.0081``, ``$1,234.50``.

    A fixed number of decimals cannot do: four show every cheap call as ``$0.0000`` and six still lose
    sub-micro-dollar embeddings, so below a dollar the decimals follow the size of the number.
    """
    if usd == 0:
        return "$0"
    decimals = _cost_decimals(usd)
    text = f"{abs(usd):,.{decimals}f}"
    if decimals > 2:  # trailing zeros past the cents add width, not information
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0").ljust(2, "0")
        text = f"{whole}.{frac}"
    if float(text.replace(",", "")) == 0:  # below what twelve decimals show
        return ("-" if usd < 0 else "") + f"<${10.0**-_MAX_COST_DECIMALS:.{_MAX_COST_DECIMALS}f}"
    return ("-" if usd < 0 else "") + "$" + text


COST_COLUMN_FORMAT = "$%g"
"""Table cells take :func:`cost_value` numbers; ``%g`` prints them as rounded, without padding zeros."""


def tokens(n: int) -> str:
    """``950``, ``12.3k``, ``4.1M``."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def short_id(value: str, n: int = 8) -> str:
    """The first ``n`` characters of an ID."""
    return value[:n]


def when(iso: str) -> str:
    """A timestamp from the API as ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def escape_markdown(text: str) -> str:
    """Text that ``st.markdown`` shows literally: no formatting, links or HTML from telemetry.

    Markdown punctuation is backslash-escaped and ``<``/``>``/``&`` become entities, so a
    ``<script>`` in a prompt is displayed as the characters ``<script>``.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("\n", "  \n")


def as_text(value: Any, limit: int = 20_000) -> str:
    """Any decoded attribute value as display text: strings as they are, the rest as indented JSON."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def one_line(value: Any, limit: int = 120) -> str:
    """A value squeezed onto one line for tables."""
    text = as_text(value, limit * 4).replace("\n", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
