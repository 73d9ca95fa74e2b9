"""The gateway's HTTP admin API: liveness, readiness, metrics, routes and reload.

Served on loopback by default (``admin.host`` / ``admin.port`` in node.yaml); the OpenAPI
document is at ``/openapi.json``. ``/admin/*`` needs a bearer token (``bus.adminauth``): a
viewer reads, an operator reloads, pauses and resumes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from bus.adminauth import AdminGuard, AdminToken
from bus.health import add_health_routes, add_metrics_route
from bus.readiness import KafkaReadiness
from bus.yamlconfig import ConfigError
from gateway.federation.admin import add_federation_routes
from gateway.federation.runtime import Federation
from gateway.ops.readiness import gateway_checks, local_report
from gateway.runtime.gateway import Gateway


def admin_app(
    gateway: Gateway,
    federation: Federation | None = None,
    readiness: KafkaReadiness | None = None,
    tokens: Sequence[AdminToken] = (),
) -> FastAPI:
    """The admin API; ``readiness`` (``gateway.ops.readiness.gateway_readiness``) makes /readyz
    also require the cluster connected and the event topics caught up."""
    app = FastAPI(
        title=f"lgsp gateway {gateway.config.node}",
        version="1",
        description="Health, readiness, metrics and routing-table reload of one gateway.",
    )

    guard = AdminGuard(tokens, f"gateway {gateway.config.node}")
    guard.install(app)
    if readiness is not None:
        report = readiness.report
    else:  # embedded without a probe task: the gateway's own checks only
        checks = gateway_checks(gateway, federation)
        report = functools.partial(local_report, checks)
    add_health_routes(
        app,
        report,
        lambda: {
            "node": gateway.config.node,
            "partitions": sorted(gateway.ownership.owned()),
        },
    )

    add_metrics_route(app, gateway.registry)

    @app.get(
        "/admin/routes",
        summary="The active routing table (viewer)",
        dependencies=[Depends(guard.viewer)],
    )
    async def routes() -> list[dict[str, Any]]:
        return [route.model_dump(by_alias=True) for route in gateway.table.spec.routes]

    @app.post(
        "/admin/reload",
        summary="Reload the routing table; an invalid one is refused, the old one kept (operator)",
        dependencies=[Depends(guard.operator)],
    )
    async def reload() -> JSONResponse:
        try:
            table = await gateway.reload()
        except ConfigError as error:
            return JSONResponse({"code": error.code, "problems": error.problems}, status_code=422)
        return JSONResponse({"reloaded": True, "routes": len(table.spec.routes)})

    if federation is not None:
        add_federation_routes(app, federation, guard)
    return app
