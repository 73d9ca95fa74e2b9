"""The node's attachment store over HTTP: ``GET /sha256/{hex}`` streams a stored file to the
node's sinks; a task deletes files past their retention. Run it with ``lgsp attachments
serve`` or, inside a process, ``async with serve_attachment_store(config)``."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bus.health import add_health_routes
from bus.httpserver import bound_port, http_server
from bus.readiness import ReadinessReport
from connectors.attachments.errors import MISSING
from connectors.attachments.store import AttachmentStore, is_sha256

log = structlog.get_logger("lgsp.attachments")


class AttachmentStoreConfig(BaseModel):
    """Where the store keeps its files, where it listens, and how long it keeps them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path = Field(description="The store's folder (sources of the node write into it).")
    host: str = "127.0.0.1"
    port: int = Field(default=8095, ge=0, le=65535, description="0: any free port.")
    retention_s: float = Field(
        default=30 * 86_400, gt=0, description="Files older than this are deleted (30 days)."
    )
    prune_interval_s: float = Field(default=3600, gt=0, description="How often to prune.")


def _readiness(store: AttachmentStore) -> ReadinessReport:
    if store.folder.is_dir() and os.access(store.folder, os.W_OK | os.X_OK):
        return ReadinessReport(True)
    return ReadinessReport(False, (f"folder {store.folder}: missing or not writable",))


def attachment_app(store: AttachmentStore) -> FastAPI:
    api = FastAPI(title="LGSP attachment store")
    add_health_routes(api, lambda: _readiness(store), lambda: {"process": "attachment-store"})

    @api.get("/sha256/{digest}", response_model=None)
    async def attachment(digest: str) -> Response:
        path = store.path_of(digest) if is_sha256(digest) else None
        if path is None or not path.is_file():
            return JSONResponse(
                {"code": MISSING, "message": f"no attachment {digest[:80]} in this store"},
                status_code=404,
            )
        return FileResponse(path, media_type="application/octet-stream")

    return api


@dataclass(frozen=True)
class RunningStore:
    store: AttachmentStore
    url: str  # the base URL sources publish: <url>/sha256/<hex>


async def _prune_forever(store: AttachmentStore, config: AttachmentStoreConfig) -> None:
    while True:
        removed = await asyncio.to_thread(store.prune, config.retention_s)
        if removed:
            log.info("attachments_pruned", removed=removed)
        await asyncio.sleep(config.prune_interval_s)


@contextlib.asynccontextmanager
async def serve_attachment_store(config: AttachmentStoreConfig) -> AsyncIterator[RunningStore]:
    store = AttachmentStore(config.folder)
    config.folder.mkdir(parents=True, exist_ok=True)
    async with http_server(attachment_app(store), config.host, config.port) as server:
        pruning = asyncio.create_task(_prune_forever(store, config))
        try:
            yield RunningStore(store, f"http://{config.host}:{bound_port(server)}")
        finally:
            pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruning
