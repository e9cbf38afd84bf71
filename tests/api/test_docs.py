"""``/docs`` works without internet: the page and every asset it loads come from the API itself."""

from __future__ import annotations

import re

import httpx

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
