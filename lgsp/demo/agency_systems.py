"""Connectors standing in front of agency systems in the demo: each province's one-stop-shop
systems post their dossiers to the province's webhook connector (one API key per commune),
and the national portal (DVCQG) receives every dossier status through a ``dvcqg-sink``
connector on NGSP, in the portal's own protocol (session, TraCuuHoSo, DongBoHoSoMC,
CapNhatTienDoHoSoMC), into the portal application of ``lgsp.demo.dvcqg_portal``."""

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
from prometheus_client import CollectorRegistry

from bus.settings import Settings
from connectors import run_connector
from connectors.dvcqg.sink import DvcqgSinkConfig
from connectors.webhook.config import WebhookConfig, hash_api_key
from lgsp.demo.dvcqg_portal import DvcqgPortal
from lgsp.demo.nodes import NGSP, PORTAL_SYSTEM, PROVINCES
from lgsp.demo.traffic import DossierPost, Workload
from schemas.ids.directory import AgencyDirectory

_CONNECTIONS = 16  # the one-stop-shops' posts under way at once
_ATTEMPTS = 5  # per post, when the connection fails


async def portal_caught_up(portal: DvcqgPortal, expected: int, timeout_s: float = 60) -> None:
    """Wait until the portal took ``expected`` dossier syncs (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    while portal.syncs < expected and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.25)


def portal_summary(portal: DvcqgPortal, webhooks: dict[str, Webhook]) -> str:
    answers = Counter[int]()
    for webhook in webhooks.values():
        answers.update(webhook.accepted)
    steps = sum(len(s) for s in portal.steps.values())
    return (
        f"national portal (DVCQG protocol): {portal.syncs:,} DongBoHoSoMC syncs through its "
        f"dvcqg-sink connector for {len(portal.dossiers)} dossiers ({portal.created:,} new, "
        f"{portal.updated:,} updates decided by TraCuuHoSo), {portal.duplicated} duplicated, "
        f"{steps:,} progress steps (CapNhatTienDoHoSoMC), {portal.logins} login(s); "
        "one-stop-shop posts to the provinces' webhooks answered "
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
        self.latest: dict[str, tuple[str, DossierPost]] = {}  # each dossier's last post

    def post(self, role: str, post: DossierPost, change: str = "") -> None:
        """Post after the dossier's earlier posts; ``change`` tells apart two posts of one
        status (e.g. the fee paid while processing) in the Idempotency-Key."""
        previous = self.last.get(post.dossier_code)
        self.latest[post.dossier_code] = (role, post)
        self.last[post.dossier_code] = asyncio.create_task(
            self._after(previous, role, post, change)
        )

    async def _after(
        self, previous: asyncio.Task[None] | None, role: str, post: DossierPost, change: str
    ) -> None:
        if previous is not None:
            await previous
        key = f"{post.dossier_code}/{post.body['statusCode']}{change}"
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
) -> AsyncIterator[tuple[dict[str, Webhook], DvcqgPortal]]:
    settings = Settings()
    portal = DvcqgPortal(password=secrets.token_urlsafe(16))
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(portal.serve())
        sink = DvcqgSinkConfig.model_validate(
            {
                "name": "dvcqg-dossier-sync",
                "node": NGSP,
                "agency": PORTAL_SYSTEM,
                "bootstrap_servers": bootstraps[NGSP],
                "service_url": portal.service_url,
                "login_url": portal.login_url,
                "username": portal.username,
                "password": portal.password,
                "max_in_flight": 64,
            }
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
