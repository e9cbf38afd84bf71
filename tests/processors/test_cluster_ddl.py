"""Cluster mode DDL: replicated local tables behind distributed ones, generated from the single-node schema.

There is no Keeper or second server here, so the statements are checked to parse with ClickHouse's own
parser (``formatQuery`` in chDB) and to name the right engines, sharding keys and view sources; the
single-node DDL keeps running in chDB in every other test.
"""

from __future__ import annotations

import re

import pytest

from agentstate.processors import output_tables, summary_schema
from agentstate.processors.clickhouse_schema import ddl
from agentstate.processors.cluster_ddl import ClusterDDLError, clusterize
from tests.conftest import Platform

DB = "agentstate"


def _single_node() -> list[str]:
    return ddl(DB) + output_tables.ddl(DB, 0) + summary_schema.ddl(DB)


@pytest.fixture(scope="module")
def statements() -> list[str]:
    return clusterize(_single_node(), "c2x2")


def test_every_statement_parses_and_runs_on_the_cluster(platform: Platform, statements: list[str]) -> None:
    for statement in statements:
        formatted = platform.query("SELECT formatQuery({q:String})", {"q": statement})[0][0]
        assert "ON CLUSTER c2x2" in formatted, formatted[:120]


_ENGINE = re.compile(r"CREATE TABLE IF NOT EXISTS `agentstate`\.(\w+) .*?ENGINE = (\w+\((?:[^()]|\([^()]*\))*\))", re.S)


def _engines(statements: list[str]) -> dict[str, str]:
    out = {}
    for s in statements:
        if m := _ENGINE.match(s):
            out[m[1]] = m[2]
    return out


def test_each_table_is_replicated_locally_and_distributed_by_trace(statements: list[str]) -> None:
    engines = _engines(statements)
    tables = [
        re.match(r"CREATE TABLE IF NOT EXISTS `agentstate`\.(\w+)", s)[1]  # type: ignore[index]
        for s in _single_node()
        if s.startswith("CREATE TABLE")
    ]
    assert {"otel_traces", "otel_logs", "cost_metrics", "security_alerts", "trace_summary"} <= set(tables)
    for name in tables:
        local = engines[name + "_local"]
        assert local.startswith("Replicated") and "MergeTree(" in local, local
        assert f"'/clickhouse/tables/{{shard}}/{{database}}/{name}_local', '{{replica}}'" in local
        dist = engines[name]
        assert dist.startswith(f"Distributed('c2x2', 'agentstate', '{name}_local', "), dist
    for name in ("otel_traces", "trace_summary", "trace_roots", "trace_facets", "cost_metrics", "security_alerts"):
        assert engines[name].endswith("cityHash64(TraceId))"), (name, engines[name])
    assert engines["otel_traces_local"] == (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/otel_traces_local', '{replica}')"
    )
    assert engines["cost_metrics_local"].endswith("'{replica}', Version)")  # the version column is kept


def test_views_read_and_write_the_local_tables(statements: list[str]) -> None:
    views = [s for s in statements if s.startswith("CREATE MATERIALIZED VIEW")]
    assert len(views) == 4
    for view in views:
        assert re.search(r"TO `agentstate`\.\w+_local AS", view), view[:160]
        assert "`agentstate`.otel_traces_local" in view and "`agentstate`.otel_traces " not in view
    alters = [s for s in statements if s.startswith("ALTER")]
    assert alters and all(re.match(r"ALTER TABLE `agentstate`\.\w+_local ON CLUSTER `c2x2` ", s) for s in alters)
    altered = {s.split(" ")[2] for s in alters}
    assert altered == {f"`agentstate`.{t}_local" for t in ("otel_traces", *summary_schema.TABLES)}


@pytest.mark.parametrize("cluster", ["", "a-b", "x; DROP TABLE t", "1abc"])
def test_bad_cluster_names_are_refused(cluster: str) -> None:
    with pytest.raises(ClusterDDLError):
        clusterize(_single_node(), cluster)


def test_unknown_statement_is_refused_not_passed_through() -> None:
    with pytest.raises(ClusterDDLError, match="no cluster form"):
        clusterize(["OPTIMIZE TABLE agentstate.otel_traces FINAL"], "c")


def test_worker_settings_take_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from agentstate.processors.settings import WorkerSettings

    monkeypatch.setenv("AGENTSTATE_CLICKHOUSE_CLUSTER", "prod_2x2")
    assert WorkerSettings().clickhouse_cluster == "prod_2x2"
    monkeypatch.setenv("AGENTSTATE_CLICKHOUSE_CLUSTER", "prod 2x2")
    with pytest.raises(ValidationError):
        WorkerSettings()
