"""``/docs`` works without internet: the page and every asset it loads come from the API itself."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Api


def test_docs_page_loads_its_assets_from_the_api(api: Api) -> None:
    page = httpx.get(api.url + "/docs", timeout=30)
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text)
    assets = [u for pair in urls for u in pair if u]
    assert assets, page.text
    assert not [u for u in assets if u.startswith(("http://", "https://", "//"))], assets
    for path in assets:
        r = httpx.get(api.url + path, timeout=30)
        assert r.status_code == 200, path
        assert len(r.content) > 100, path
    js = httpx.get(api.url + "/docs/assets/swagger-ui-bundle.js", timeout=30)
    assert "SwaggerUIBundle" in js.text


def test_redoc_is_not_offered_half_working(api: Api) -> None:
    assert httpx.get(api.url + "/redoc", timeout=30).status_code == 404


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_docs_render_in_a_browser_with_the_network_blocked(api: Api) -> None:
    """Swagger UI draws the operations with every non-local request refused (offline) and the API's CSP on."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page()
        page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(api.url + "/docs", wait_until="networkidle")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
        browser.close()
    assert operations > 20
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
