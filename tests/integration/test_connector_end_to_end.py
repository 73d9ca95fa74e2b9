"""Connectors and a real gateway together: an agency system POSTs to the webhook, the gateway
routes, the recipient's HTTP sink delivers to the recipient's system."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bus.settings import Settings
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from schemas.examples import example_json
from tests.connectorharness import CITY_KEY, DOCUMENT, WARD, AgencyApp, webhook_config
from tests.gatewayharness import PrivateNode, running_gateway

CITY = "000.00.01.H24"
ROUTES = """
routes:
  - name: city-documents-to-wards
    types: [vn.gov.document.sent.v1]
    from: [000.00.01.H24]
    to: [under 000.00.00.H24]
"""


async def test_document_posted_by_the_city_reaches_the_ward_system_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Twenty documents POSTed by the city's system for a ward each reach the ward's system
    once, with the event id the webhook answered as Idempotency-Key."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    await node.create(node.topic(DOCUMENT.event_type), node.inbox(WARD))
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    webhook = webhook_config(node.name, kafka_bootstrap)
    agency = AgencyApp()
    sink = HttpSinkConfig.model_validate(
        {"name": "ward-dms", "node": node.name, "agency": WARD, "url": f"{agency.url}/inbox"}
    )
    answered = []
    async with (
        running_gateway(config),
        run_connector(webhook, settings) as ingress,
        agency.serve(),
        run_connector(sink.model_copy(update={"url": f"{agency.url}/inbox"}), settings),
        httpx.AsyncClient() as client,
    ):
        for number in range(20):
            document = example_json(DOCUMENT) | {
                "documentId": f"{CITY},2026/11/20,{number}/UBND-VP",
                "codeNumber": str(number),
                "codeNotation": "UBND-VP",
                "sender": {"code": CITY, "name": "Văn phòng UBND thành phố Hà Nội"},
                "recipients": [{"code": WARD, "name": "UBND phường Phúc Xá"}],
            }
            response = await client.post(
                f"http://127.0.0.1:{ingress.port}/events/document.sent",
                json=document,
                headers={"X-Api-Key": CITY_KEY},
            )
            assert response.status_code == 202, response.text
            answered.append(response.json()["id"])
        async with asyncio.timeout(60):
            while len(agency.received) < len(answered):  # noqa: ASYNC110 (nothing to await)
                await asyncio.sleep(0.1)
    assert set(agency.received) == set(answered)
    assert agency.duplicates == 0
    assert {e["source"] for e in agency.received.values()} == {CITY}
