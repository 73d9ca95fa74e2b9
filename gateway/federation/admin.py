"""Admin API of federation: link state, pause and resume, trust registry status, receipts."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse

from bus.adminauth import AdminGuard
from gateway.federation.links.control import set_link_paused
from gateway.federation.receipts.book import receipts_for
from gateway.federation.runtime import Federation


def add_federation_routes(app: FastAPI, federation: Federation, guard: AdminGuard) -> None:
    viewer, operator = [Depends(guard.viewer)], [Depends(guard.operator)]

    @app.get(
        "/admin/links",
        summary="Links to other nodes: connected, paused, trust state (viewer)",
        dependencies=viewer,
    )
    async def links() -> dict[str, Any]:
        return {
            "node": federation.node,
            "trust": {
                "serial": federation.trust.registry.serial if federation.trust.registry else None,
                "age_s": round(federation.trust.age_s(), 1),
                "usable": federation.trust.usable(),
            },
            "links": [
                {
                    "peer": peer,
                    "connected": link.connected.is_set(),
                    "paused": federation.control.paused(peer),
                }
                for peer, link in federation.links.items()
            ],
        }

    @app.post(
        "/admin/links/{peer}/pause",
        summary="Stop forwarding to a peer, kept on restart (operator)",
        dependencies=operator,
    )
    async def pause(peer: str) -> JSONResponse:
        return await _set(federation, peer, paused=True)

    @app.post(
        "/admin/links/{peer}/resume",
        summary="Forward to a peer again (operator)",
        dependencies=operator,
    )
    async def resume(peer: str) -> JSONResponse:
        return await _set(federation, peer, paused=False)

    @app.get(
        "/admin/receipts/{key:path}",
        summary="Who received a document (by its key), and when (viewer)",
        dependencies=viewer,
    )
    async def receipts(key: str) -> JSONResponse:
        registry = federation.trust.registry
        if registry is None:
            return JSONResponse(
                {"code": "LGSP-TRUST-FETCH", "error": "no trust registry yet"}, status_code=503
            )
        found = await receipts_for(federation.cluster, federation.node, key, registry)
        return JSONResponse([r.as_json() for r in found])


async def _set(federation: Federation, peer: str, *, paused: bool) -> JSONResponse:
    if peer not in federation.links:
        return JSONResponse(
            {"code": "LGSP-FED-UNKNOWN-PEER", "error": f"no link to {peer!r}"}, status_code=404
        )
    await set_link_paused(federation.cluster, federation.node, peer, paused)
    return JSONResponse({"peer": peer, "paused": paused})
