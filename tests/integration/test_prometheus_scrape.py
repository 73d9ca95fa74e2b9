"""A real Prometheus (Debian package) scrapes a running gateway and answers queries about it
through its HTTP API, with the project's alert rules loaded."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import httpx

from bus.httpserver import http_server
from gateway.admin import admin_app
from tests.dashboards import as_prometheus_query, dashboard_expressions
from tests.gatewayharness import (
    DOSSIER,
    PORTAL_ROUTES,
    PrivateNode,
    make_event,
    publish,
    read_all,
    running_gateway,
)

RULES = Path(__file__).parent.parent.parent / "deploy" / "prometheus" / "lgsp-*-rules.yml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _query(client: httpx.AsyncClient, expr: str) -> list[dict[str, object]]:
    body = (await client.get("/api/v1/query", params={"query": expr})).json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


async def test_prometheus_scrapes_the_gateway_and_loads_the_rules(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Records routed by the gateway show up in Prometheus as lgsp_gateway_records_out_total."""
    prometheus = shutil.which("prometheus")
    assert prometheus, (
        "prometheus is not installed (Debian package prometheus); .ci/run installs it"
    )
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(PORTAL_ROUTES)
    portal = f"lgsp.{node.name}.inbox.portal"
    await node.create(portal)
    admin_port, prom_port = _free_port(), _free_port()
    (tmp_path / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{RULES}"]
scrape_configs:
  - job_name: lgsp-gateway
    static_configs: [{{targets: ["127.0.0.1:{admin_port}"]}}]
""")
    server = await asyncio.create_subprocess_exec(
        prometheus,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with (
            running_gateway(config) as gateway,
            http_server(admin_app(gateway), "127.0.0.1", admin_port),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{prom_port}", timeout=5) as client,
        ):
            events = [make_event("dossier.status", source="000.01.02.H24") for _ in range(7)]
            await publish(kafka_bootstrap, node.topic(DOSSIER), events)
            await read_all(kafka_bootstrap, [portal], expected=7, settle_s=0)
            expr = f'sum(lgsp_gateway_records_out_total{{node="{node.name}"}})'
            routed: list[dict[str, object]] = []
            for _ in range(100):
                try:
                    routed = await _query(client, expr)
                except httpx.TransportError:
                    routed = []  # Prometheus still starting
                if routed and routed[0]["value"][1] == "7":  # type: ignore[index]
                    break
                await asyncio.sleep(0.3)
            up = await _query(client, 'up{job="lgsp-gateway"}')
            lag_expr = f'count(lgsp_gateway_consumer_lag_records{{node="{node.name}"}} == 0)'
            lag: list[dict[str, object]] = []
            for _ in range(30):  # partitions that routed report their lag: 0 once all is routed
                lag = await _query(client, lag_expr)
                if lag and int(lag[0]["value"][1]) >= 1:  # type: ignore[index]
                    break
                await asyncio.sleep(0.5)
            for _title, expr in dashboard_expressions():  # every panel parses and evaluates
                await _query(client, as_prometheus_query(expr))
            groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
    assert routed and routed[0]["value"][1] == "7"  # type: ignore[index]
    assert up and up[0]["value"][1] == "1"  # type: ignore[index]
    assert lag and int(lag[0]["value"][1]) >= 1  # type: ignore[index]
    assert {rule["name"] for group in groups for rule in group["rules"]} >= {
        "LgspGatewayDown",
        "LgspDeadLettersGrowing",
        "LgspLinkStalled",
        "LgspTrustRegistryStale",
    }
