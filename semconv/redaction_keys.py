"""Which attribute keys the scrubbers skip, and which hold the endpoint the application calls.

Structural keys (IDs, counts, model names, enums, resource attributes) are never scrubbed. Keys
that name the endpoint an instrumented client talks to (Traceloop's ``gen_ai.openai.api_base``,
``url.full`` ...) are scrubbed, but a loopback or private address in them is infrastructure, not
personal data: it is kept (see :meth:`agentstate.semconv.redaction.Redactor.redact_counting`).
"""

from __future__ import annotations

from typing import Final

SAFE_KEYS: Final = frozenset({
    "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model",
    "gen_ai.response.model", "gen_ai.response.finish_reasons", "gen_ai.response.finish_reason",
    "gen_ai.request.max_tokens", "gen_ai.request.temperature", "gen_ai.request.top_p",
    "gen_ai.request.top_k", "gen_ai.request.seed", "gen_ai.request.frequency_penalty",
    "gen_ai.request.presence_penalty", "gen_ai.request.choice.count", "gen_ai.request.stream",
    "gen_ai.request.encoding_formats", "gen_ai.output.type", "gen_ai.tool.name", "gen_ai.tool.type",
    "gen_ai.agent.name", "gen_ai.agent.version", "gen_ai.workflow.name", "gen_ai.token.type",
    "gen_ai.embeddings.dimension.count", "gen_ai.is_streaming", "gen_ai.response.time_to_first_chunk",
    "openinference.span.kind", "llm.model_name", "llm.provider", "llm.system", "llm.request.type",
    "llm.is_streaming", "llm.response.finish_reason", "llm.finish_reason", "embedding.model_name",
    "traceloop.span.kind", "traceloop.entity.name", "traceloop.workflow.name",
    "traceloop.entity.path", "traceloop.entity.version", "tool.name", "agent.name",
    "input.mime_type", "output.mime_type", "error.type", "otel.status_code", "span.kind",
    "http.request.method", "http.response.status_code", "http.method", "http.status_code",
    "server.address", "server.port", "rpc.system", "rpc.service", "rpc.method", "db.system",
    "db.system.name", "code.function", "code.function.name", "code.filepath", "code.lineno",
    "code.namespace", "thread.name", "agentstate.redacted",
})  # fmt: skip
"""Structural attribute keys whose values are machine-produced and never scrubbed."""

SAFE_PREFIXES: Final = (
    "gen_ai.usage.", "llm.token_count.", "llm.usage.", "llm.cost.", "service.", "telemetry.",
    "process.runtime.", "process.pid", "host.arch", "os.type", "os.version", "otel.",
    "deployment.environment", "k8s.", "container.id", "cloud.provider", "cloud.region",
)  # fmt: skip
"""Key prefixes that are structural (usage, cost, resource and instrumentation attributes)."""

UNSAFE_ID_KEYS: Final = frozenset({
    "user.id", "enduser.id", "user_id", "traceloop.association.properties.user_id", "client.id",
})  # fmt: skip
"""``*.id`` keys that are user-supplied and may hold an e-mail or a name: always scanned."""

ENDPOINT_KEYS: Final = frozenset({
    "gen_ai.openai.api_base", "openai.api_base", "llm.openai.api_base", "url.full", "http.url",
    "server.address", "server.socket.address", "network.peer.address", "net.peer.name", "net.peer.ip",
    "net.sock.peer.addr", "db.connection_string",
})  # fmt: skip
"""Keys whose value is (or contains) the address of a service the application calls."""

ENDPOINT_SUFFIXES: Final = (".api_base", ".base_url", "_base_url", ".endpoint", ".api_url")
"""Key endings that name such an address as well (``langchain.openai.base_url`` ...)."""


def is_safe_key(key: str) -> bool:
    """Return whether the attribute ``key`` is structural, so its value is never scrubbed.

    Safe: the keys in :data:`SAFE_KEYS`, those starting with one of :data:`SAFE_PREFIXES`, and
    machine IDs (``*.id`` / ``*_id``) except the user-supplied ones in :data:`UNSAFE_ID_KEYS`.
    Never safe: message content (``gen_ai.input.messages``, ``input.value``, ``llm.*_messages.*``),
    tool arguments and results, URLs, ``user.id``.
    """
    if key in SAFE_KEYS or key.startswith(SAFE_PREFIXES):
        return True
    if key.endswith((".id", "_id")) and key not in UNSAFE_ID_KEYS:
        return not key.endswith(("user.id", "user_id"))
    return False


def is_endpoint_key(key: str) -> bool:
    """Return whether ``key`` holds the address of a called service (loopback and private IPs kept)."""
    return key in ENDPOINT_KEYS or key.endswith(ENDPOINT_SUFFIXES)
