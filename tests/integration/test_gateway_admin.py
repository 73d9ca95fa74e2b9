"""The admin API of a running gateway: health, readiness, metrics, and reloading the routing
table (an invalid table is refused with its lines and the old one keeps routing)."""

from __future__ import annotations

from pathlib import Path

import httpx

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.httpserver import http_server
from bus.localkafka.layout import free_port
from gateway.ops.admin import admin_app
from tests import gatewayharness as gh

ROUTES = gh.PORTAL_ROUTES
BROKEN = gh.routes_yaml(
    gh.route_yaml("dossiers-to-portal", "lgsp.NODE.inbox.portal", source="under 000.00.00.H2")
)
WIDER = ROUTES + gh.route_yaml(
    "danang-dossiers-to-portal", "lgsp.NODE.inbox.portal", source="under 000.00.00.H15"
)


OPERATOR_TOKEN = "operator-token-of-the-admin-test"
TOKENS = [AdminToken(name="ops", role=Role.OPERATOR, token_sha256=hash_admin_token(OPERATOR_TOKEN))]


async def test_health_readiness_metrics_and_reload(kafka_bootstrap: str, tmp_path: Path) -> None:
    """/healthz and /readyz answer, /metrics counts routed records, a broken table is refused
    with 422 naming its line while routing goes on, a fixed one is applied."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    portal = f"lgsp.{node.name}.inbox.portal"
    await node.create(portal)
    port = free_port()
    async with (
        gh.running_gateway(config) as gateway,
        http_server(admin_app(gateway, tokens=TOKENS), "127.0.0.1", port),
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        ) as client,
    ):
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["partitions"] == [0, 1, 2]
        await gh.publish(
            kafka_bootstrap,
            node.topic(gh.DOSSIER),
            [gh.make_event("dossier.status", source="000.01.02.H24")],
        )
        await gh.read_all(kafka_bootstrap, [portal], expected=1, settle_s=0)
        metrics = (await client.get("/metrics")).text
        assert (
            f'lgsp_gateway_records_out_total{{event_type="{gh.DOSSIER}",node="{node.name}",'
            f'route="dossiers-to-portal"}} 1.0' in metrics
        )

        (tmp_path / "routes.yaml").write_text(BROKEN.replace("NODE", node.name))
        refused = await client.post("/admin/reload")
        assert refused.status_code == 422
        assert refused.json()["code"] == "LGSP-CONFIG-INVALID"
        assert any(p.startswith("line 5: routes[0].from") for p in refused.json()["problems"])
        await gh.publish(
            kafka_bootstrap,
            node.topic(gh.DOSSIER),
            [gh.make_event("dossier.status", source="000.01.02.H24")],
        )
        assert len(await gh.read_all(kafka_bootstrap, [portal], expected=2, settle_s=0)) == 2

        (tmp_path / "routes.yaml").write_text(WIDER.replace("NODE", node.name))
        applied = await client.post("/admin/reload")
        assert applied.status_code == 200 and applied.json()["routes"] == 2
        names = [r["name"] for r in (await client.get("/admin/routes")).json()]
        assert names == ["dossiers-to-portal", "danang-dossiers-to-portal"]
        await gh.publish(
            kafka_bootstrap,
            node.topic(gh.DOSSIER),
            [gh.make_event("dossier.status", source="000.00.12.H15")],
        )
        delivered = await gh.read_all(kafka_bootstrap, [portal], expected=3, settle_s=0)
        openapi = (await client.get("/openapi.json")).json()
    assert len(delivered) == 3
    assert "/admin/reload" in openapi["paths"]
    assert (
        gateway.registry.get_sample_value(
            "lgsp_gateway_route_reloads_total", {"node": node.name, "result": "rejected"}
        )
        == 1
    )
