"""A receiver stop that hangs says what it waits on, then ends the process (``server._bound_stop``)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from agentstate.receiver import server


async def test_a_stuck_stop_is_reported_with_its_pending_tasks_then_ended(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    exits: list[int] = []
    monkeypatch.setattr(server.os, "_exit", exits.append)

    async def never_finishing_part() -> None:
        await asyncio.Event().wait()

    stuck = asyncio.create_task(never_finishing_part(), name="stuck-part")
    with caplog.at_level(logging.ERROR, logger="agentstate.receiver.server"):
        await server._bound_stop(0.05, 0.1)
    stuck.cancel()
    assert exits == [1]
    report, ending = (r.getMessage() for r in caplog.records)
    assert "still stopping after 0 s" in report
    assert "stuck-part" in report and "never_finishing_part" in report
    assert "exiting now" in ending


async def test_a_stop_that_finishes_in_time_is_neither_reported_nor_ended(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    exits: list[int] = []
    monkeypatch.setattr(server.os, "_exit", exits.append)
    watchdog = asyncio.create_task(server._bound_stop(0.05, 0.1))
    await asyncio.sleep(0.01)
    watchdog.cancel()
    await asyncio.sleep(0.15)
    assert exits == []
    assert not caplog.records
