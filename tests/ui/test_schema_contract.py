"""The UI's restated response shapes (``ui/schema.py``) match the API's response models field for field.

The UI talks to the API over HTTP and imports no server code (``tests/test_layout.py``), so it cannot
derive its ``TypedDict``s from the API's models; this test is what keeps the two from drifting: a field
added, dropped, renamed or retyped on either side fails here. Compared as JSON sees them: a
``datetime`` is a string, a ``Literal`` of strings is a string, and ``Any`` on the UI side (a value it
only passes on) or ``dict[str, Any]`` (an object it reads loosely) accepts what the API sends.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest
from pydantic import BaseModel

from agentstate.api import account_models as models
from agentstate.api import routes_budgets, trace_models
from agentstate.ui import schema

PAIRS: dict[type, type[BaseModel]] = {
    schema.Project: models.ProjectOut,
    schema.Budget: routes_budgets.BudgetOut,
    schema.ApiKey: models.KeyOut,
    schema.NewApiKey: models.KeyCreated,
    schema.TraceSummary: trace_models.TraceSummary,
    schema.TracePage: trace_models.TracePage,
    schema.GenAi: trace_models.GenAi,
    schema.SpanEvent: trace_models.SpanEvent,
    schema.Span: trace_models.SpanOut,
    schema.TraceDetail: trace_models.TraceDetail,
    schema.Change: trace_models.Change,
    schema.Step: trace_models.Step,
    schema.Steps: trace_models.StepsOut,
    schema.SessionSummary: trace_models.SessionSummary,
    schema.SessionPage: trace_models.SessionPage,
    schema.SessionDetail: trace_models.SessionDetail,
    schema.CostSeries: trace_models.CostSeries,
    schema.UsageSeries: trace_models.UsageSeries,
    schema.Alert: trace_models.AlertOut,
    schema.AlertPage: trace_models.AlertPage,
}
"""Each UI shape and the API model it restates."""


def _json(t: Any) -> Any:
    """The JSON shape of a type: "string", ("list", item), ("object", class) ... (``None`` for null)."""
    origin, args = get_origin(t), get_args(t)
    if t is Any:
        return "any"
    if t is type(None):
        return None
    if origin in (Union, types.UnionType):
        return frozenset(_json(a) for a in args)
    if origin is Literal and all(isinstance(a, str) for a in args):
        return "string"
    if origin is list:
        return ("list", _json(args[0]))
    if origin is dict:
        return ("dict", _json(args[1]))
    if isinstance(t, type) and issubclass(t, enum.Enum) and all(isinstance(m.value, str) for m in t):
        return "string"
    if isinstance(t, type) and (is_typeddict(t) or issubclass(t, BaseModel)):
        return ("object", t)
    scalars = {str: "string", datetime: "string", int: "integer", float: "number", bool: "boolean"}
    assert t in scalars, f"no JSON shape for {t!r}"
    return scalars[t]


def _fields(t: type) -> dict[str, Any]:
    if is_typeddict(t):
        return get_type_hints(t)
    assert issubclass(t, BaseModel)
    return {name: f.annotation for name, f in t.model_fields.items()}


def mismatches(ui: Any, api: Any, where: str) -> list[str]:
    """Where the UI's shape ``ui`` does not accept what the API's shape ``api`` sends."""
    if ui == "any" or ui == api:
        return []
    if isinstance(ui, frozenset) and isinstance(api, frozenset) and len(ui) == len(api):
        u, a = sorted(ui - {None}, key=repr), sorted(api - {None}, key=repr)
        if (None in ui) == (None in api) and len(u) == len(a):
            return [m for x, y in zip(u, a, strict=True) for m in mismatches(x, y, where)]
    if isinstance(ui, tuple) and isinstance(api, tuple):
        if ui[0] == "dict" and ui[1] == "any" and api[0] == "object":
            return []  # an object the UI reads loosely
        if ui[0] == api[0] == "object":
            return _compare(ui[1], api[1], where)
        if ui[0] == api[0]:
            return mismatches(ui[1], api[1], f"{where}[]")
    return [f"{where}: UI {ui!r} vs API {api!r}"]


def _compare(ui: type, api: type, where: str) -> list[str]:
    if PAIRS.get(ui, api) is not api:
        return [f"{where}: UI {ui.__name__} restates {PAIRS[ui].__name__}, not {api.__name__}"]
    u, a = _fields(ui), _fields(api)
    out = [f"{where}.{n}: only in the {side}" for n, side in [*((n, "UI") for n in u if n not in a),
                                                             *((n, "API") for n in a if n not in u)]]  # fmt: skip
    for name in u.keys() & a.keys():
        out += mismatches(_json(u[name]), _json(a[name]), f"{where}.{name}")
    return out


@pytest.mark.parametrize(("ui", "api"), [pytest.param(u, a, id=u.__name__) for u, a in PAIRS.items()])
def test_ui_shape_matches_the_api_model(ui: type, api: type[BaseModel]) -> None:
    assert _compare(ui, api, ui.__name__) == []


def test_every_ui_shape_is_paired() -> None:
    shapes = {v for v in vars(schema).values() if isinstance(v, type) and is_typeddict(v)}
    assert shapes == set(PAIRS)


def test_a_drifted_field_is_caught() -> None:
    class Drifted(typing.TypedDict):
        alert_id: int  # retyped
        acknowledged: str  # renamed from acknowledged_at

    assert sorted(_compare(Drifted, trace_models.AckOut, "Drifted")) == [
        "Drifted.acknowledged: only in the UI",
        "Drifted.acknowledged_at: only in the API",
        "Drifted.alert_id: UI 'integer' vs API 'string'",
    ]
