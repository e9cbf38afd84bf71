"""Attribute value coercion and un-flattening."""

from __future__ import annotations

import pytest

from agentstate.processors.attr_values import as_float, as_int, as_json, as_str, as_str_list, first, unflatten


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(12, 12, id="int"), pytest.param("34", 34, id="digits"), pytest.param(" 5 ", 5, id="spaces"),
        pytest.param(7.9, 7, id="float"), pytest.param("1e3", 1000, id="float-string"),
        pytest.param(-1, None, id="negative"), pytest.param(True, None, id="bool"), pytest.param("x", None, id="text"),
        pytest.param(float("nan"), None, id="nan"), pytest.param(None, None, id="none"),
        pytest.param(2**63 - 1, 2**63 - 1, id="int64-max"), pytest.param(2**63, None, id="past-int64"),
        pytest.param("99999999999999999999", None, id="digits-past-int64"), pytest.param(1e30, None, id="huge-float"),
        pytest.param(float("inf"), None, id="inf"), pytest.param("²", None, id="superscript-digit"),
        pytest.param(" ³ ", None, id="superscript-spaces"), pytest.param("٣", 3, id="arabic-indic-digit"),
        pytest.param("9" * 5000, None, id="past-int-str-digits-limit"), pytest.param("0" * 30 + "42", 42, id="zeros"),
        pytest.param(" " + "9" * 5000, None, id="past-limit-spaces"), pytest.param("9" * 19, None, id="19-nines"),
    ],
)  # fmt: skip
def test_as_int(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        pytest.param(as_str, {"a": 1}, '{"a":1}', id="str-json"),
        pytest.param(as_str, False, "false", id="str-bool"),
        pytest.param(as_float, "0.25", 0.25, id="float-string"),
        pytest.param(as_float, "inf", None, id="float-inf"),
        pytest.param(as_json, "[1, 2]", [1, 2], id="json-array"),
        pytest.param(as_json, "plain text", None, id="json-not-json"),
        pytest.param(as_json, "{broken", None, id="json-broken"),
        pytest.param(as_str_list, '["stop", "length"]', ("stop", "length"), id="list-json"),
        pytest.param(as_str_list, "stop", ("stop",), id="list-single"),
        pytest.param(as_str_list, ["a", ""], ("a",), id="list-drops-empty"),
    ],
)
def test_coercions(fn: object, value: object, expected: object) -> None:
    assert callable(fn)
    assert fn(value) == expected


def test_unflatten_orders_indexes_numerically() -> None:
    attrs = {"p.10.message.role": "c", "p.2.message.role": "b", "p.0.message.role": "a",
             "p.2.message.tool_calls.0.tool_call.id": "x", "other": 1}  # fmt: skip
    assert unflatten(attrs, "p.") == [
        {"message": {"role": "a"}},
        {"message": {"role": "b", "tool_calls": [{"tool_call": {"id": "x"}}]}},
        {"message": {"role": "c"}},
    ]


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        pytest.param({"p": '[{"role": "user"}]'}, [{"role": "user"}], id="json-string"),
        pytest.param({"p": [{"role": "user"}]}, [{"role": "user"}], id="structured"),
        pytest.param({"p.name": "x"}, [], id="not-a-list"),
        pytest.param({}, [], id="absent"),
    ],
)
def test_unflatten_whole_values(attrs: dict[str, object], expected: list[object]) -> None:
    assert unflatten(attrs, "p.") == expected


def test_first_skips_empty_values() -> None:
    assert first({"a": "", "b": [], "c": 0}, ("a", "b", "c")) == 0


def test_unflatten_treats_a_non_decimal_digit_as_a_key_not_an_index() -> None:
    """``"²"`` is a digit to ``str.isdigit`` but not to ``int``: a hostile key must not raise."""
    attrs = {"p.0.message.role": "user", "p.².message.role": "system"}
    assert unflatten(attrs, "p.") == []  # not a list: nothing to read (it raised ValueError before)
    assert unflatten({"p.0.x": "a", "p.٣.x": "b"}, "p.") == [{"x": "a"}, {"x": "b"}]  # Arabic-Indic 3
