"""GenAI-agent-shaped OTLP payloads shared by the benchmarks.

~10 spans per trace (an ``invoke_agent`` root, 4 ``chat`` spans with 0.8–2.1 KB input and 0.7–1.5 KB
output messages, 3 ``execute_tool``, an embedding and a DB span), like the reference baselines.
Every trace ID carries an 8-byte marker, and every prompt, completion and tool text starts with an
8-letter one, so one serialized template can be stamped with a fresh request number per send (two
``bytes.replace``) and every span *and every text* stays unique across a run: the security engine's
verdict cache, which real agents hit as each model call resends the conversation, never helps here.
"""

from __future__ import annotations

import json
import random

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

MARKER = b"\xfe\xed\xfa\xce\xca\xfe\xba\xbe"
TEXT_MARKER = "QZXQZXQZ"
"""Opens every text as the word ``refQZXQZXQZ``; :func:`stamp` writes the request number over it."""
_WORDS = (
    "agent tool search weather flight hotel price user plan step reason answer context memory "
    "invoice refund policy account booking city date time budget"
).split()


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = ["ref" + TEXT_MARKER]
    n = len(out[0])
    while n < size:
        w = rng.choice(_WORDS)
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def _attr(span: object, key: str, value: object) -> None:
    kv = span.attributes.add()  # type: ignore[attr-defined]
    kv.key = key
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    elif isinstance(value, float):
        kv.value.double_value = value
    else:
        kv.value.string_value = str(value)


def build_template(spans: int = 500, seed: int = 1, *, conversation: bool = False) -> bytes:
    """One serialized ``ExportTraceServiceRequest`` of ``spans`` spans (multiple of 10).

    ``conversation``: each chat span resends the conversation so far, as agents do (a system prompt,
    then every earlier user message and answer, then its new user message): the fourth call of a
    trace sends 8 messages. Texts then repeat within a request (each call resends the earlier ones),
    never across requests.
    """
    rng = random.Random(seed)
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    for k, v in (("service.name", "bench-agent"), ("telemetry.sdk.language", "python")):
        _attr(rs.resource, k, v)
    ss = rs.scope_spans.add()
    ss.scope.name, ss.scope.version = "bench", "1.0"
    t0 = 1_764_000_000_000_000_000
    for trace in range(spans // 10):
        tid = MARKER + trace.to_bytes(8, "big")
        root_id = (trace * 16 + 1).to_bytes(8, "big")
        start = t0 + trace * 10_000_000
        kinds = ["chat"] * 4 + ["execute_tool"] * 3 + ["embeddings", "db"]
        root = ss.spans.add()
        root.trace_id, root.span_id, root.name, root.kind = tid, root_id, "invoke_agent planner", 1
        root.start_time_unix_nano, root.end_time_unix_nano = start, start + 9_000_000
        for k, v in (
            ("gen_ai.operation.name", "invoke_agent"),
            ("gen_ai.agent.name", "planner"),
            ("session.id", f"s-{trace % 97}"),
            ("user.id", f"u-{trace % 13}"),
        ):
            _attr(root, k, v)
        history: list[dict[str, object]] = []
        if conversation:
            history.append({"role": "system", "parts": [{"type": "text", "content": _text(rng, 600)}]})
        for i, kind in enumerate(kinds):
            s = ss.spans.add()
            s.trace_id, s.span_id, s.parent_span_id = tid, (trace * 16 + 2 + i).to_bytes(8, "big"), root_id
            s.start_time_unix_nano = start + (i + 1) * 800_000
            s.end_time_unix_nano = s.start_time_unix_nano + rng.randint(100_000, 700_000)
            if kind == "chat":
                s.name, s.kind = "chat gpt-4o-mini", 3
                msgs = [{"role": "user", "parts": [{"type": "text", "content": _text(rng, rng.randint(800, 2100))}]}]
                out = [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": _text(rng, rng.randint(700, 1500))}],
                        "finish_reason": "stop",
                    }
                ]
                if conversation:
                    msgs = history + msgs
                    history = [*msgs, {"role": "assistant", "parts": out[0]["parts"]}]
                for k, v in (
                    ("gen_ai.operation.name", "chat"),
                    ("gen_ai.provider.name", "openai"),
                    ("gen_ai.request.model", "gpt-4o-mini"),
                    ("gen_ai.response.model", "gpt-4o-mini"),
                    ("gen_ai.usage.input_tokens", rng.randint(200, 600)),
                    ("gen_ai.usage.output_tokens", rng.randint(100, 400)),
                    ("gen_ai.input.messages", json.dumps(msgs)),
                    ("gen_ai.output.messages", json.dumps(out)),
                ):
                    _attr(s, k, v)
            elif kind == "execute_tool":
                s.name = "execute_tool search"
                for k, v in (
                    ("gen_ai.operation.name", "execute_tool"),
                    ("gen_ai.tool.name", "search"),
                    ("gen_ai.tool.call.arguments", json.dumps({"q": _text(rng, 40)})),
                    ("gen_ai.tool.call.result", json.dumps({"hits": _text(rng, 200)})),
                ):
                    _attr(s, k, v)
            elif kind == "embeddings":
                s.name, s.kind = "embeddings text-embedding-3-small", 3
                for k, v in (
                    ("gen_ai.operation.name", "embeddings"),
                    ("gen_ai.provider.name", "openai"),
                    ("gen_ai.request.model", "text-embedding-3-small"),
                    ("gen_ai.usage.input_tokens", 42),
                ):
                    _attr(s, k, v)
            else:
                s.name, s.kind = "SELECT documents", 3
                for k, v in (("db.system.name", "postgresql"), ("db.query.text", "SELECT * FROM docs WHERE id = $1")):
                    _attr(s, k, v)
    return req.SerializeToString()


def _letters(n: int) -> str:
    """``n`` as 8 lowercase letters: unique per request, and no digits that would wake the
    scrubber's numeric recognisers on text that is otherwise all words."""
    out = []
    for _ in range(len(TEXT_MARKER)):
        n, r = divmod(n, 26)
        out.append(chr(97 + r))
    return "".join(reversed(out))


def stamp(template: bytes, request_no: int) -> bytes:
    """The template with every trace ID and every text made unique to ``request_no``."""
    texts = template.replace(TEXT_MARKER.encode(), _letters(request_no).encode())
    return texts.replace(MARKER, (0xA5 << 56 | request_no).to_bytes(8, "big"))
