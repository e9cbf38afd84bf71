"""What kind of agent step a span is, and how each kind looks, so kinds tell apart at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from agentstate.ui.schema import Span


@dataclass(frozen=True)
class KindStyle:
    """How one kind of span is drawn: a label, an icon for tables, a colour for charts."""

    label: str
    icon: str
    color: str


STYLES: Final[dict[str, KindStyle]] = {
    "agent": KindStyle("agent", "🤖", "#7c3aed"),
    "llm": KindStyle("LLM", "💬", "#2563eb"),
    "tool": KindStyle("tool", "🔧", "#ea580c"),
    "retrieval": KindStyle("retrieval", "📚", "#059669"),
    "embedding": KindStyle("embedding", "🧭", "#0891b2"),
    "chain": KindStyle("chain", "⛓️", "#64748b"),
    "span": KindStyle("span", "▫️", "#94a3b8"),
}
"""Every kind the UI knows; anything else is drawn as ``span``."""

ERROR_COLOR: Final = "#dc2626"
"""Errors are red everywhere (the waterfall's bar outline, the tree's status mark)."""

_OPERATIONS: Final[dict[str, str]] = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "completion": "llm",
    "llm": "llm",
    "execute_tool": "tool",
    "tool": "tool",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "agent": "agent",
    "embeddings": "embedding",
    "embedding": "embedding",
    "retrieval": "retrieval",
    "retriever": "retrieval",
    "retrieve": "retrieval",
    "invoke_workflow": "chain",
    "workflow": "chain",
    "chain": "chain",
}
"""The API's normalised operation (and spellings older rows may hold) -> how the span is drawn. The
operation already folds in every dialect's span kind (OpenInference ``RETRIEVER`` arrives as
``retrieval``), so the UI never reads raw attribute keys."""


def classify(operation: str) -> str:
    """The kind of a span from its normalised GenAI operation, else ``span``."""
    return _OPERATIONS.get(operation.strip().lower(), "span")


def span_kind(span: Span) -> str:
    """The kind of an API span."""
    return classify(span["genai"]["operation"])


def style(kind: str) -> KindStyle:
    """The look of a kind (unknown kinds look like ``span``; the Time Machine's ``workflow`` is a chain)."""
    if kind == "workflow":
        kind = "chain"
    return STYLES.get(kind, STYLES["span"])


def is_error(status_code: str) -> bool:
    """True for an OTel ERROR status (any spelling the API may pass on)."""
    return status_code.strip().lower() in ("error", "status_code_error", "2")
