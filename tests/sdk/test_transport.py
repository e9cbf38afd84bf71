"""OTLP retry classes, Retry-After parsing, and the HTTP sender against a stand-in collector."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from agentstate._internal.transport import MAX_RETRY_AFTER, HttpSender, Outcome, classify, parse_retry_after
from tests.sdk.standin import stand_in


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        pytest.param(200, Outcome.SUCCESS, id="200"),
        pytest.param(202, Outcome.SUCCESS, id="202"),
        pytest.param(429, Outcome.RETRY, id="429"),
        pytest.param(502, Outcome.RETRY, id="502"),
        pytest.param(503, Outcome.RETRY, id="503"),
        pytest.param(504, Outcome.RETRY, id="504"),
        pytest.param(None, Outcome.RETRY, id="no-answer"),
        pytest.param(400, Outcome.DROP, id="400"),
        pytest.param(401, Outcome.DROP, id="401"),
        pytest.param(403, Outcome.DROP, id="403"),
        pytest.param(413, Outcome.DROP, id="413"),
        pytest.param(500, Outcome.DROP, id="500"),
        pytest.param(301, Outcome.DROP, id="redirect"),
    ],
)
def test_classify_follows_otlp(status: int | None, outcome: Outcome) -> None:
    assert classify(status) is outcome


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("7", 7.0, id="seconds"),
        pytest.param(" 1.5 ", 1.5, id="fractional"),
        pytest.param("-3", 0.0, id="negative"),
        pytest.param("100000", MAX_RETRY_AFTER, id="capped"),
        pytest.param("Wed, 21 Oct 2015 07:28:10 GMT", 10.0, id="http-date"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("nan", None, id="nan"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = 1445412480.0  # 07:28:00 GMT that day
    assert parse_retry_after(header, now=now) == expected


def test_sender_posts_protobuf_with_headers() -> None:
    with stand_in([(503, {"Retry-After": "7"}), (200, {})]) as collector:
        sender = HttpSender(collector.endpoint, {"authorization": "Bearer as_k"}, timeout=5)
        first, second = sender.send(b"\x01"), sender.send(b"\x02")
        sender.close()
    assert (first.status, first.retry_after, second.status) == (503, 7.0, 200)
    request = collector.requests[0]
    assert (request.path, request.body) == ("/v1/traces", b"\x01")
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["authorization"] == "Bearer as_k"


def test_connection_refused_is_no_answer() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = HttpSender(f"http://127.0.0.1:{port}/v1/traces", timeout=2).send(b"x")
    assert (result.status, result.outcome) == (None, Outcome.RETRY)
    assert result.error


def test_abort_cuts_a_hanging_request() -> None:
    with stand_in(hang=True) as collector:
        sender = HttpSender(collector.endpoint, timeout=30)
        results = []
        thread = threading.Thread(target=lambda: results.append(sender.send(b"x")))
        started = time.monotonic()
        thread.start()
        while not collector.requests:
            time.sleep(0.01)
        sender.abort()
        thread.join(5)
    assert time.monotonic() - started < 5
    assert results[0].status is None


@pytest.mark.parametrize(
    "url", [pytest.param("ftp://x/v1/traces", id="scheme"), pytest.param("http:///x", id="no-host")]
)
def test_bad_endpoint_is_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        HttpSender(url)
