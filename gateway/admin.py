"""The gateway's HTTP admin API: liveness, readiness, metrics, routes and reload.

Served on loopback by default (``admin.host`` / ``admin.port`` in node.yaml); the OpenAPI
document is at ``/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bus.yamlconfig import ConfigError
from gateway.engine import Gateway
from gateway.federation.admin import add_federation_routes
from gateway.federation.runtime import Federation


def admin_app(gateway: Gateway, federation: Federation | None = None) -> FastAPI:
    app = FastAPI(
        title=f"lgsp gateway {gateway.config.node}",
        version="1",
        description="Health, readiness, metrics and routing-table reload of one gateway.",
    )

    @app.get("/healthz", summary="Liveness: the process and its event loop answer")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "node": gateway.config.node}

    @app.get(
        "/readyz", summary="Readiness: in the consumer group with its partitions' state restored"
    )
    async def readyz() -> JSONResponse:
        ready = gateway.ready.is_set()
        body = {
            "ready": ready,
            "node": gateway.config.node,
            "partitions": sorted(gateway.producers.owned()),
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(gateway.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/admin/routes", summary="The active routing table")
    async def routes() -> list[dict[str, Any]]:
        return [route.model_dump(by_alias=True) for route in gateway.table.spec.routes]

    @app.post(
        "/admin/reload",
        summary="Reload the routing table; an invalid one is refused, the old one kept",
    )
    async def reload() -> JSONResponse:
        try:
            table = await gateway.reload()
        except ConfigError as error:
            return JSONResponse({"code": error.code, "problems": error.problems}, status_code=422)
        return JSONResponse({"reloaded": True, "routes": len(table.spec.routes)})

    if federation is not None:
        add_federation_routes(app, federation)
    return app
