"""The normalised span record's derived properties."""

from __future__ import annotations

import pytest

from agentstate.semconv.span_record import NormalizedSpan, Operation, SpanCategory, category_of


@pytest.mark.parametrize(
    ("span", "model", "calls_model", "has_usage"),
    [
        pytest.param(NormalizedSpan(), None, False, False, id="empty"),
        pytest.param(NormalizedSpan(operation=Operation.CHAT, request_model="a", response_model="b", output_tokens=1),
                     "b", True, True, id="response-model-wins"),
        pytest.param(NormalizedSpan(operation=Operation.EMBEDDINGS, request_model="e", input_tokens=3), "e", True,
                     True, id="embeddings-billed"),
        pytest.param(NormalizedSpan(operation=Operation.INVOKE_AGENT, request_model="a", input_tokens=3), "a", False,
                     True, id="agent-not-billed"),
    ],
)  # fmt: skip
def test_derived(span: NormalizedSpan, model: str | None, calls_model: bool, has_usage: bool) -> None:
    assert (span.model, span.calls_model, span.has_usage) == (model, calls_model, has_usage)


def test_every_operation_has_a_category() -> None:
    assert category_of(Operation.RERANK) is SpanCategory.RETRIEVAL
    assert {category_of(op) for op in Operation} == set(SpanCategory)
