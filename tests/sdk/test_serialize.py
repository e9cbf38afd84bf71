"""Captured values: JSON-safe, bounded, and never an exception whatever the input."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import time
from typing import Any

import pytest

from agentstate._internal.serialize import TRUNCATED_MARK, args_to_json, to_json


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class LoudStr(str):
    def __str__(self) -> str:
        raise RuntimeError("str exploded")


class LoudInt(int):
    def __int__(self) -> int:
        raise RuntimeError("int exploded")


@dataclasses.dataclass
class Point:
    x: int
    y: int


class FakeModel:
    """Duck-typed pydantic v2 model."""

    def model_dump(self) -> dict[str, Any]:
        return {"name": "m", "size": 2}


class Opaque:
    def __repr__(self) -> str:
        return "Opaque()"


cyclic_list: list[Any] = [1]
cyclic_list.append(cyclic_list)
cyclic_dict: dict[str, Any] = {"a": 1}
cyclic_dict["self"] = cyclic_dict


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "null", id="none"),
        pytest.param(True, "true", id="bool"),
        pytest.param(42, "42", id="int"),
        pytest.param(1.5, "1.5", id="float"),
        pytest.param(float("nan"), '"nan"', id="nan"),
        pytest.param(float("-inf"), '"-inf"', id="inf"),
        pytest.param(10**400, '"<int of 1329 bits>"', id="huge-int"),
        pytest.param("héllo", '"héllo"', id="unicode-string"),
        pytest.param(b"\x00\x01", '"<2 bytes>"', id="bytes"),
        pytest.param([1, "a", None], '[1,"a",null]', id="list"),
        pytest.param((1, 2), "[1,2]", id="tuple"),
        pytest.param({"k": {"n": [1]}}, '{"k":{"n":[1]}}', id="nested-dict"),
        pytest.param({1: "a", None: "b"}, '{"1":"a","None":"b"}', id="non-string-keys"),
        pytest.param(cyclic_list, '[1,"<cycle>"]', id="cyclic-list"),
        pytest.param(cyclic_dict, '{"a":1,"self":"<cycle>"}', id="cyclic-dict"),
        pytest.param(BadRepr(), '"<BadRepr object>"', id="repr-raises"),
        pytest.param(LoudStr("quiet"), '"quiet"', id="str-subclass-str-raises"),
        pytest.param(LoudInt(7), "7", id="int-subclass-int-raises"),
        pytest.param(Colour.RED, '"red"', id="enum"),
        pytest.param(Level.HIGH, "3", id="int-enum"),
        pytest.param(Point(1, 2), '{"x":1,"y":2}', id="dataclass"),
        pytest.param(FakeModel(), '{"name":"m","size":2}', id="pydantic-like"),
        pytest.param(datetime.date(2026, 1, 2), '"2026-01-02"', id="date"),
        pytest.param(Opaque(), '"Opaque()"', id="repr-fallback"),
        pytest.param(frozenset({1}), "[1]", id="frozenset"),
    ],
)
def test_values_become_json(value: Any, expected: str) -> None:
    assert to_json(value, 1000) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("x" * 50_000_000, id="50MB-string"),
        pytest.param(["y" * 1000] * 100_000, id="100k-items"),
        pytest.param({f"k{i}": list(range(1000)) for i in range(1000)}, id="wide-dict"),
        pytest.param(b"z" * 50_000_000, id="50MB-bytes"),
    ],
)
def test_huge_values_are_bounded_in_size_and_time(value: Any) -> None:
    started = time.perf_counter()
    text = to_json(value, 4096)
    elapsed = time.perf_counter() - started
    assert len(text) <= 4096 + len(TRUNCATED_MARK)
    assert elapsed < 0.05  # bounded work takes µs; one full pass over 50 MB takes ~150 ms


def test_deep_nesting_is_cut() -> None:
    deep: Any = "bottom"
    for _ in range(5000):
        deep = [deep]
    text = to_json(deep, 10_000)
    assert json.loads(text) == [[[[[[[["<list>"]]]]]]]]


def test_truncated_output_is_marked() -> None:
    assert to_json(["a" * 100, "b" * 100], 50).endswith(TRUNCATED_MARK)


@pytest.mark.parametrize(
    ("names", "varargs", "args", "kwargs", "expected"),
    [
        pytest.param(("a", "b"), None, (1, 2), {}, '{"a":1,"b":2}', id="positional"),
        pytest.param(("a",), None, (1,), {"b": "x"}, '{"a":1,"b":"x"}', id="keyword"),
        pytest.param(("a",), "rest", (1, 2, 3), {}, '{"a":1,"rest":[2,3]}', id="varargs"),
        pytest.param((), None, (1,), {}, '{"args":[1]}', id="unknown-signature"),
        pytest.param(("a",), None, ([1, {"k": None}],), {}, '{"a":[1,{"k":null}]}', id="structured"),
    ],
)
def test_arguments_are_keyed_by_parameter(
    names: tuple[str, ...], varargs: str | None, args: tuple[Any, ...], kwargs: dict[str, Any], expected: str
) -> None:
    assert args_to_json(names, varargs, args, kwargs, 1000) == expected
