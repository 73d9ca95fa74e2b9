"""The HTTP sink against a real broker and a real agency application on loopback."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from lgsp.cli import app
from schemas.envelope import Envelope
from schemas.parking import read_park_info
from schemas.topics import inbox_topic
from tests.connectorharness import (
    DOCUMENT,
    WARD,
    AgencyApp,
    private_node,
    publish_dossiers,
    wait_for_records,
)


def sink_config(node: str, bootstrap: str, url: str, **extra: Any) -> HttpSinkConfig:
    return HttpSinkConfig.model_validate(
        {
            "name": "dms",
            "node": node,
            "agency": WARD,
            "bootstrap_servers": bootstrap,
            "url": f"{url}/inbox",
            "retry": {"initial_backoff_s": 0.05, "max_backoff_s": 0.2},
            **extra,
        }
    )


async def _inbox(bootstrap: str, partitions: int = 1) -> tuple[str, str]:
    node = private_node()
    inbox = inbox_topic(node, WARD)
    await ensure_topics(bootstrap, [TopicSpec(inbox, partitions)])
    return node, inbox


async def _until(condition: Any, timeout_s: float = 30) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 (the agency app offers nothing to await)
            await asyncio.sleep(0.05)


async def test_every_record_is_delivered_once_with_its_ce_id_as_idempotency_key(
    kafka_bootstrap: str,
) -> None:
    """Records from three partitions all reach the agency as CloudEvents, each with its ce_id
    as Idempotency-Key, and the sink counts them as delivered."""
    node, inbox = await _inbox(kafka_bootstrap, partitions=3)
    ids = await publish_dossiers(kafka_bootstrap, inbox, [f"H24.22-{i:04d}" for i in range(60)])
    registry = CollectorRegistry()
    async with AgencyApp().serve() as agency:
        config = sink_config(node, kafka_bootstrap, agency.url, max_in_flight=8)
        async with run_connector(config, Settings(), registry=registry):
            await _until(lambda: len(agency.received) == len(ids))
    assert set(agency.received) == set(ids)
    event = agency.received[ids[0]]
    assert event["id"] == ids[0]
    assert event["type"] == "vn.gov.dossier.status.v1"
    assert event["data"]["dossierCode"] == "H24.22-0000"
    assert all(r["content-type"] == "application/cloudevents+json" for r in agency.requests)
    delivered = registry.get_sample_value(
        "lgsp_connector_records_total", {"connector": "dms", "outcome": "delivered"}
    )
    assert delivered == len(ids)


async def test_unavailable_target_is_retried_after_its_retry_after(kafka_bootstrap: str) -> None:
    """Two 503 answers with Retry-After: 1 are retried no sooner than a second apart, then the
    record is delivered."""
    node, inbox = await _inbox(kafka_bootstrap)
    [event_id] = await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-retry"])
    async with AgencyApp(fail_next=2, retry_after="1").serve() as agency:
        started = time.monotonic()
        async with run_connector(sink_config(node, kafka_bootstrap, agency.url), Settings()):
            await _until(lambda: event_id in agency.received)
    assert len(agency.requests) == 3
    assert time.monotonic() - started >= 2.0
    assert {r["idempotency-key"] for r in agency.requests} == {event_id}


async def test_refused_record_is_parked_with_its_reason_and_the_rest_flow(
    kafka_bootstrap: str,
) -> None:
    """A 400 parks the record in the sink's DLQ topic with the park headers (code, reason,
    original topic and offset, attempts); the records after it are still delivered."""
    node, inbox = await _inbox(kafka_bootstrap)
    ids = await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-a", "H24.22-bad", "H24.22-c"])
    agency = AgencyApp(refuse={"H24.22-bad"})
    async with (
        agency.serve(),
        run_connector(sink_config(node, kafka_bootstrap, agency.url), Settings()),
    ):
        parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dms"), 1)
        await _until(lambda: len(agency.received) == 2)
    assert set(agency.received) == {ids[0], ids[2]}
    info = read_park_info(parked[0].headers)
    assert info is not None
    assert info.code == "LGSP-CONN-TARGET-REJECTED"
    assert "400" in info.reason and "unknown procedure" in info.reason
    assert (info.original_topic, info.original_offset, info.attempts) == (inbox, 1, 1)
    assert Envelope.from_headers(parked[0].headers).id == ids[1]


async def test_undecodable_and_unaccepted_records_are_parked_with_their_codes(
    kafka_bootstrap: str,
) -> None:
    """A value that is not Avro and an event type the sink does not take are parked with
    LGSP-CODEC-BAD-MAGIC and LGSP-CONN-SCHEMA-MISMATCH; nothing reaches the agency."""
    node, inbox = await _inbox(kafka_bootstrap)
    async with KafkaPublisher(kafka_bootstrap) as publisher:
        dossier = Envelope.new(source=WARD, type="vn.gov.dossier.status.v1")
        await publisher.publish(OutgoingRecord(inbox, b'{"json": 1}', b"k", dossier.to_headers()))
        document = Envelope.new(source=WARD, type=DOCUMENT.event_type)
        await publisher.publish(OutgoingRecord(inbox, b"\xc3\x01", b"d", document.to_headers()))
    async with AgencyApp().serve() as agency:
        config = sink_config(
            node, kafka_bootstrap, agency.url, event_types=["vn.gov.dossier.status.v1"]
        )
        async with run_connector(config, Settings()):
            parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dms"), 2)
    codes = [info.code for r in parked if (info := read_park_info(r.headers))]
    assert codes == ["LGSP-CODEC-BAD-MAGIC", "LGSP-CONN-SCHEMA-MISMATCH"]
    assert agency.requests == []


async def test_retries_end_in_the_dlq_when_max_attempts_is_set(kafka_bootstrap: str) -> None:
    """With max_attempts 3, a target that stays unavailable gets three calls, then the record
    is parked with LGSP-CONN-RETRIES-EXHAUSTED."""
    node, inbox = await _inbox(kafka_bootstrap)
    await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-down"])
    async with AgencyApp(fail_next=100, retry_after="0").serve() as agency:
        config = sink_config(node, kafka_bootstrap, agency.url, retry={"max_attempts": 3})
        async with run_connector(config, Settings()):
            parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dms"), 1)
    info = read_park_info(parked[0].headers)
    assert info is not None and info.code == "LGSP-CONN-RETRIES-EXHAUSTED"
    assert info.attempts == 3 and len(agency.requests) == 3


async def test_stopping_while_the_target_is_down_commits_nothing_undelivered(
    kafka_bootstrap: str,
) -> None:
    """A sink stopped while retrying does not commit past the undelivered record: the next
    run delivers it."""
    node, inbox = await _inbox(kafka_bootstrap)
    [event_id] = await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-later"])
    async with AgencyApp(fail_next=1000, retry_after="0").serve() as agency:
        async with run_connector(sink_config(node, kafka_bootstrap, agency.url), Settings()):
            await _until(lambda: len(agency.requests) >= 2)
        agency.fail_next = 0
        async with run_connector(sink_config(node, kafka_bootstrap, agency.url), Settings()):
            await _until(lambda: event_id in agency.received)


async def test_data_format_sends_the_record_with_ce_headers(kafka_bootstrap: str) -> None:
    """format: data POSTs the record alone as JSON, the CloudEvents attributes as ce-*
    headers, and still the ce_id as Idempotency-Key."""
    node, inbox = await _inbox(kafka_bootstrap)
    [event_id] = await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-plain"])
    async with AgencyApp().serve() as agency:
        config = sink_config(node, kafka_bootstrap, agency.url, format="data")
        async with run_connector(config, Settings()):
            await _until(lambda: event_id in agency.received)
    [request] = agency.requests
    assert request["content-type"] == "application/json"
    assert request["ce-id"] == event_id
    assert request["ce-source"] == WARD
    assert request["ce-type"] == "vn.gov.dossier.status.v1"
    assert agency.received[event_id]["dossierCode"] == "H24.22-plain"


async def test_metrics_are_served_when_metrics_port_is_set(kafka_bootstrap: str) -> None:
    """With metrics_port 0 the sink serves Prometheus /metrics on a free port, counting what
    it delivered."""
    node, inbox = await _inbox(kafka_bootstrap)
    [event_id] = await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-metrics"])
    async with AgencyApp().serve() as agency:
        config = sink_config(node, kafka_bootstrap, agency.url, metrics_port=0)
        async with run_connector(config, Settings()) as running, httpx.AsyncClient() as client:
            await _until(lambda: event_id in agency.received)
            text = (await client.get(f"http://127.0.0.1:{running.metrics_port}/metrics")).text
    assert 'lgsp_connector_records_total{connector="dms",outcome="delivered"} 1.0' in text
    assert "lgsp_connector_in_flight_records" in text


def test_parked_command_lists_code_reason_and_origin(kafka_bootstrap: str, tmp_path: Path) -> None:
    """`lgsp connector parked FILE --output json` lists each parked record with its ce_id, code,
    reason and original position, and no record value."""

    async def park_one() -> tuple[str, str, str]:
        node, inbox = await _inbox(kafka_bootstrap)
        [event_id] = await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-bad"])
        async with AgencyApp(refuse={"H24.22-bad"}).serve() as agency:
            config = sink_config(node, kafka_bootstrap, agency.url)
            async with run_connector(config, Settings()):
                await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dms"), 1)
        return node, inbox, event_id

    node, inbox, event_id = asyncio.run(park_one())
    path = tmp_path / "dms.yaml"
    path.write_text(
        f"kind: http-sink\nname: dms\nnode: {node}\nagency: {WARD}\n"
        f"bootstrap_servers: {kafka_bootstrap}\nurl: http://127.0.0.1:9/inbox\n"
    )
    result = CliRunner().invoke(app, ["connector", "parked", str(path), "--output", "json"])
    assert result.exit_code == 0, result.output
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["ce_id"] == event_id
    assert line["code"] == "LGSP-CONN-TARGET-REJECTED"
    assert line["original"] == f"{inbox}:0:0"
    assert "dossierCode" not in result.stdout


async def test_in_flight_deliveries_are_bounded_and_each_key_stays_in_order(
    kafka_bootstrap: str,
) -> None:
    """With max_in_flight 3 the agency never sees more than three calls at once, and the ten
    statuses of one dossier arrive in the order they were published."""
    node, inbox = await _inbox(kafka_bootstrap, partitions=1)
    codes = [f"H24.22-{i:03d}" for i in range(12)] + ["H24.22-same"] * 10
    ids = await publish_dossiers(kafka_bootstrap, inbox, codes)
    async with AgencyApp(delay_s=0.1).serve() as agency:
        config = sink_config(node, kafka_bootstrap, agency.url, max_in_flight=3)
        async with run_connector(config, Settings()):
            await _until(lambda: len(agency.received) == len(ids), timeout_s=60)
    assert agency.peak_calls == 3
    arrived = [r["idempotency-key"] for r in agency.requests]
    same = ids[12:]
    assert [i for i in arrived if i in same] == same
