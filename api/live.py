"""Fan-out of the writer's live announcements (Redis pub/sub) to WebSocket subscribers.

One subscription per API process; each subscriber gets a bounded queue filtered to its projects.
A slow subscriber loses its oldest messages rather than slowing the others (counted in ``dropped``).
Spans announcements of a trace not seen before are preceded by a ``trace`` message.

Access can end while a socket is open (a member removed, a password changed, a token expired), so
each subscriber belongs to a user and re-checks its access: on every :func:`access_changed`
announcement for that user (over Redis, so every replica hears it) and on a short interval for
changes nobody announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentstate.semconv.streams import LIVE_CHANNEL

log = logging.getLogger(__name__)

ACCESS_CHANNEL = "agentstate:api:access"
"""Pub/sub channel of ``{"user_id": ...}``: that user's memberships or tokens changed."""

_QUEUE_SIZE = 1000
_SEEN_TRACES = 50_000


class Subscriber:
    """One WebSocket's view of the feed."""

    def __init__(self, projects: frozenset[str], user_id: str = "") -> None:
        self.projects = projects
        self.user_id = user_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_SIZE)
        self.dropped = 0
        self.recheck = asyncio.Event()
        """Set when this subscriber's access may have changed."""

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message, dropping the oldest when full."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)


def expand(message: dict[str, Any], seen: OrderedDict[tuple[str, str], None]) -> list[dict[str, Any]]:
    """The messages to push for one announcement: new ``trace`` messages, then the message itself."""
    out: list[dict[str, Any]] = []
    if message.get("kind") == "spans":
        project = str(message.get("project", ""))
        for trace_id in message.get("trace_ids") or []:
            key = (project, str(trace_id))
            if key in seen:
                continue
            seen[key] = None
            if len(seen) > _SEEN_TRACES:
                seen.popitem(last=False)
            out.append({"kind": "trace", "project": project, "trace_id": str(trace_id)})
    out.append(message)
    return out


class LiveHub:
    """Subscribes to :data:`LIVE_CHANNEL` and dispatches to :class:`Subscriber` queues."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._subs: set[Subscriber] = set()
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def add(self, projects: frozenset[str], user_id: str = "") -> Subscriber:
        """Register a subscriber of ``user_id`` to ``projects``."""
        sub = Subscriber(projects, user_id)
        self._subs.add(sub)
        return sub

    def wake(self, user_id: str | None) -> None:
        """Ask the subscribers of ``user_id`` (None: everyone's) to re-check their access."""
        for sub in self._subs:
            if user_id is None or sub.user_id == user_id:
                sub.recheck.set()

    def _access(self, raw: bytes | str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        user_id = message.get("user_id") if isinstance(message, dict) else None
        self.wake(user_id if isinstance(user_id, str) else None)  # unreadable: everyone re-checks

    def remove(self, sub: Subscriber) -> None:
        """Unregister a subscriber."""
        self._subs.discard(sub)

    def dispatch(self, raw: bytes | str) -> None:
        """Route one pub/sub payload to the subscribers of its project."""
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("ignoring malformed live message")
            return
        if not isinstance(message, dict):
            return
        project = str(message.get("project", ""))
        targets = [s for s in self._subs if project in s.projects]
        if not targets:
            if message.get("kind") == "spans":
                expand(message, self._seen)  # remember traces so later subscribers see only new ones
            return
        for out in expand(message, self._seen):
            for sub in targets:
                sub.offer(out)

    async def start(self) -> None:
        """Start listening (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        """Stop listening."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(LIVE_CHANNEL, ACCESS_CHANNEL)
                    self.ready.set()
                    self.wake(None)  # announcements may have been missed while unsubscribed
                    while True:
                        # A short read timeout, not listen(): the shared client may have a socket timeout.
                        item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if item is None or item.get("type") != "message":
                            continue
                        channel = item.get("channel")
                        if channel in (ACCESS_CHANNEL, ACCESS_CHANNEL.encode()):
                            self._access(item["data"])
                        else:
                            self.dispatch(item["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError):
                self.ready.clear()
                log.warning("live feed lost its Redis subscription; retrying", exc_info=True)
                await asyncio.sleep(1.0)


async def access_changed(redis: Redis, hub: LiveHub, user_id: str) -> None:
    """Announce that ``user_id``'s access changed, so their open feeds re-check it now (every replica).

    This process is woken directly too, so a Redis hiccup delays the others only until their
    interval re-check.
    """
    hub.wake(user_id)
    try:
        await redis.publish(ACCESS_CHANNEL, json.dumps({"user_id": user_id}))
    except RedisError:
        log.warning("could not announce an access change; open feeds re-check on their interval", exc_info=True)
