"""ClickHouse cluster mode: the single-node DDL rewritten for replicated shards behind distributed tables.

One setting (``AGENTSTATE_CLICKHOUSE_CLUSTER``, a cluster of the server's ``remote_servers``) turns
every table of the single-node schema into the pattern ClickHouse documents for scale-out:

* ``<name>_local`` — the table as today but ``Replicated*MergeTree`` (Keeper path from the server's
  ``{shard}``/``{replica}`` macros), created ``ON CLUSTER`` on every node;
* ``<name>`` — a ``Distributed`` table over the locals, with the public name, so the writer, the
  workers, the API and Grafana use the same names in both modes. Tables that have a ``TraceId`` are
  sharded by ``cityHash64(TraceId)``: a trace lives on one shard, so ``FINAL``, the per-trace
  tables and trace reads never need another shard's rows;
* materialized views read and write the *local* tables, so each shard maintains its own per-trace
  tables from the spans it received (the one-off backfill goes through the distributed tables and
  the same sharding key, so its rows land on the right shard too);
* ``ALTER TABLE`` targets the locals, ``ON CLUSTER``.

Pure text rewriting of our own DDL (never of request data); the statement shapes it accepts are the
ones :mod:`clickhouse_schema`, :mod:`summary_schema` and :mod:`output_tables` produce, and anything
else is refused rather than passed through half-converted.
"""

from __future__ import annotations

import re
from typing import Final

LOCAL_SUFFIX: Final = "_local"
"""Suffix of the replicated per-node tables behind each distributed table."""

_IDENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATABASE: Final = re.compile(r"^CREATE DATABASE IF NOT EXISTS (?P<db>`?\w+`?)\s*$")
_TABLE: Final = re.compile(r"^CREATE TABLE IF NOT EXISTS (?P<db>`?\w+`?)\.(?P<name>\w+) \((?P<rest>.*)$", re.S)
_ENGINE: Final = re.compile(r"ENGINE = (?P<engine>(?:Replacing|Aggregating|Summing)?MergeTree)(?:\((?P<args>[^)]*)\))?")
_VIEW: Final = re.compile(
    r"^CREATE MATERIALIZED VIEW IF NOT EXISTS (?P<db>`?\w+`?)\.(?P<name>\w+)\s+TO (?P<tdb>`?\w+`?)\.(?P<target>\w+)\s+"
    r"AS\s+(?P<select>.*)$",
    re.S,
)
_ALTER: Final = re.compile(r"^ALTER TABLE (?P<db>`?\w+`?)\.(?P<name>\w+) (?P<rest>.*)$", re.S)


class ClusterDDLError(ValueError):
    """A statement this module does not know how to convert (or a bad cluster name)."""


def sharding_key(create_table: str) -> str:
    """``cityHash64(TraceId)`` for tables with a ``TraceId`` column (one trace, one shard), else ``rand()``."""
    columns = create_table.split("ENGINE = ", 1)[0]
    return "cityHash64(TraceId)" if re.search(r"(?:^|[\s,(])TraceId String\b", columns) else "rand()"


def clusterize(statements: list[str], cluster: str) -> list[str]:
    """Rewrite single-node DDL for ``cluster``: replicated ``*_local`` tables plus distributed tables.

    Args:
        statements: DDL as the single-node migrations produce it, in order.
        cluster: Cluster name from the servers' ``remote_servers`` (an identifier).

    Raises:
        ClusterDDLError: For a bad cluster name or a statement of an unknown shape.
    """
    if not _IDENT.match(cluster):
        raise ClusterDDLError(f"cluster name {cluster!r} is not an identifier")
    on = f"ON CLUSTER `{cluster}`"
    tables = [m.group("name") for s in statements if (m := _TABLE.match(s))]
    out: list[str] = []
    for statement in statements:
        if m := _DATABASE.match(statement):
            out.append(f"CREATE DATABASE IF NOT EXISTS {m['db']} {on}")
        elif m := _TABLE.match(statement):
            out += _table(m, cluster, on)
        elif m := _VIEW.match(statement):
            select = _to_locals(m["select"], tables)
            out.append(
                f"CREATE MATERIALIZED VIEW IF NOT EXISTS {m['db']}.{m['name']} {on} "
                f"TO {m['tdb']}.{m['target']}{LOCAL_SUFFIX} AS {select}"
            )
        elif m := _ALTER.match(statement):
            out.append(f"ALTER TABLE {m['db']}.{m['name']}{LOCAL_SUFFIX} {on} {m['rest']}")
        else:
            raise ClusterDDLError(f"no cluster form for: {statement[:80]}")
    return out


def _table(m: re.Match[str], cluster: str, on: str) -> list[str]:
    db, name, rest = m["db"], m["name"], m["rest"]
    local = name + LOCAL_SUFFIX
    engine = _ENGINE.search(rest)
    if engine is None:
        raise ClusterDDLError(f"table {name}: no MergeTree engine to replicate")
    args = ", ".join(
        a
        for a in (
            "'/clickhouse/tables/{shard}/{database}/" + local + "'",
            "'{replica}'",
            (engine["args"] or "").strip(),
        )
        if a
    )
    replicated = f"ENGINE = Replicated{engine['engine']}({args})"
    rest = rest[: engine.start()] + replicated + rest[engine.end() :]
    plain_db = db.strip("`")
    return [
        f"CREATE TABLE IF NOT EXISTS {db}.{local} {on} ({rest}",
        f"CREATE TABLE IF NOT EXISTS {db}.{name} {on} AS {db}.{local} "
        f"ENGINE = Distributed('{cluster}', '{plain_db}', '{local}', {sharding_key(m.group(0))})",
    ]


def _to_locals(select: str, tables: list[str]) -> str:
    """Point the view's ``FROM`` at the local tables (a view fires on inserts into its source)."""
    for name in sorted(tables, key=len, reverse=True):
        select = re.sub(rf"(FROM\s+`?\w+`?\.){name}\b", rf"\g<1>{name}{LOCAL_SUFFIX}", select)
    return select
