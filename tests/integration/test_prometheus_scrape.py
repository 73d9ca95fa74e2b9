"""A real Prometheus (Debian package) scrapes a running gateway and answers queries about it
through its HTTP API, with the project's alert rules loaded."""

from __future__ import annotations

from pathlib import Path

from bus.httpserver import http_server
from bus.localkafka.layout import free_port
from gateway.ops.admin import admin_app
from tests import gatewayharness as gh
from tests.dashboards import as_prometheus_query, dashboard_expressions
from tests.prometheusharness import query, query_until, running_prometheus


async def test_prometheus_scrapes_the_gateway_and_loads_the_rules(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Records routed by the gateway show up in Prometheus as lgsp_gateway_records_out_total."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(gh.PORTAL_ROUTES)
    portal = f"lgsp.{node.name}.inbox.portal"
    await node.create(portal)
    admin_port = free_port()
    async with (
        running_prometheus(tmp_path, {"lgsp-gateway": [f"127.0.0.1:{admin_port}"]}) as client,
        gh.running_gateway(config) as gateway,
        http_server(admin_app(gateway), "127.0.0.1", admin_port),
    ):
        events = [gh.make_event("dossier.status", source="000.01.02.H24") for _ in range(7)]
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), events)
        await gh.read_all(kafka_bootstrap, [portal], expected=7, settle_s=0)
        routed = await query_until(
            client,
            f'sum(lgsp_gateway_records_out_total{{node="{node.name}"}})',
            lambda result: bool(result) and result[0]["value"][1] == "7",
        )
        up = await query(client, 'up{job="lgsp-gateway"}')
        # partitions that routed report their lag: 0 once all is routed
        lag = await query_until(
            client,
            f'count(lgsp_gateway_consumer_lag_records{{node="{node.name}"}} == 0)',
            lambda result: bool(result) and int(result[0]["value"][1]) >= 1,
            timeout_s=15,
        )
        for _title, expr in dashboard_expressions():  # every panel parses and evaluates
            await query(client, as_prometheus_query(expr))
        groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
    assert routed and routed[0]["value"][1] == "7"
    assert up and up[0]["value"][1] == "1"
    assert lag and int(lag[0]["value"][1]) >= 1
    assert {rule["name"] for group in groups for rule in group["rules"]} >= {
        "LgspGatewayDown",
        "LgspDeadLettersGrowing",
        "LgspLinkStalled",
        "LgspTrustRegistryStale",
        "LgspDeliverySlaBreached",
        "node_agency_connector:lgsp_connector_deliveries_late:ratio_rate30m",
        "LgspOnTimeRatioLow",
    }
