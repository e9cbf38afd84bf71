"""Security state that must be global across the replicas of the ``security`` consumer group.

Several ``agentstate worker security`` processes share one consumer group, so the spans of one
trace reach different replicas. Two things must still hold as if there were one process:

* **Runaway-loop counts.** Each tool call is added as ``<span_id>:<index>`` to the trace's sorted
  set ``agentstate:loopcalls:{project}:{trace}`` with its call's digest as score
  (:func:`digest_score`), and the members with that score are the trace-wide count of identical
  calls. The set expires after :data:`LOOP_TTL_SECONDS` without a tool call in the trace. A
  redelivered span adds nothing new.
* **One alert per (project, trace, rule).** The first row proposed for a key is stored with
  ``SET agentstate:alerted:{project}:{trace}:{rule} <row> NX EX`` (one day). A span emits when
  the stored row is its own: it won the ``NX``, or it is being redelivered after a crash between
  the ``SET`` and the publish, and must publish the same row again (same ``AlertId``; the
  ``security_alerts`` ReplacingMergeTree collapses the copies). Later spans of the trace are
  counted in ``...:{rule}:spans``; the first row is re-emitted with ``occurrences`` (and
  ``version``) raised when that count reaches a power of two.

The detectors stay free of I/O: :meth:`SecurityEngine.propose_batch` returns what a batch found,
:func:`decide` is the pure decision, and :class:`RedisTraceState` does one pipelined ``MULTI``
round trip for the batch's calls and one for its alerts. :class:`MemoryTraceState` is the same
protocol in one process. Rolling baselines (``anomaly.py``) stay per process (see ``engine.py``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final, Protocol

import orjson
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from agentstate.processors.detectors.alert import AlertRow, Category, Severity, TraceAggregator
from agentstate.processors.detectors.engine import Proposal, SecurityEngine
from agentstate.processors.detectors.loops import LoopCall
from agentstate.processors.pricing import SpanRef
from agentstate.semconv.span_record import NormalizedSpan

LOOP_TTL_SECONDS: Final = 300
"""A trace's call set expires after this much quiet (a runaway loop calls far more often)."""
ALERT_TTL_SECONDS: Final = 86_400
"""How long one (project, trace, rule) stays alerted: longer than any redelivery or trace."""

TracedCall = tuple[str, str, LoopCall]
"""``(project_id, trace_id, call)``."""


class TraceState(Protocol):
    """Where loop counts and the one-alert-per-trace decisions live."""

    async def count_calls(self, calls: Sequence[TracedCall]) -> list[int]:
        """Record each call (idempotent per member) and return its trace-wide count, in order."""
        ...

    async def admit(self, rows: Sequence[AlertRow]) -> list[AlertRow]:
        """Return the rows to publish for the proposed ``rows`` (in order)."""
        ...


def loop_key(project_id: str, trace_id: str) -> str:
    """Redis sorted set of one trace's tool calls (member ``<span_id>:<index>``, score :func:`digest_score`)."""
    return f"agentstate:loopcalls:{project_id}:{trace_id}"


def digest_score(digest: str) -> int:
    """A call digest as a sorted-set score: its first 48 bits, which a double holds exactly.

    Two different calls of one trace share a score once in 2^48 pairs (then counted together).
    """
    return int(digest[:12], 16)


def alerted_key(row: AlertRow) -> str:
    """Redis string holding the first row of one ``(project, trace, rule)``."""
    return f"agentstate:alerted:{row.project_id}:{row.trace_id}:{row.rule_id}"


def encode_row(row: AlertRow) -> bytes:
    """Serialise an alert row for :func:`alerted_key`."""
    return orjson.dumps([row.project_id, row.time_unix_nano, row.trace_id, row.span_id, row.rule_id,
                         row.category.value, row.severity.value, row.score, row.evidence, row.message,
                         row.status, row.occurrences, row.version])  # fmt: skip


def decode_row(data: bytes) -> AlertRow:
    """Inverse of :func:`encode_row`."""
    p, t, trace, span, rule, cat, sev, score, ev, msg, status, occ, ver = orjson.loads(data)
    return AlertRow(p, t, trace, span, rule, Category(cat), Severity(sev), score, ev, msg, status, occ, ver)


def decide(row: AlertRow, stored: bytes | None, added: bool, seen: int) -> AlertRow | None:
    """Whether a proposed row is published, given what Redis holds for its ``(project, trace, rule)``.

    Args:
        row: The proposed row.
        stored: The key's first row after ``SET NX`` (``None`` only if it expired meanwhile).
        added: Whether this span was new in the key's set of alerting spans.
        seen: How many distinct spans of the trace have proposed this rule.

    Returns:
        The stored first row when it is this span's (first time or redelivery); the first row with
        ``occurrences``/``version`` raised to ``seen`` when a new span makes ``seen`` a power of
        two; otherwise ``None``.
    """
    if stored is None:
        return row
    first = decode_row(stored)
    if first.span_id == row.span_id:
        return first
    if added and seen >= 2 and seen & (seen - 1) == 0:
        return replace(first, occurrences=seen, version=seen)
    return None


_COUNT_CALLS: Final = """
local ttl = ARGV[1]
local counts = {}
local i = 0
for k, score, member in string.gmatch(ARGV[2], '(%d+) (%d+) ([^\\n]+)') do
  local key = KEYS[tonumber(k)]
  redis.call('ZADD', key, score, member)
  i = i + 1
  counts[i] = redis.call('ZCOUNT', key, score, score)
end
for _, key in ipairs(KEYS) do
  redis.call('EXPIRE', key, ttl)
end
return counts
"""
"""Each call's member added to its trace's set with its digest's score, then the members of that
score, in call order; then each trace's TTL renewed. ``KEYS``: the batch's traces, each once;
``ARGV[2]``: one line per call, ``<trace's position in KEYS> <score> <member>``.

One sorted set per trace, not one set per trace and digest as before: most calls are unique in
their trace, so each made a key of its own with its own ``EXPIRE`` (creating a key and its expiry
was most of the script's cost). At full load (``bench/ingest.py``, ``INFO commandstats``) the
script took 5.0 s of Valkey's 24.6 s of CPU: 7.6 µs per call for 0.3 calls per span; per trace,
3.98 s for as many calls. The calls travel as one argument: Valkey made an object of each of a
script call's ~9,000 keys and arguments. On the same calls three to a trace (embedded Valkey, 180k
calls in 3,000-call scripts, Valkey's CPU, four alternating pairs): one key and two arguments per
call 6.5–7.2, one line each 5.7–5.9 µs per call. ``INFO commandstats`` cannot compare the two (it
times the script, where the lines are now split, and not the parsing of its arguments)."""


class RedisTraceState:
    """:class:`TraceState` in Redis, shared by every replica.

    Args:
        redis: Client of the deployment's Redis.
        loop_ttl: Seconds a trace's call set lives after its last call.
        alert_ttl: Seconds a ``(project, trace, rule)`` stays alerted.
    """

    def __init__(self, redis: Redis, loop_ttl: int = LOOP_TTL_SECONDS, alert_ttl: int = ALERT_TTL_SECONDS) -> None:
        self.redis, self.loop_ttl, self.alert_ttl = redis, loop_ttl, alert_ttl
        self._count_script: AsyncScript | None = None

    async def count_calls(self, calls: Sequence[TracedCall]) -> list[int]:
        """ZADD + ZCOUNT per call and EXPIRE per trace, all in one script call (atomic, one round trip).

        A read of an agent-heavy stream holds thousands of tool calls: as a MULTI of three commands
        each, packing and parsing them was 12% of the security worker's CPU in a profile.
        """
        if not calls:
            return []
        if self._count_script is None:
            self._count_script = self.redis.register_script(_COUNT_CALLS)
        index: dict[str, int] = {}  # trace key -> its position in KEYS (Lua counts from 1)
        lines = [f"{index.setdefault(loop_key(p, t), len(index) + 1)} {digest_score(c.digest)} {c.member}"
                 for p, t, c in calls]  # members are hex span IDs and an index: never a line break  # fmt: skip
        counts: Any = await self._count_script(keys=list(index), args=[self.loop_ttl, "\n".join(lines)])
        if len(counts) != len(calls):
            raise ValueError(f"loop count script answered {len(counts)} counts for {len(calls)} calls")
        return [int(n) for n in counts]

    async def admit(self, rows: Sequence[AlertRow]) -> list[AlertRow]:
        """SET NX + GET + SADD + EXPIRE + SCARD per row, in one MULTI round trip, then :func:`decide`."""
        if not rows:
            return []
        pipe = self.redis.pipeline(transaction=True)
        for row in rows:
            key = alerted_key(row)
            pipe.set(key, encode_row(row), nx=True, ex=self.alert_ttl)
            pipe.get(key)
            pipe.sadd(key + ":spans", row.span_id)
            pipe.expire(key + ":spans", self.alert_ttl)
            pipe.scard(key + ":spans")
        replies = await pipe.execute()
        out: list[AlertRow] = []
        for i, row in enumerate(rows):
            _, stored, added, _, seen = replies[5 * i : 5 * i + 5]
            decided = decide(row, stored, bool(added), int(seen))
            if decided is not None:
                out.append(decided)
        return _unique(out)


class MemoryTraceState:
    """:class:`TraceState` in this process (one replica; tests).

    Args:
        max_keys: Loop call sets remembered (least recently used forgotten first).
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        self._max = max_keys
        self._calls: OrderedDict[tuple[str, str, str], set[str]] = OrderedDict()
        self._aggregator = TraceAggregator()

    async def count_calls(self, calls: Sequence[TracedCall]) -> list[int]:
        """Add each member to its call set and return the set's size."""
        counts = []
        for project, trace, call in calls:
            key = (project, trace, call.digest)
            members = self._calls.setdefault(key, set())
            self._calls.move_to_end(key)
            members.add(call.member)
            counts.append(len(members))
            if len(self._calls) > self._max:
                self._calls.popitem(last=False)
        return counts

    async def admit(self, rows: Sequence[AlertRow]) -> list[AlertRow]:
        """The in-process :class:`TraceAggregator` decision."""
        return [r for r in map(self._aggregator.add, rows) if r is not None]


async def evaluate_batch(engine: SecurityEngine, state: TraceState,
                         items: Sequence[tuple[SpanRef, NormalizedSpan, int | None]],
                         costs: Sequence[float | None] | None = None) -> list[AlertRow]:  # fmt: skip
    """The alert rows to publish for a batch: detect (pure), count the calls, decide per trace.

    ``costs``: each span's USD priced per batch (``cost_batch.usd``), for the cost-spike baseline.
    """
    return await decide_proposals(engine, state, engine.propose_batch(items, costs))


async def decide_proposals(engine: SecurityEngine, state: TraceState, proposals: Sequence[Proposal]) -> list[AlertRow]:
    """The alert rows to publish for a batch's proposals: count the calls, decide per trace."""
    calls = [(p.ref.project_id, p.ref.trace_id, c) for p in proposals for c in p.calls]
    counts = await state.count_calls(calls)
    rows: list[AlertRow] = []
    at = 0
    for p in proposals:
        rows += p.rows
        if p.calls:
            loop = engine.loop_row(p, counts[at : at + len(p.calls)])
            at += len(p.calls)
            if loop is not None:
                rows.append(loop)
    return await state.admit(rows)


def _unique(rows: list[AlertRow]) -> list[AlertRow]:
    # A span may propose one rule twice (two findings): publish its row once.
    seen: set[tuple[tuple[str, str, str], str, int]] = set()
    out = []
    for row in rows:
        if (row.key, row.trace_id, row.version) not in seen:
            seen.add((row.key, row.trace_id, row.version))
            out.append(row)
    return out
