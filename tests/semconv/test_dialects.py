"""The dialect table is consistent: every value it names exists, and a new entry slots in last."""

from __future__ import annotations

import re
from types import MappingProxyType

import pytest

from agentstate.semconv import attributes as A
from agentstate.semconv import dialects as D
from agentstate.semconv.span_record import Dialect, NormalizedSpan, Operation

_OPERATIONS = {op.value for op in Operation}
_HELPER_FIELDS = {"tool_input", "tool_output"}  # generic I/O read as tool I/O on tool spans


def test_operation_vocabulary_is_the_record_enum() -> None:
    assert set(D.OPERATIONS) == _OPERATIONS
    assert Operation.UNKNOWN.value == D.UNKNOWN_OPERATION


@pytest.mark.parametrize(
    ("name", "values"),
    [
        pytest.param("aliases", D.OPERATION_ALIASES.values(), id="aliases"),
        pytest.param("openinference", D.OPENINFERENCE_KINDS.values(), id="openinference-kinds"),
        pytest.param("rules", [v for r in D.OPERATION_RULES for v in r.values.values()], id="rule-values"),
        pytest.param("patterns", [op for r in D.OPERATION_RULES for _, op in r.patterns + r.suffixes], id="patterns"),
        pytest.param("defaults", [r.default for r in D.OPERATION_RULES], id="defaults"),
        pytest.param("refine", [op for r in D.OPERATION_RULES for a, _, b in r.refine for op in (a, b)], id="refine"),
        pytest.param("step-kinds", [k for k in D.STEP_KINDS if k in _OPERATIONS], id="step-kind-keys"),
    ],
)
def test_every_operation_named_exists(name: str, values: list[str]) -> None:
    assert set(values) <= _OPERATIONS, name


def test_dialects_and_fields_exist() -> None:
    assert {e.dialect for e in D.DIALECTS} <= {d.value for d in Dialect}
    assert set(D.FIELD_KEYS) - _HELPER_FIELDS <= set(NormalizedSpan.__dataclass_fields__)
    assert len({e.name for e in D.DIALECTS}) == len(D.DIALECTS)
    for field, keys in D.FIELD_KEYS.items():
        assert len(set(keys)) == len(keys), field


def test_every_model_operation_is_a_step_kind() -> None:
    for op in ("chat", "text_completion", "generate_content", "embeddings", "execute_tool", "invoke_agent",
               "retrieval", "invoke_workflow"):  # fmt: skip
        assert op in D.STEP_KINDS


def test_sdk_kinds_map_as_the_sdk_writes_them() -> None:
    (entry,) = [e for e in D.DIALECTS if e.name == "agentstate"]
    (rule,) = entry.operations
    assert rule.key == A.SPAN_KIND
    assert dict(rule.values) == {k.value: op for k, op in A.OPERATION_BY_KIND.items()}


def test_patterns_compile_and_ranks_are_unique() -> None:
    for rx in (*D.SPAN_NAME_PATTERNS, *(p for r in D.OPERATION_RULES for p, _ in r.patterns)):
        assert re.compile(rx).groups <= 1
    ranks = [r.rank for r in D.OPERATION_RULES]
    assert ranks == sorted(set(ranks))


def test_content_keys_pass_the_content_gate() -> None:
    keys = [*D.INPUT_MESSAGE_LISTS, *D.OUTPUT_MESSAGE_LISTS, D.PROMPT_TEXT_LIST, D.CHOICE_TEXT_LIST,
            D.LEGACY_PROMPT_TEXT, D.LEGACY_COMPLETION_TEXT, D.VERCEL_PROMPT, *D.VERCEL_OUTPUT_TEXT_KEYS,
            D.VERCEL_TOOL_CALLS, *D.DOCUMENT_LISTS, D.DOCUMENTS_JSON, D.SYSTEM_INSTRUCTIONS_KEY,
            *D.FIELD_KEYS["tool_arguments"], *D.FIELD_KEYS["tool_result"], *D.FIELD_KEYS["input_text"],
            *D.FIELD_KEYS["output_text"]]  # fmt: skip
    assert [k for k in keys if not k.startswith(D.CONTENT_PREFIXES)] == []


def test_a_new_dialect_is_one_entry() -> None:
    new = D.DialectEntry(
        name="acme", dialect="unknown", detect_rank=9, detect_keys=("acme.kind",), detect_prefixes=(),
        fields=MappingProxyType({"input_tokens": ("acme.tokens.in", "gen_ai.usage.input_tokens"),
                                 "acme_only": ("acme.x",)}),
    )  # fmt: skip
    merged = D.field_keys((*D.DIALECTS, new))
    assert merged["input_tokens"] == (*D.FIELD_KEYS["input_tokens"], "acme.tokens.in")  # after every existing key
    assert merged["acme_only"] == ("acme.x",)
    untouched = {f: k for f, k in D.FIELD_KEYS.items() if f != "input_tokens"}
    assert {f: k for f, k in merged.items() if f not in ("input_tokens", "acme_only")} == untouched


def test_model_is_the_answering_model_then_the_requested_one() -> None:
    assert D.MODEL_KEYS[: len(D.FIELD_KEYS["response_model"])] == D.FIELD_KEYS["response_model"]
    assert set(D.MODEL_KEYS) == {*D.FIELD_KEYS["response_model"], *D.FIELD_KEYS["request_model"]}
