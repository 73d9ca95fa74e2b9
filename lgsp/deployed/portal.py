"""The portal application of ``lgsp demo --production``: NGSP's HTTP sink POSTs each dossier
event (CloudEvents JSON, ``Idempotency-Key`` = ce_id) here; it keeps the first copy of each
with when it arrived, and counts repeats (an idempotent target, as a sink's target must be)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.httpserver import bound_port, http_server


@dataclass(frozen=True)
class Arrival:
    """One dossier event the portal took: its ce_id, ce_time and arrival (epoch seconds)."""

    ce_id: str
    ce_time: float
    arrived: float


@dataclass
class PortalApp:
    arrivals: dict[str, Arrival] = field(default_factory=dict)
    repeats: int = 0
    port: int = 0

    def app(self) -> FastAPI:
        app = FastAPI(title="portal application (lgsp demo --production)")

        @app.post("/dossiers")
        async def take(request: Request) -> Any:
            key = request.headers.get("idempotency-key")
            if not key:
                return JSONResponse({"error": "Idempotency-Key required"}, 400)
            event = json.loads(await request.body())
            if key in self.arrivals:
                self.repeats += 1
            else:
                sent = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
                self.arrivals[key] = Arrival(key, sent.timestamp(), time.time())
            return JSONResponse({"ok": True}, 200)

        return app

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[PortalApp]:
        async with http_server(self.app(), "127.0.0.1", 0) as server:
            self.port = bound_port(server)
            yield self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dossiers"
