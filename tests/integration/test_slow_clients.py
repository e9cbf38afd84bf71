"""Slow clients are cut off (issue 14, item 9): 200 sockets trickling headers stayed open for 45 s.

uvicorn has no timeout on receiving a request (its keep-alive timer runs only between requests and
is reset by every byte), so the receiver sets a per-connection deadline for the request head and
one for the body. The receiver here runs with a 1 s head and 2 s body deadline.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET, Receiver, Valkey, start_receiver, stop_proc

HEAD_S, BODY_S = 1.0, 2.0


KEY = "as_slow0000_keyofthetricklingclienttest"


@pytest.fixture(scope="module")
def receiver(valkey: Valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    import redis

    from agentstate.semconv.apikeys import hash_key
    from agentstate.semconv.streams import API_KEYS_HASH

    r = redis.Redis.from_url(valkey.url)
    r.hset(API_KEYS_HASH, hash_key(KEY, SECRET.encode()), "slow-clients")
    r.close()
    rec = start_receiver(
        valkey.url,
        Path(tmp_path_factory.mktemp("slow")),
        AGENTSTATE_HEADER_TIMEOUT_SECONDS=str(HEAD_S),
        AGENTSTATE_BODY_TIMEOUT_SECONDS=str(BODY_S),
    )
    yield rec
    stop_proc(rec.proc)


def _connect(rec: Receiver) -> socket.socket:
    host, port = rec.http_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.settimeout(0.05)
    return sock


def _trickle(sock: socket.socket, chunks: list[bytes], every: float, limit: float) -> tuple[float, bytes]:
    """Send one chunk every ``every`` s until the server closes; return (seconds open, bytes answered)."""
    started = time.monotonic()
    answer = b""
    i = 0
    while time.monotonic() - started < limit:
        try:
            data = sock.recv(4096)
            if not data:
                return time.monotonic() - started, answer
            answer += data
        except TimeoutError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started, answer
        try:
            if i < len(chunks):
                sock.sendall(chunks[i])
                i += 1
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started, answer
        time.sleep(every)
    return time.monotonic() - started, answer


HEAD = b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"


def _body(key: str) -> list[bytes]:
    return [HEAD + f"x-api-key: {key}\r\nContent-Length: 1000\r\n\r\n".encode()] + [b"x"] * 1000


@pytest.mark.parametrize(
    ("chunks", "bound", "status"),
    [
        pytest.param([], HEAD_S, b"408", id="silent-connection"),
        pytest.param(
            [HEAD[i : i + 1] for i in range(len(HEAD))] + [b"X-Pad: a\r\n"] * 200,
            HEAD_S,
            b"408",
            id="headers-one-byte-at-a-time",
        ),
        pytest.param(_body(KEY), HEAD_S + BODY_S, b"408", id="body-one-byte-at-a-time"),
        # answered at once (bad key), but the unread body must not keep the socket either
        pytest.param(_body("as_wrong"), HEAD_S + BODY_S, b"401", id="unauthenticated-body-one-byte-at-a-time"),
    ],
)
def test_trickling_client_is_disconnected_within_the_bound(
    receiver: Receiver, chunks: list[bytes], bound: float, status: bytes
) -> None:
    sock = _connect(receiver)
    try:
        took, answer = _trickle(sock, chunks, every=0.1, limit=bound + 8)
    finally:
        sock.close()
    assert took < bound + 1.5, f"connection still open after {took:.1f} s"
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]


def test_many_trickling_sockets_are_all_closed(receiver: Receiver) -> None:
    socks = [_connect(receiver) for _ in range(50)]
    try:
        for s in socks:
            s.sendall(b"POST /v1/traces HTTP/1.1\r\n")
        deadline = time.monotonic() + HEAD_S + 3
        open_ = set(range(len(socks)))
        while open_ and time.monotonic() < deadline:
            for i in list(open_):
                try:
                    socks[i].sendall(b"X: y\r\n")
                    if socks[i].recv(4096) == b"":
                        open_.discard(i)
                except TimeoutError:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    open_.discard(i)
            time.sleep(0.1)
    finally:
        for s in socks:
            s.close()
    assert not open_, f"{len(open_)} of {len(socks)} trickling sockets still open"


def test_a_prompt_client_on_a_kept_alive_connection_is_unaffected(receiver: Receiver) -> None:
    """The head deadline starts at a request's first byte, so idling between requests is keep-alive's business."""
    sock = _connect(receiver)
    sock.settimeout(5)
    try:
        for _ in range(2):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while not reply.endswith(b'{"status":"ok"}'):  # the whole response, head and body
                chunk = sock.recv(4096)
                assert chunk, f"closed after {reply!r}"
                reply += chunk
            assert reply.startswith(b"HTTP/1.1 200")
            time.sleep(HEAD_S + 0.5)  # idle longer than the head deadline, shorter than keep-alive
    finally:
        sock.close()


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([], id="silent-connection"),
        pytest.param([PREFACE[i : i + 1] for i in range(len(PREFACE))], id="preface-one-byte-at-a-time"),
    ],
)
def test_grpc_port_closes_a_connection_that_never_completes_its_handshake(
    receiver: Receiver, chunks: list[bytes]
) -> None:
    host, port = receiver.grpc_target.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.settimeout(0.05)
    try:
        took, _ = _trickle(sock, chunks, every=0.2, limit=HEAD_S + 8)
    finally:
        sock.close()
    assert took < HEAD_S + 2, f"gRPC connection still open after {took:.1f} s"
