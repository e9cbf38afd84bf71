"""``/docs`` served from the package: Swagger UI's files come from ``swagger-ui-bundle``, not a CDN.

FastAPI's default docs page loads Swagger UI from jsDelivr, so it is blank without internet (an
air-gapped or laptop install). FastAPI documents self-hosting the assets; ``swagger-ui-bundle``
(maintained by the Connexion project) ships them as package data, so nothing is vendored here.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"


def mount_docs(app: FastAPI) -> None:
    """Serve Swagger UI at :data:`DOCS_URL` with its JS, CSS and icon from :data:`ASSETS_URL`.

    The app must be created with ``docs_url=None`` and ``redoc_url=None`` (ReDoc has no offline bundle).
    """
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = DOCS_URL + "/oauth2-redirect"
    app.mount(ASSETS_URL, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - docs", oauth2_redirect_url=redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )

    @app.get(redirect_url, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
