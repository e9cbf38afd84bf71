"""Test helper: OTLP/JSON attribute lists → plain Python values, as the receiver decodes them."""

from __future__ import annotations

from typing import Any


def any_value(value: dict[str, Any]) -> object:
    """Convert one OTLP/JSON ``AnyValue``."""
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return {kv["key"]: any_value(kv["value"]) for kv in value["kvlistValue"].get("values", [])}
    return None


def attributes(items: list[dict[str, Any]]) -> dict[str, object]:
    """Convert an OTLP/JSON ``attributes`` list into a dict."""
    return {kv["key"]: any_value(kv.get("value", {})) for kv in items}


def spans(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every span of an ``ExportTraceServiceRequest`` in OTLP/JSON, with attributes decoded."""
    out = []
    for rs in body.get("resourceSpans", []):
        resource = attributes(rs.get("resource", {}).get("attributes", []))
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                out.append({**span, "attributes": attributes(span.get("attributes", [])), "resource": resource})
    return out
