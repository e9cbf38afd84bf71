"""S9: schemathesis over the live OpenAPI schema (no 5xx, responses conform) and bandit (no medium/high)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.api.conftest import Api, Dataset

ROOT = Path(__file__).resolve().parents[2]


def test_api_conforms_and_never_fails(api: Api, dataset: Dataset) -> None:
    """Every operation, fuzzed with positive and negative data, as the superuser."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ]
    # Negative data must never fail the server, and every answer must still match the spec's shapes. Not
    # checked for it: the status code (an unparseable body answers FastAPI's 400, which the spec does not
    # list) and rejection (a query value mutated from string to integer, "-4672", is still a valid string).
    negative_checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    schema = schemathesis.openapi.from_url(api.url + "/openapi.json")
    headers = {"Authorization": f"Bearer {api.admin}"}
    tested: dict[GenerationMode, list[str]] = {mode: [] for mode in GenerationMode}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing to break: no parameter and no body

            mode_checks = checks if mode.is_positive else negative_checks

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def run(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=mode_checks)  # noqa: B023 - run() is called at once

            run()
            tested[mode].append(operation.label)
    assert len(tested[GenerationMode.POSITIVE]) >= 20
    assert len(tested[GenerationMode.NEGATIVE]) >= 15, tested[GenerationMode.NEGATIVE]


def _has_inputs(operation: Any) -> bool:
    """Whether an operation takes a parameter or a body (negative data needs something to get wrong)."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def test_bandit_reports_no_medium_or_high_issue() -> None:
    pytest.importorskip("bandit")
    proc = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", str(ROOT / "api"), "-ll", "-f", "json", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stdout)
    issues = [(i["test_id"], i["filename"], i["line_number"]) for i in report["results"]]
    assert issues == []
    assert report["metrics"]["_totals"]["loc"] > 1000  # bandit really scanned the package
