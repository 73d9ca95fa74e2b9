"""The example node of deploy/config starts with the commands the systemd units, compose and
Kubernetes run: the gateway becomes ready on its admin API and the webhook answers /health;
both stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path

import httpx

from bus.adminauth import hash_admin_token
from bus.localkafka.layout import free_port
from tests.deployfiles import BIN, DEPLOY

CONFIG = DEPLOY / "config"


def _copy(source: Path, target: Path, node: str, ports: dict[int, int]) -> Path:
    """The example file for a node of its own (topics of this test only) on free ports."""
    text = source.read_text().replace("hanoi", node)
    for port, free in ports.items():
        text = text.replace(f"port: {port}", f"port: {free}")
    text = text.replace("host: 0.0.0.0", "host: 127.0.0.1")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


async def _until_ok(client: httpx.AsyncClient, url: str, timeout_s: float = 90) -> httpx.Response:
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.3)


async def test_the_example_gateway_and_webhook_start_and_stop_cleanly(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """`lgsp gateway run --config node.yaml` and `lgsp connector run hanoi-webhook.yaml` on the
    shipped files: /readyz (the gateway's, and the webhook's on its metrics port) and /health
    answer 200, /metrics lists the example's two routes, /admin/routes answers only the
    operator token whose hash LGSP_ADMIN_TOKENS holds, SIGTERM ends both with status 0."""
    node = f"ex{uuid.uuid4().hex[:8]}"
    admin, webhook, metrics = free_port(), free_port(), free_port()
    node_yaml = _copy(CONFIG / "node.yaml", tmp_path / "node.yaml", node, {8091: admin})
    _copy(CONFIG / "routes.yaml", tmp_path / "routes.yaml", node, {})
    connector = _copy(
        CONFIG / "connectors" / "hanoi-webhook.yaml",
        tmp_path / "connectors" / "webhook.yaml",
        node,
        {8080: webhook, 9102: metrics},
    )
    token = "example-node-operator-token"
    tokens = [{"name": "ops", "role": "operator", "token_sha256": hash_admin_token(token)}]
    env = os.environ | {
        "LGSP_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "LGSP_LOG_LEVEL": "WARNING",
        "LGSP_ADMIN_TOKENS": json.dumps(tokens),
    }
    lgsp = str(BIN / "lgsp")
    processes = [
        await asyncio.create_subprocess_exec(
            lgsp, *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        for args in (
            ["gateway", "run", "--config", str(node_yaml)],
            ["connector", "run", str(connector)],
        )
    ]
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            ready = await _until_ok(client, f"http://127.0.0.1:{admin}/readyz")
            assert ready.json()["node"] == node
            assert (await client.get(f"http://127.0.0.1:{admin}/healthz")).status_code == 200
            exported = (await client.get(f"http://127.0.0.1:{admin}/metrics")).text
            assert f'lgsp_gateway_routes{{node="{node}"}} 2.0' in exported
            routes = f"http://127.0.0.1:{admin}/admin/routes"
            assert (await client.get(routes)).status_code == 401
            bearer = {"Authorization": f"Bearer {token}"}
            assert len((await client.get(routes, headers=bearer)).json()) == 2
            await _until_ok(client, f"http://127.0.0.1:{webhook}/health")
            await _until_ok(client, f"http://127.0.0.1:{metrics}/metrics")
            connected = await _until_ok(client, f"http://127.0.0.1:{metrics}/readyz")
            assert connected.json()["connector"] == f"{node}-webhook"
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        results = [await asyncio.wait_for(p.communicate(), 60) for p in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode(errors="replace")[-2000:]
