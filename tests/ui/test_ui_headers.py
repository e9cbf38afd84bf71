"""Issue 14 item 10 (UI part): the Streamlit server forbids framing by other sites and sends a CSP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from agentstate.ui.security_headers import SecurityHeadersMiddleware, inline_script_hashes
from tests.conftest import free_port, stop_proc, wait_http


def _directives(policy: str) -> dict[str, list[str]]:
    return {p.split()[0]: p.split()[1:] for p in (d.strip() for d in policy.split(";")) if p}


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param("<p>no scripts</p>", [], id="none"),
        pytest.param('<script src="./a.js"></script>', [], id="external-skipped"),
        # expected values from: printf '\n  x = 1\n' | openssl dgst -sha256 -binary | base64
        pytest.param(
            "<script>\n  x = 1\n</script>", ["'sha256-BbJ+FSK+ErAV471Y8ZXwwfLNZHNs207gkT7PGBH0XE0='"], id="inline"
        ),
        pytest.param(
            '<SCRIPT type="module">a()</SCRIPT><script src=b.js></script><script>b()</script>',
            [
                "'sha256-qVpDBgj7bpq5hMAcGp3AOc79J3Y1Z4HvySTwKrWDoy4='",
                "'sha256-cf242PFc/kb7xD0Qzhsmd9vvRkc+cWFmbi+k+YvtdKc='",
            ],
            id="mixed-case-and-attributes",
        ),
    ],
)
def test_inline_script_hashes(html: str, expected: list[str]) -> None:
    assert inline_script_hashes(html) == expected


async def test_middleware_adds_headers_and_keeps_the_apps_own() -> None:
    async def plain(_: Request) -> Response:
        return PlainTextResponse("hi")

    async def own(_: Request) -> Response:
        return PlainTextResponse("hi", headers={"X-Frame-Options": "DENY"})

    app = Starlette(
        routes=[Route("/", plain), Route("/own", own)],
        middleware=[Middleware(SecurityHeadersMiddleware, script_hashes=["'sha256-abc='"])],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ui") as c:
        r, mine = await c.get("/"), await c.get("/own")
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    csp = _directives(r.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'", "'sha256-abc='"]
    assert mine.headers.get_list("x-frame-options") == ["DENY"]


_LOGS: list[Path] = []


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``agentstate ui`` exactly as ``up`` starts it, on a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("ui-headers") / "ui.log"
    _LOGS.append(log)
    env = {**os.environ, "AGENTSTATE_UI_PORT": str(port), "AGENTSTATE_API_URL": "http://127.0.0.1:9"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agentstate.cli", "ui"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/_stcore/health", timeout=60)
    except TimeoutError:
        stop_proc(proc)
        raise AssertionError(log.read_text()) from None
    yield url
    stop_proc(proc)


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/login"])
def test_ui_server_forbids_framing_by_other_sites(ui_server: str, path: str) -> None:
    r = httpx.get(ui_server + path, timeout=10)
    assert r.status_code == 200
    assert r.headers.get("x-frame-options") == "SAMEORIGIN"
    csp = _directives(r.headers.get("content-security-policy", ""))
    assert csp.get("frame-ancestors") == ["'self'"]
    assert "'unsafe-eval'" not in csp.get("script-src", [])
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_ui_policy_allows_exactly_the_inline_scripts_it_serves(ui_server: str) -> None:
    page = httpx.get(ui_server + "/", timeout=10)
    served = inline_script_hashes(page.text)
    assert served, "Streamlit's index.html has no inline script any more: drop the hashes"
    script_src = _directives(page.headers["content-security-policy"])["script-src"]
    assert set(served) <= set(script_src)
    assert "'unsafe-inline'" not in script_src


def test_ui_log_is_free_of_runtime_warnings(ui_server: str) -> None:
    """The launcher must not import the UI's modules before Streamlit's runtime exists."""
    assert httpx.get(ui_server + "/", timeout=10).status_code == 200
    text = _LOGS[-1].read_text()
    assert "No runtime found" not in text, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
