"""Attribute values are rendered as the collector's pdata ``Value.AsString()`` does."""

from __future__ import annotations

import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList

from agentstate.processors.otlp_rows import traces_to_arrow, value_str


def _kvlist() -> AnyValue:
    inner = KeyValueList(
        values=[KeyValue(key="a", value=AnyValue(int_value=1)), KeyValue(key="b", value=AnyValue(string_value="x"))]
    )
    return AnyValue(kvlist_value=inner)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(AnyValue(string_value="héllo"), "héllo", id="string"),
        pytest.param(AnyValue(), "", id="empty"),
        pytest.param(AnyValue(bool_value=True), "true", id="bool-true"),
        pytest.param(AnyValue(bool_value=False), "false", id="bool-false"),
        pytest.param(AnyValue(int_value=-42), "-42", id="int"),
        pytest.param(AnyValue(double_value=2.0), "2", id="integral-double"),
        pytest.param(AnyValue(double_value=0.25), "0.25", id="double"),
        pytest.param(AnyValue(bytes_value=b"\x00\xff"), "AP8=", id="bytes-base64"),
        pytest.param(
            AnyValue(array_value=ArrayValue(values=[AnyValue(string_value="stop"), AnyValue(int_value=3)])),
            '["stop",3]',
            id="array-json",
        ),
        pytest.param(_kvlist(), '{"a":1,"b":"x"}', id="kvlist-json"),
    ],
)
def test_value_str(value: AnyValue, expected: str) -> None:
    assert value_str(value) == expected


def test_long_values_are_truncated_and_marked() -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 8, "big"
    kv = span.attributes.add()
    kv.key, kv.value.string_value = "gen_ai.input.messages", "x" * 1000
    table = traces_to_arrow([("p", req.SerializeToString())], max_value_len=100)
    value = dict(table.column("SpanAttributes")[0].as_py())["gen_ai.input.messages"]
    assert value.startswith("x" * 100) and value.endswith("[TRUNCATED]") and len(value) < 120
    assert table.column("ParentSpanId")[0].as_py() == ""
    assert table.column("SpanKind")[0].as_py() == "Unspecified"
