"""``agentstate up`` options: how many span-processor replicas run, and bad values refused at once."""

from __future__ import annotations

import pytest

from agentstate.cli import build_parser
from agentstate.cli.up import worker_counts


@pytest.mark.parametrize(
    ("security", "cost", "expected"),
    [
        pytest.param(None, None, {"security": 1, "cost": 1}, id="one-each-by-default"),
        pytest.param(3, 2, {"security": 3, "cost": 2}, id="as-asked"),
    ],
)
def test_worker_counts(security: int | None, cost: int | None, expected: dict[str, int]) -> None:
    assert worker_counts(security, cost) == expected


def test_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["up", "--security-workers", "3"])
    assert (args.security_workers, args.cost_workers) == (3, None)
    monkeypatch.setenv("AGENTSTATE_COST_WORKERS", "2")
    assert build_parser().parse_args(["up"]).cost_workers == 2


@pytest.mark.parametrize("value", ["0", "-1", "33", "many"])
def test_bad_worker_count_is_refused_with_a_message(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["up", "--security-workers", value])
    assert exc.value.code == 2
    assert "is not a worker count (an integer from 1 to 32)" in capsys.readouterr().err
