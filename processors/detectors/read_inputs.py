"""What the security engine reads of a normalised read, taken from its columns: no record per span.

Most chunks of a healthy agent's traffic are quiet: no text is flagged, nothing leaks, the SDK
redacted nothing. Then the per-span content detectors have nothing to say, and what is left per span
is its anomaly inputs and its tool calls. :meth:`~.engine.SecurityEngine.propose_read` judges such
a chunk from these lists and builds a record only for the chunks that are not quiet.

Each function here mirrors one that reads a :class:`~agentstate.semconv.span_record.NormalizedSpan`
(named in its docstring), on the stored form of the batch (``span_batch.SCHEMA``: messages as JSON
documents); ``tests/processors/detectors/test_propose_read.py`` holds the two paths equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson
import pyarrow as pa

from agentstate.processors.detectors.baselines import Fields
from agentstate.processors.pricing import SpanRef
from agentstate.processors.span_batch import MessageDoc
from agentstate.semconv.span_record import Operation, SpanCategory, category_of

_OPERATIONS: Final = {o.value: o for o in Operation}
_INPUT_OPERATIONS: Final = frozenset(
    o for o in Operation if category_of(o) in (SpanCategory.AGENT, SpanCategory.WORKFLOW)
)
"""Spans whose generic input is user input (``injection._INPUT_CATEGORIES``)."""
_LLM_OPERATIONS: Final = frozenset(o for o in Operation if category_of(o) is SpanCategory.LLM)
"""Spans whose generic output is a model's output (``leakage.scanned_texts``)."""


@dataclass(frozen=True, slots=True)
class ReadInputs:
    """A read's columns as Python lists, one item per row (``documents`` a tuple, ``operation`` parsed)."""

    rows: int
    project: list[str]
    trace_id: list[str]
    span_id: list[str]
    start_ns: list[int]
    service: list[str]
    duration_ns: list[int | None]
    operation: list[Operation]
    response_model: list[str | None]
    request_model: list[str | None]
    output_tokens: list[int | None]
    request_max_tokens: list[int | None]
    agent_name: list[str | None]
    tool_name: list[str | None]
    tool_arguments: list[str | None]
    tool_result: list[str | None]
    input_text: list[str | None]
    output_text: list[str | None]
    input_messages: list[str | None]
    output_messages: list[str | None]
    redacted: list[str | None]
    documents: list[tuple[str, ...]]

    def ref(self, i: int) -> SpanRef:
        """Row ``i``'s :class:`SpanRef` (as ``span_batch.items`` builds it)."""
        return SpanRef(self.project[i], self.trace_id[i], self.span_id[i], self.start_ns[i], self.service[i])

    def fields(self, lo: int, hi: int) -> Fields:
        """The anomaly rules' inputs of rows ``lo:hi`` (``Baselines.alerts`` reads them off records)."""
        model = [r or q for r, q in zip(self.response_model[lo:hi], self.request_model[lo:hi], strict=True)]
        return Fields(self.project[lo:hi], self.operation[lo:hi], model, self.output_tokens[lo:hi],
                      self.request_max_tokens[lo:hi], self.agent_name[lo:hi], self.tool_name[lo:hi],
                      self.duration_ns[lo:hi])  # fmt: skip


_PLAIN: Final = tuple(f for f in ReadInputs.__dataclass_fields__ if f not in ("rows", "operation", "documents"))
"""Fields read as the column's ``to_pylist``."""


def read_inputs(table: pa.Table) -> ReadInputs:
    """The columns the quiet path reads (the whole read's, one conversion per column)."""
    plain: dict[str, Any] = {name: table.column(name).to_pylist() for name in _PLAIN}
    documents = [tuple(d) if d else () for d in table.column("documents").to_pylist()]
    operation = [_OPERATIONS[o] for o in table.column("operation").to_pylist()]
    return ReadInputs(rows=table.num_rows, operation=operation, documents=documents, **plain)


@dataclass(frozen=True, slots=True)
class ChunkTexts:
    """What the detectors would read of a chunk's spans, in the order they read it.

    Attributes:
        score: ``(text, indirect)`` pairs (``injection.texts_to_score`` of each span, concatenated).
        leak: Texts screened for leaks (``leakage.scanned_texts`` of each span, concatenated).
        redacted: Whether any span carries the SDK's redaction counts.
        requested: Per row (of the read) whose output requests tool calls, their ``(name, arguments)``.
    """

    score: list[tuple[str, bool]]
    leak: list[str]
    redacted: bool
    requested: dict[int, list[tuple[str, str | None]]]


def chunk_texts(r: ReadInputs, lo: int, hi: int) -> ChunkTexts:
    """The texts of rows ``lo:hi`` (see :class:`ChunkTexts`); one pass, each message document parsed once."""
    score: list[tuple[str, bool]] = []
    leak: list[str] = []
    requested: dict[int, list[tuple[str, str | None]]] = {}
    loads = orjson.loads  # span_batch.message_docs, called only where a row has messages
    for i in range(lo, hi):
        op = r.operation[i]
        doc = r.input_messages[i]
        turn = _new_turn(loads(doc)) if doc else None  # most rows have no messages: no call for them
        if turn:
            score += [(m[1], False) for m in turn if m[0] == "user" and m[1]]
        text = r.input_text[i]
        if text and op in _INPUT_OPERATIONS:
            score.append((text, False))
        result = r.tool_result[i]
        if result:
            score.append((result, True))
        if turn:
            score += [(m[1], True) for m in turn if m[0] == "tool" and m[1]]
        if docs := r.documents[i]:
            score += [(d, True) for d in docs]
        doc = r.output_messages[i]
        out = loads(doc) if doc else ()
        for m in out:
            if m[1]:
                leak.append(m[1])
            if m[2]:
                leak += [call[1] for call in m[2] if call[1]]
                requested.setdefault(i, []).extend((call[0], call[1]) for call in m[2])
        text = r.output_text[i]
        if not out and text and op in _LLM_OPERATIONS:
            leak.append(text)
        arguments = r.tool_arguments[i]
        if arguments:
            leak.append(arguments)
        if result:
            leak.append(result)
    return ChunkTexts(score, leak, any(r.redacted[lo:hi]), requested)


def _new_turn(docs: list[MessageDoc]) -> list[MessageDoc]:
    """``span_record.new_turn`` on message documents (a no-op on the batch's own inputs, which hold
    the new turn already; kept so both paths read the same messages whatever a batch holds)."""
    for i in range(len(docs) - 1, -1, -1):
        if docs[i][0] == "assistant":
            return docs[i + 1 :]
    return docs
