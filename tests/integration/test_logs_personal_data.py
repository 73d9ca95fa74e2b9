"""The logs of a full run (gateway routing and parking, an HTTP sink delivering and parking)
hold no citizen's CCCD number or phone number, and every line about a record names it by
ce_id and trace id."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from bus.logging import configure_logging
from bus.settings import Settings
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from schemas.topics import event_topic
from tests.connectorharness import WARD, AgencyApp, wait_for_records
from tests.gatewayharness import (
    DOSSIER,
    PrivateNode,
    make_event,
    publish,
    route_yaml,
    routes_yaml,
    running_gateway,
)

ROUTES = routes_yaml(route_yaml("dossiers-to-ward", "lgsp.NODE.inbox.000-01-02-h24"))
OUTSIDER = "000.00.01.H29"  # UBND quận 1, Hồ Chí Minh City: no route lets it send here
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# a CCCD is 12 digits starting with the province code (001-096); a mobile number 10 digits
CCCD = re.compile(r"(?<![0-9A-Za-z])0\d{11}(?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9A-Za-z])0\d{9}(?![0-9A-Za-z])")
RECORD_EVENTS = {"sink_record_parked", "sink_delivered"}


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Every log line of the test as the processes write them: JSON, at DEBUG."""
    stream = io.StringIO()
    root, aiokafka = logging.getLogger(), logging.getLogger("aiokafka")
    saved = root.handlers[:], root.level, aiokafka.level
    configure_logging("DEBUG", stream=stream, json=True)
    yield stream
    root.handlers[:], level, aiokafka_level = saved
    root.setLevel(level)
    aiokafka.setLevel(aiokafka_level)
    structlog.reset_defaults()


def _dossier(number: int, source: str) -> tuple[Any, str, str, str]:
    """A dossier event whose owner has a CCCD and phone of their own; returns them too."""
    owner = example_record(bundled_catalog().get("dossier.status"))["owner"]
    cccd, phone, code = f"00119{number:07d}", f"09{number:08d}", f"H24.22-261123-{number:04d}"
    event = make_event(
        "dossier.status",
        source=source,
        changes={"dossierCode": code, "owner": owner | {"idNumber": cccd, "phone": phone}},
    )
    return event, code, cccd, phone


async def test_a_full_run_logs_no_cccd_or_phone_and_binds_every_record_line(
    kafka_bootstrap: str, tmp_path: Path, log_stream: io.StringIO
) -> None:
    """30 dossiers with CCCD and phone: 24 routed to a ward's system (4 of them refused and
    parked by its sink), 6 from another province parked by the gateway. No log line holds a
    CCCD or phone (of these records or any), and each line about a record carries its ce_id
    and trace id."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    await node.create(node.topic(DOSSIER), node.inbox(WARD))
    dossiers = [_dossier(n, "000.01.02.H24") for n in range(24)]
    dossiers += [_dossier(n, OUTSIDER) for n in range(24, 30)]
    refused = {code for _, code, _, _ in dossiers[:4]}
    agency = AgencyApp(refuse=refused)
    sink = HttpSinkConfig.model_validate(
        {"name": "ward-dms", "node": node.name, "agency": WARD, "url": "http://unset"}
    )
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    gateway_dlq = str(event_topic(node.name, DOSSIER).dlq())
    sink_dlq = f"lgsp.{node.name}.connector.ward-dms.dlq"
    async with (
        running_gateway(config),
        agency.serve(),
        run_connector(sink.model_copy(update={"url": f"{agency.url}/inbox"}), settings),
    ):
        await publish(kafka_bootstrap, node.topic(DOSSIER), [d[0] for d in dossiers])
        await wait_for_records(kafka_bootstrap, gateway_dlq, 6)
        await wait_for_records(kafka_bootstrap, sink_dlq, 4)
        async with asyncio.timeout(60):
            while len(agency.received) < 20:  # noqa: ASYNC110 (an HTTP server to wait on)
                await asyncio.sleep(0.1)
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert len(lines) > 20, "the run logged almost nothing: is logging captured?"
    text = UUID.sub("<uuid>", log_stream.getvalue())
    for _event, code, cccd, phone in dossiers:
        leaks = [line for line in text.splitlines() if cccd in line or phone in line]
        assert not leaks, f"personal data of dossier {code} logged: {leaks[:3]}"
    assert not CCCD.findall(text), CCCD.findall(text)
    assert not PHONE.findall(text), PHONE.findall(text)
    ids = {event[0].id: event[0] for event, *_ in dossiers}
    about_records = [
        line
        for line in lines
        if line.get("event") in RECORD_EVENTS
        or "ce_id" in line
        or any(code in json.dumps(line, ensure_ascii=False) for _, code, _, _ in dossiers)
    ]
    parked = [line for line in about_records if line["event"] == "sink_record_parked"]
    assert len(parked) == 4
    assert len(about_records) >= 24  # the sink's debug line for each delivery, the parked ones
    for line in about_records:
        envelope = ids.get(line.get("ce_id", ""))
        assert envelope is not None, f"line about a record without its ce_id: {line}"
        assert line["trace_id"] == envelope.trace_id, line
