"""The storage contract: the API reads the columns the writer creates, by the same names."""

from __future__ import annotations

from agentstate.api import outputs
from agentstate.processors import output_tables
from agentstate.semconv import tables


def test_the_api_reads_columns_the_writer_creates() -> None:
    a = outputs._ALERT
    assert {a.id, a.time, a.rule, a.title, a.detail} <= set(tables.ALERT_COLUMNS)
    assert tables.COST_USD in tables.COST_COLUMNS


def test_the_writer_creates_every_contract_column() -> None:
    ddl = "\n".join(output_tables.ddl("agentstate"))
    for table, columns in ((tables.COST_TABLE, tables.COST_COLUMNS), (tables.ALERT_TABLE, tables.ALERT_COLUMNS)):
        body = ddl.split(f"`agentstate`.{table} (", 1)[1].split("ENGINE", 1)[0]
        for column in columns:
            assert f"{column} " in body, (table, column)
