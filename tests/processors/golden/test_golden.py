"""Golden: the table-generated normalisers change no meaning.

1. The in-process normaliser gives, for every span of every shared OTLP file and every hand-written
   dialect span, exactly what the normaliser before the dialect table gave (``normalized.json``).
2. Spans added since (``added_spans.json``: new dialects, new rules) normalise as they state.
3. The ClickHouse DEFAULT columns, computed by chDB for all those spans inserted through the writer's
   conversion, equal the in-process normaliser's scalar fields span by span.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from typing import Any

import pyarrow as pa
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agentstate.processors import normalize_messages as msgs
from agentstate.processors import span_batch
from agentstate.processors.attr_values import flattened_roots
from agentstate.processors.clickhouse import migrate
from agentstate.processors.normalize import normalize
from agentstate.processors.otlp_rows import traces_to_arrow
from agentstate.processors.span_view import iter_spans
from agentstate.processors.writer import CONVERT_ENTRIES, normalised_batches
from agentstate.semconv.span_record import NormalizedSpan, new_turn
from tests.conftest import SHARED_DATA, Platform
from tests.processors.golden import otlp_build
from tests.processors.golden.spans import GOLDEN, added_cases, all_cases, handwritten_cases, shared_cases, to_json

_COLUMNS = (
    "GenAiOperation", "GenAiProvider", "GenAiRequestModel", "GenAiResponseModel", "InputTokens", "OutputTokens",
    "CacheReadTokens", "CacheWriteTokens", "ReasoningTokens", "SessionId", "UserId", "AgentName", "ToolName",
)  # fmt: skip


def _scalars(n: NormalizedSpan) -> tuple[Any, ...]:
    """The normaliser's scalar fields as ClickHouse stores them (absent: ``''`` or 0)."""
    op = "" if n.operation.value == "unknown" else n.operation.value
    return (op, n.provider or "", n.request_model or "", n.model or "", n.input_tokens or 0, n.output_tokens or 0,
            n.cache_read_tokens or 0, n.cache_write_tokens or 0, n.reasoning_tokens or 0, n.session_id or "",
            n.user_id or "", n.agent_name or "", n.tool_name or "")  # fmt: skip


@pytest.mark.parametrize(
    "source",
    [pytest.param("shared", id="shared-otlp"), pytest.param("handwritten", id="handwritten-dialects")],
)
def test_normaliser_matches_golden(source: str) -> None:
    golden = json.loads(GOLDEN.read_text())
    cases = list(shared_cases() if source == "shared" else handwritten_cases())
    if not cases:
        pytest.skip(f"shared test data not present: {SHARED_DATA / 'otlp'}")
    if source == "shared":  # every span captured is still found: no file lost or re-read differently
        assert {c for c, _, _ in cases} == {c for c in golden if not c.startswith("dialect_spans.json:")}
    for case_id, name, attributes in cases:
        expected = golden[case_id]
        got = to_json(normalize(attributes, name))
        assert {k: got.get(k) for k in expected} == expected, case_id


@pytest.mark.parametrize(
    ("name", "attributes", "expected"),
    [pytest.param(name, attributes, expected, id=case_id) for case_id, name, attributes, expected in added_cases()],
)
def test_added_spans(name: str, attributes: dict[str, Any], expected: dict[str, Any]) -> None:
    got = to_json(normalize(attributes, name))
    assert {k: got[k] for k in expected} == expected


_ONE_SOURCE: list[tuple[str, str, dict[str, Any]]] = [
    (f"one-source:{key}", "span", {key: value})
    for key, value in (
        ("gen_ai.system_instructions", "be brief"),
        ("gen_ai.input.messages", '[{"role": "user", "content": "hi"}]'),
        ("llm.input_messages.0.message.content", "hi"),
        ("gen_ai.prompt.0.content", "hi"),
        ("gen_ai.prompt", "hi"),
        ("llm.prompts.0.prompt.text", "hi"),
        ("ai.prompt", '{"prompt": "hi"}'),
        ("gen_ai.output.messages", '[{"role": "assistant", "content": "yes"}]'),
        ("llm.output_messages.0.message.content", "yes"),
        ("gen_ai.completion.0.content", "yes"),
        ("gen_ai.completion", "yes"),
        ("llm.choices.0.completion.text", "yes"),
        ("ai.response.text", "yes"),
        ("ai.response.object", '{"a": 1}'),
        ("ai.response.toolCalls", '[{"toolName": "search", "args": "{}"}]'),
        ("retrieval.documents.0.document.content", "a document"),
        ("reranker.output_documents.0.document.content", "a document"),
        ("gen_ai.retrieval.documents", '[{"content": "a document"}]'),
    )
]
"""One span per place a message or document is read from, that key alone (``normalize_messages``)."""


def test_every_message_source_alone_is_read() -> None:
    found = 0
    for case_id, _, attributes in _ONE_SOURCE:
        roots = flattened_roots(attributes)
        readers = (msgs.input_messages, msgs.output_messages, msgs.documents)
        for present, read in zip(msgs.sources(attributes.keys(), roots), readers, strict=True):
            if read(attributes, roots):
                found += 1
                assert present, (case_id, read.__name__)
    assert found >= len(_ONE_SOURCE)  # each key feeds at least one reader


def test_readers_the_plan_skips_find_nothing() -> None:
    """The normaliser skips the message and document readers a key shape cannot feed
    (``normalize_messages.sources``): on every span, a reader so skipped finds nothing."""
    cases = [*all_cases(), *_ONE_SOURCE]
    skipped = 0
    for case_id, _, attributes in cases:
        roots = flattened_roots(attributes)
        readers = (msgs.input_messages, msgs.output_messages, msgs.documents)
        for present, read in zip(msgs.sources(attributes.keys(), roots), readers, strict=True):
            if not present:
                skipped += 1
                assert read(attributes, roots) == (), (case_id, read.__name__)
    assert skipped  # the shapes without messages or documents were exercised


def test_clickhouse_defaults_match_normaliser(platform: Platform) -> None:
    cases = all_cases()  # without the shared data, the hand-written spans alone
    database = f"golden_{uuid.uuid4().hex[:8]}"
    client = platform.client
    migrate(client, database)
    stale = {"GenAiOperation": "'stale'", "GenAiProvider": "'stale'", "InputTokens": "7"}  # a pre-table table
    for column, default in stale.items():
        client.command(f"ALTER TABLE {database}.otel_traces MODIFY COLUMN {column} DEFAULT {default}")
    migrate(client, database)  # re-applies the generated DEFAULTs to the existing table
    try:
        body = otlp_build.request(cases, time.time_ns())
        client.insert_arrow(f"{database}.otel_traces", traces_to_arrow([("golden", body)]))
        rows = client.query(f"SELECT SpanId, {', '.join(_COLUMNS)} FROM {database}.otel_traces").result_rows
        stored = {row[0]: tuple(row[1:]) for row in rows}
        assert len(stored) == len(cases)
        mismatches = {}
        for record, (case_id, _, _) in zip(iter_spans("golden", body), cases, strict=True):
            expected = _scalars(normalize(record.attributes, record.name))
            got = stored[record.span_id]
            if got != expected:
                mismatches[case_id] = {c: (e, g) for c, e, g in zip(_COLUMNS, expected, got, strict=True) if e != g}
        assert mismatches == {}
        assert any(row[1] for row in rows) and any(row[5] for row in rows)  # not trivially all empty
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")


def test_one_pass_batch_equals_the_normaliser_on_decoded_attributes() -> None:
    """The writer's one decode (values rendered as stored) → Arrow batch → IPC → the workers' items
    equals ``normalize`` over the fully typed attributes, field for field, for every golden span
    (``input_messages``: the new turn, all the batch carries of a model's input)."""
    cases = all_cases()
    body = otlp_build.request(cases, time.time_ns())
    table, payloads = normalised_batches([("golden", body)], 262_144, None)
    assert table.num_rows == len(cases) and len(payloads) == 1
    items = span_batch.items(span_batch.from_ipc(payloads))
    mismatches, trimmed = {}, 0
    for (ref, span, duration), record, (case_id, _, _) in zip(items, iter_spans("golden", body), cases, strict=True):
        assert (ref.trace_id, ref.span_id, ref.project_id, duration) == (
            record.trace_id, record.span_id, "golden", record.duration_ns)  # fmt: skip
        whole = normalize(record.attributes, record.name)
        expected = dataclasses.replace(whole, input_messages=new_turn(whole.input_messages))
        trimmed += expected != whole
        if span != expected:
            mismatches[case_id] = {k: (v, to_json(span).get(k)) for k, v in to_json(expected).items()
                                   if to_json(span).get(k) != v}  # fmt: skip
    assert mismatches == {}
    assert any(s.input_messages for _, s, _ in items) and any(s.input_tokens for _, s, _ in items)
    assert trimmed  # conversations with an earlier answer were exercised


def test_a_batch_is_converted_a_few_entries_at_a_time_with_the_same_result() -> None:
    """Past ``CONVERT_ENTRIES`` the writer converts in slices and joins the tables: same rows, one
    payload per entry, whatever each slice holds (golden spans, or a lone span without GenAI fields)."""
    cases = all_cases()
    bodies = [otlp_build.request(cases[i::3], time.time_ns()) for i in range(3)]
    bodies += [otlp_build.request(cases[:1], time.time_ns())] * (CONVERT_ENTRIES + 1)
    pairs = [(f"p{i}", body) for i, body in enumerate(bodies)]
    table, payloads = normalised_batches(pairs, 262_144, None)
    one_by_one = [normalised_batches([pair], 262_144, None) for pair in pairs]
    assert len(pairs) > CONVERT_ENTRIES and len(payloads) == len(pairs)
    assert table.equals(pa.concat_tables([t for t, _ in one_by_one]))
    alone = [p for _, ps in one_by_one for p in ps]
    assert all(span_batch.from_ipc([a]).equals(span_batch.from_ipc([b])) for a, b in zip(payloads, alone, strict=True))


def test_model_calls_filter_keeps_exactly_the_billable_spans() -> None:
    cases = all_cases()
    _, payloads = normalised_batches([("golden", otlp_build.request(cases, time.time_ns()))], 262_144, None)
    table = span_batch.from_ipc(payloads)
    billable = {s.span_id for s, n, _ in span_batch.items(table) if n.calls_model}
    assert billable and {s.span_id for s, _, _ in span_batch.items(span_batch.model_calls(table))} == billable


def test_writer_supplied_columns_equal_the_clickhouse_defaults(platform: Platform) -> None:
    """The writer inserts the normalised columns itself; they equal what the DEFAULTs compute."""
    cases = all_cases()
    database = f"golden_{uuid.uuid4().hex[:8]}"
    client = platform.client
    migrate(client, database)
    try:
        body = otlp_build.request(cases, time.time_ns())
        client.insert_arrow(f"{database}.otel_traces", traces_to_arrow([("defaults", body)]))
        supplied, _ = normalised_batches([("supplied", body)], 262_144, None)
        assert set(_COLUMNS) <= set(supplied.column_names)
        client.insert_arrow(f"{database}.otel_traces", supplied)
        query = f"SELECT ProjectId, SpanId, {', '.join(_COLUMNS)} FROM {database}.otel_traces"
        by_project: dict[str, dict[str, tuple[Any, ...]]] = {}
        for row in client.query(query).result_rows:
            by_project.setdefault(row[0], {})[row[1]] = tuple(row[2:])
        assert len(by_project["supplied"]) == len(cases)
        assert by_project["supplied"] == by_project["defaults"]
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")


def test_a_token_count_past_int64_leaves_the_span_stored_with_tokens_unknown() -> None:
    """Hostile usage attributes must not fail the whole request's conversion (and dead-letter it)."""
    cases = all_cases()
    body = otlp_build.request(cases[:1], time.time_ns())
    req = ExportTraceServiceRequest.FromString(body)
    span = req.resource_spans[0].scope_spans[0].spans[0]
    for key, value in (
        ("gen_ai.usage.input_tokens", "99999999999999999999"),
        ("gen_ai.usage.output_tokens", "7"),
        ("gen_ai.usage.cache_read_input_tokens", "²"),  # a digit to isdigit(), not to int()
    ):
        kv = span.attributes.add()
        kv.key, kv.value.string_value = key, value
    table, payloads = normalised_batches([("p", req.SerializeToString())], 262_144, None)
    ((_, stored, _),) = span_batch.items(span_batch.from_ipc(payloads))
    assert table.num_rows == 1 and stored.input_tokens is None and stored.output_tokens == 7
    assert stored.cache_read_tokens is None
