"""``agentstate up`` options: how many span-processor replicas run, and bad values refused at once."""

from __future__ import annotations

from pathlib import Path

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


ALL_SECRETS = {
    "AGENTSTATE_SECRET_KEY": "s" * 48,
    "AGENTSTATE_ADMIN_PASSWORD": "pw",
    "AGENTSTATE_BOOTSTRAP_API_KEY": "as_k",
    "AGENTSTATE_REDIS_URL": "redis://:pw@127.0.0.1:1/0",
    "AGENTSTATE_CLICKHOUSE_URL": "http://u:p@ch:8123",
    "AGENTSTATE_DATABASE_URL": "postgresql://u:p@db/x",
    "AGENTSTATE_STATS_TOKEN": "t",
    "AGENTSTATE_NEW_USER_PASSWORD": "np",
}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param("ui", set(), id="ui-gets-no-secret"),
        pytest.param("security", {"AGENTSTATE_REDIS_URL"}, id="security-only-redis"),
        pytest.param("cost", {"AGENTSTATE_REDIS_URL"}, id="cost-only-redis"),
        pytest.param(
            "receiver",
            {"AGENTSTATE_SECRET_KEY", "AGENTSTATE_REDIS_URL", "AGENTSTATE_STATS_TOKEN"},
            id="receiver-pepper-redis-stats",
        ),
        pytest.param(
            "writer",
            {
                "AGENTSTATE_SECRET_KEY",
                "AGENTSTATE_REDIS_URL",
                "AGENTSTATE_CLICKHOUSE_URL",
                "AGENTSTATE_DATABASE_URL",
                "AGENTSTATE_ADMIN_PASSWORD",
                "AGENTSTATE_BOOTSTRAP_API_KEY",
            },
            id="writer-and-api",
        ),
        pytest.param("something-new", set(), id="unknown-kind-gets-none"),
    ],
)
def test_each_child_gets_only_the_secrets_it_needs(kind: str, expected: set[str]) -> None:
    from agentstate.cli.up import child_env

    env = {**ALL_SECRETS, "PATH": "/bin", "AGENTSTATE_API_URL": "http://127.0.0.1:8000"}
    got = child_env(kind, env)
    assert set(got) & set(ALL_SECRETS) == expected
    assert got["PATH"] == "/bin" and got["AGENTSTATE_API_URL"] == "http://127.0.0.1:8000"  # the rest passes


def test_data_dir_is_made_private(tmp_path: Path) -> None:
    import os
    import stat

    from agentstate.cli.up import private_data_dir

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "agentstate.db").write_text("")
    (data / "agentstate.db").chmod(0o644)
    old = os.umask(0o022)
    try:
        private_data_dir(data)
        (data / "created-later").write_text("")
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "agentstate.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "created-later").stat().st_mode) == 0o600
