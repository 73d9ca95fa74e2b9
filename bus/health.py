"""The ``/healthz`` (liveness) and ``/readyz`` (readiness) endpoints every process serves on its
existing HTTP port, and the small app connectors serve them on next to ``/metrics``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bus.readiness import ReadinessReport


def add_health_routes(
    app: FastAPI, report: Callable[[], ReadinessReport], about: Callable[[], dict[str, Any]]
) -> None:
    """``/healthz``: 200 while the event loop answers; ``/readyz``: 200 when ready, else 503
    with ``{"ready": false, "missing": [...]}``. What ``about()`` says is added to both."""

    @app.get("/healthz", summary="Liveness: the process and its event loop answer")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", **about()}

    @app.get(
        "/readyz",
        summary="Readiness: connected to the cluster and caught up (503 says what is missing)",
    )
    async def readyz() -> JSONResponse:
        now = report()
        return JSONResponse({**now.as_json(), **about()}, status_code=200 if now.ready else 503)


def health_and_metrics_app(
    registry: CollectorRegistry,
    report: Callable[[], ReadinessReport],
    about: Callable[[], dict[str, Any]],
) -> FastAPI:
    """``/healthz``, ``/readyz`` and ``/metrics`` (Prometheus) on one port."""
    app = FastAPI(title="lgsp health and metrics", openapi_url=None, docs_url=None, redoc_url=None)
    add_health_routes(app, report, about)
    add_metrics_route(app, registry)
    return app


def add_metrics_route(app: FastAPI, registry: CollectorRegistry) -> None:
    """``/metrics``: prometheus-client's own ASGI app for ``registry`` (it negotiates the
    exposition format and compression with the scraper)."""
    app.router.routes.append(
        Route("/metrics", _Asgi(make_asgi_app(registry)), include_in_schema=False)
    )


class _Asgi:
    """An ASGI app as a route endpoint (a bare function would be taken for a request handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)
