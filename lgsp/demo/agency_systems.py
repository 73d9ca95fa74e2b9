"""Connectors standing in front of agency systems in the demo: each province's one-stop-shop
systems post their dossiers to the province's webhook connector (one API key per commune),
and the national portal (DVCQG) receives every dossier status through an HTTP sink connector
on NGSP, into a small portal application that keeps the latest status per dossier."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry

from bus.httpserver import bound_port, http_server
from bus.settings import Settings
from connectors import run_connector
from connectors.httpsink import HttpSinkConfig
from connectors.webhook.config import WebhookConfig, hash_api_key
from lgsp.demo.nodes import NGSP, PORTAL_SYSTEM, PROVINCES
from lgsp.demo.traffic import DossierPost, Workload
from schemas.ids.directory import AgencyDirectory

_CONNECTIONS = 16  # the one-stop-shops' posts under way at once
_ATTEMPTS = 5  # per post, when the connection fails


@dataclass
class PortalApp:
    """The national portal's dossier sync endpoint: latest status per dossier, each delivery
    counted once by its Idempotency-Key."""

    received: int = 0
    duplicates: int = 0
    latest: dict[str, int] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def app(self) -> FastAPI:
        api = FastAPI(title="DVCQG dossier sync (demo stand-in)")

        @api.post("/dossier-sync")
        async def sync(request: Request) -> JSONResponse:
            key = request.headers.get("idempotency-key", "")
            if key in self._seen:
                self.duplicates += 1
                return JSONResponse({"status": "duplicate"}, status_code=200)
            event: dict[str, Any] = await request.json()
            self._seen.add(key)
            self.received += 1
            data = event.get("data") or {}
            self.latest[str(data.get("dossierCode"))] = int(data.get("statusCode", 0))
            return JSONResponse({"status": "stored"}, status_code=201)

        return api

    async def caught_up(self, expected: int, timeout_s: float = 60) -> None:
        """Wait until the sink delivered ``expected`` updates (or the time is up)."""
        deadline = time.monotonic() + timeout_s
        while self.received < expected and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.25)

    def summary(self, webhooks: dict[str, Webhook]) -> str:
        answers = Counter[int]()
        for webhook in webhooks.values():
            answers.update(webhook.accepted)
        return (
            f"national portal application: {self.received:,} dossier updates through its HTTP "
            f"sink connector for {len(self.latest)} dossiers, {self.duplicates} duplicate "
            "deliveries dropped by Idempotency-Key; one-stop-shop posts to the provinces' "
            "webhooks answered "
            + ", ".join(f"{n:,} x {code}" for code, n in sorted(answers.items()))
        )


@dataclass
class Webhook:
    """A province's webhook: its URL and the API key of each commune allowed to post."""

    url: str
    keys: dict[str, str]
    accepted: Counter[int] = field(default_factory=Counter)  # by HTTP status

    async def post(
        self, client: httpx.AsyncClient, agency: str, body: dict[str, Any], idempotency_key: str
    ) -> str | None:
        """The event id of the accepted dossier, or None when refused.

        Like a real one-stop-shop system, it sends again when the connection fails (e.g. the
        server closed an idle keep-alive connection as it was reused): the Idempotency-Key
        makes the webhook publish the same event id, which the gateway routes once.
        """
        for attempt in range(_ATTEMPTS):
            try:
                response = await client.post(
                    f"{self.url}/events/dossier.status",
                    json=body,
                    headers={"X-Api-Key": self.keys[agency], "Idempotency-Key": idempotency_key},
                )
                break
            except httpx.TransportError:
                if attempt == _ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        self.accepted[response.status_code] += 1
        return str(response.json()["id"]) if response.status_code == 202 else None


class Posting:
    """Posts dossiers to the provinces' webhooks, each dossier's statuses one after another
    (so they keep their order), many dossiers at once."""

    def __init__(self, webhooks: dict[str, Webhook], workload: Workload) -> None:
        self.webhooks, self.workload = webhooks, workload
        # Posts wait for a connection here, not in httpx's pool: its wait scans every waiting
        # request on each change (half the demo's CPU with thousands queued, then timeouts).
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(60, pool=None),
            limits=httpx.Limits(max_connections=_CONNECTIONS),
        )
        self.slots = asyncio.Semaphore(_CONNECTIONS)
        self.last: dict[str, asyncio.Task[None]] = {}

    def post(self, role: str, post: DossierPost) -> None:
        previous = self.last.get(post.dossier_code)
        self.last[post.dossier_code] = asyncio.create_task(self._after(previous, role, post))

    async def _after(
        self, previous: asyncio.Task[None] | None, role: str, post: DossierPost
    ) -> None:
        if previous is not None:
            await previous
        key = f"{post.dossier_code}/{post.body['statusCode']}"
        async with self.slots:
            event_id = await self.webhooks[role].post(self.client, post.agency, post.body, key)
        if event_id is not None:
            self.workload.published_ids.add(event_id)

    async def finish(self) -> None:
        await asyncio.gather(*self.last.values())

    async def close(self) -> None:
        """Cancel the posts still under way (on Ctrl-C) and close the HTTP client."""
        for task in self.last.values():
            task.cancel()
        await asyncio.gather(*self.last.values(), return_exceptions=True)
        await self.client.aclose()


@contextlib.asynccontextmanager
async def agency_systems(
    bootstraps: dict[str, str], directory: AgencyDirectory, registry: CollectorRegistry
) -> AsyncIterator[tuple[dict[str, Webhook], PortalApp]]:
    settings = Settings()
    portal = PortalApp()
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(http_server(portal.app(), "127.0.0.1", 0))
        sink = HttpSinkConfig(
            kind="http-sink",
            name="dvcqg-dossier-sync",
            node=NGSP,
            agency=PORTAL_SYSTEM,
            bootstrap_servers=bootstraps[NGSP],
            url=f"http://127.0.0.1:{bound_port(server)}/dossier-sync",
            event_types=["vn.gov.dossier.status.v1"],
            max_in_flight=64,
        )
        await stack.enter_async_context(run_connector(sink, settings, registry=registry))
        webhooks = {}
        for role, province in PROVINCES.items():
            communes = [str(a.code) for a in directory.descendants(province, tier="commune")]
            keys = {code: secrets.token_urlsafe(24) for code in communes}
            config = WebhookConfig.model_validate(
                {
                    "kind": "webhook",
                    "name": "one-stop-shops",
                    "node": role,
                    "agency": province,
                    "bootstrap_servers": bootstraps[role],
                    "port": 0,
                    "agencies": [
                        {"code": c, "key_sha256": hash_api_key(k)} for c, k in keys.items()
                    ],
                    "subjects": {
                        "dossier.status": {
                            "key_field": "dossierCode",
                            "agency_field": "receivingAgency.code",
                        }
                    },
                }
            )
            running = await stack.enter_async_context(
                run_connector(config, settings, registry=CollectorRegistry())
            )
            webhooks[role] = Webhook(f"http://127.0.0.1:{running.port}", keys)
        await asyncio.sleep(0)
        yield webhooks, portal
