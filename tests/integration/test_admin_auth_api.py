"""Bearer tokens with roles on the real gateway admin server on loopback: reads need a viewer,
reload needs an operator, link pause and resume need an operator, probes and metrics stay
open, and every refusal is a coded 401/403 with an audit log line that never holds the token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import structlog

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.httpserver import bound_port, http_server
from gateway.ops.admin import admin_app
from tests.federationharness import Federated, clusters, running_federation
from tests.gatewayharness import PORTAL_ROUTES, PrivateNode, running_gateway

__all__ = ["clusters"]

VIEWER = "viewer-token-0123456789abcdef"
OPERATOR = "operator-token-0123456789abcdef"
TOKENS = [
    AdminToken(name="an-viewer", role=Role.VIEWER, token_sha256=hash_admin_token(VIEWER)),
    AdminToken(name="binh-ops", role=Role.OPERATOR, token_sha256=hash_admin_token(OPERATOR)),
]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _links_until(
    client: httpx.AsyncClient, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The link list once ``done`` holds (the pause travels through the control topic)."""
    for _ in range(100):
        links: list[dict[str, Any]] = (
            await client.get("/admin/links", headers=_bearer(OPERATOR))
        ).json()["links"]
        if done(links):
            break
        await asyncio.sleep(0.2)
    return links


async def test_reads_need_a_viewer_and_reload_an_operator(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """No token or a wrong one: 401 LGSP-ADMIN-UNAUTHENTICATED; a viewer reads routes but gets
    403 LGSP-ADMIN-FORBIDDEN on reload; an operator reloads; /healthz, /readyz, /metrics and
    the OpenAPI page answer without a token; refusals are logged by token name only."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(PORTAL_ROUTES)
    async with (
        running_gateway(config) as gateway,
        http_server(admin_app(gateway, tokens=TOKENS), "127.0.0.1", 0) as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound_port(server)}") as client,
    ):
        with structlog.testing.capture_logs() as logs:
            missing = await client.post("/admin/reload")
            wrong = await client.get("/admin/routes", headers=_bearer("not-a-token"))
            basic = await client.get("/admin/routes", headers={"Authorization": "Basic eDp5"})
            viewer_reads = await client.get("/admin/routes", headers=_bearer(VIEWER))
            viewer_reloads = await client.post("/admin/reload", headers=_bearer(VIEWER))
            operator_reloads = await client.post("/admin/reload", headers=_bearer(OPERATOR))
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert (await client.get(path)).status_code == 200, path

    assert missing.status_code == 401 and missing.json()["code"] == "LGSP-ADMIN-UNAUTHENTICATED"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 401 and wrong.json()["code"] == "LGSP-ADMIN-UNAUTHENTICATED"
    assert basic.status_code == 401
    assert viewer_reads.status_code == 200
    assert [r["name"] for r in viewer_reads.json()] == ["dossiers-to-portal"]
    assert viewer_reloads.status_code == 403
    assert viewer_reloads.json()["code"] == "LGSP-ADMIN-FORBIDDEN"
    assert operator_reloads.status_code == 200 and operator_reloads.json()["reloaded"] is True

    audit = [e for e in logs if e["event"] == "admin_auth"]
    assert [(e["outcome"], e["token_name"]) for e in audit] == [
        ("missing", None),
        ("unknown", None),
        ("missing", None),
        ("allowed", "an-viewer"),
        ("forbidden", "an-viewer"),
        ("allowed", "binh-ops"),
    ]
    assert all(e["path"].startswith("/admin/") for e in audit)
    assert not any(VIEWER in repr(e) or OPERATOR in repr(e) for e in logs)


async def test_a_process_without_tokens_refuses_every_admin_call(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """With no LGSP_ADMIN_TOKENS the admin endpoints fail closed (401 saying what to set)
    while the probes still answer."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(PORTAL_ROUTES)
    async with (
        running_gateway(config) as gateway,
        http_server(admin_app(gateway), "127.0.0.1", 0) as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound_port(server)}") as client,
    ):
        refused = await client.post("/admin/reload", headers=_bearer(OPERATOR))
        healthy = await client.get("/healthz")
    assert refused.status_code == 401 and "LGSP_ADMIN_TOKENS" in refused.json()["error"]
    assert healthy.status_code == 200


async def test_link_pause_and_resume_need_an_operator(
    clusters: dict[str, str], tmp_path: Path
) -> None:
    """On a federated node, a viewer sees the links but may not pause one (403); an operator
    pauses and resumes it, and the link list shows the state."""
    federated = Federated(tmp_path, clusters)
    configs = federated.write()
    peer = federated.names["ngsp"]
    async with running_federation(configs) as nodes:
        gateway, federation = nodes["hanoi"]
        app = admin_app(gateway, federation, tokens=TOKENS)
        async with (
            http_server(app, "127.0.0.1", 0) as server,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound_port(server)}") as client,
        ):
            links = await client.get("/admin/links", headers=_bearer(VIEWER))
            by_viewer = await client.post(f"/admin/links/{peer}/pause", headers=_bearer(VIEWER))
            anonymous = await client.post(f"/admin/links/{peer}/resume")
            paused = await client.post(f"/admin/links/{peer}/pause", headers=_bearer(OPERATOR))
            after_pause = await _links_until(client, lambda links: links[0]["paused"])
            resumed = await client.post(f"/admin/links/{peer}/resume", headers=_bearer(OPERATOR))
    assert links.status_code == 200 and links.json()["links"][0]["peer"] == peer
    assert by_viewer.status_code == 403 and by_viewer.json()["code"] == "LGSP-ADMIN-FORBIDDEN"
    assert anonymous.status_code == 401
    assert paused.json() == {"peer": peer, "paused": True}
    assert after_pause[0]["paused"] is True
    assert resumed.json() == {"peer": peer, "paused": False}
