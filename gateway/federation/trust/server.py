"""NGSP's publication of the trust registry over HTTP, read from its file on every request so
that a newly signed registry is served without a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse


def registry_app(path: Path) -> FastAPI:
    app = FastAPI(
        title="LGSP trust registry",
        version="1",
        description="The signed trust registry nodes fetch and verify.",
    )

    @app.get("/trust/registry.json", summary="The signed registry document")
    async def registry() -> Response:
        try:
            body = await asyncio.to_thread(path.read_bytes)
        except OSError:
            return JSONResponse(
                {"code": "LGSP-TRUST-FETCH", "error": "the registry is not published"},
                status_code=503,
            )
        return Response(body, media_type="application/json")

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
