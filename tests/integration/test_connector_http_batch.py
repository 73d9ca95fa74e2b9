"""The HTTP sink's batch mode against a real broker and a real agency application."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from bus.settings import Settings
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from schemas.envelope import Envelope
from schemas.parking import read_park_info
from tests.connectorharness import AgencyApp, publish_dossiers, wait_for_records
from tests.integration.test_connector_http_sink import _inbox, _until, sink_config


def batch_config(node: str, bootstrap: str, url: str) -> HttpSinkConfig:
    return sink_config(node, bootstrap, url, batch={"url": f"{url}/batch", "max_records": 50})


async def test_records_go_out_in_batches_each_key_in_order(kafka_bootstrap: str) -> None:
    """600 records of 60 dossiers (ten statuses each) reach the agency in batches of at most
    50, once each, and each dossier's records arrive in the order they were published."""
    node, inbox = await _inbox(kafka_bootstrap, partitions=3)
    codes = [f"H24.22-{i % 60:04d}" for i in range(600)]
    ids = await publish_dossiers(kafka_bootstrap, inbox, codes)
    registry = CollectorRegistry()
    async with AgencyApp().serve() as agency:
        config = batch_config(node, kafka_bootstrap, agency.url)
        async with run_connector(config, Settings(), registry=registry):
            await _until(lambda: len(agency.received) == len(ids))
    assert agency.duplicates == 0 and not agency.requests  # nothing went to /inbox alone
    assert max(agency.batch_sizes) <= 50 and len(agency.batch_sizes) < len(ids) / 5
    for code in set(codes):
        published = [i for i, c in zip(ids, codes, strict=True) if c == code]
        arrived = [i for i in agency.arrivals if i in set(published)]
        assert arrived == published, code
    delivered = registry.get_sample_value(
        "lgsp_connector_records_total", {"connector": "dms", "outcome": "delivered"}
    )
    assert delivered == len(ids)


async def test_a_record_refused_inside_a_batch_is_parked_alone(kafka_bootstrap: str) -> None:
    """The target refuses one record of a batch in its per-record answer: that record is
    parked with the target's reason and every other record is delivered."""
    node, inbox = await _inbox(kafka_bootstrap, partitions=1)
    codes = [f"H24.22-{i:04d}" for i in range(40)]
    ids = await publish_dossiers(kafka_bootstrap, inbox, codes)
    agency = AgencyApp(refuse={"H24.22-0007"})
    async with (
        agency.serve(),
        run_connector(batch_config(node, kafka_bootstrap, agency.url), Settings()),
    ):
        parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dms"), 1)
        await _until(lambda: len(agency.received) == len(ids) - 1)
    assert ids[7] not in agency.received
    info = read_park_info(parked[0].headers)
    assert info is not None and info.code == "LGSP-CONN-TARGET-REJECTED"
    assert "unknown procedure" in info.reason
    assert Envelope.from_headers(parked[0].headers).id == ids[7]


async def test_a_batch_refused_as_a_whole_is_sent_record_by_record(kafka_bootstrap: str) -> None:
    """A target that refuses a batch without saying which record it objects to gets each of
    its records alone: only the bad one is parked."""
    node, inbox = await _inbox(kafka_bootstrap, partitions=1)
    ids = await publish_dossiers(kafka_bootstrap, inbox, [f"H24.22-{i:04d}" for i in range(20)])
    agency = AgencyApp(refuse={"H24.22-0003"}, batch_answers="whole")
    async with (
        agency.serve(),
        run_connector(batch_config(node, kafka_bootstrap, agency.url), Settings()),
    ):
        parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dms"), 1)
        await _until(lambda: len(agency.received) == len(ids) - 1)
    assert Envelope.from_headers(parked[0].headers).id == ids[3]
    assert len(agency.requests) >= len(ids) - 1  # the refused batch's records went alone


async def test_a_busy_target_gets_the_whole_batch_again(kafka_bootstrap: str) -> None:
    """503 with Retry-After for a whole batch: its records are sent again, none lost or
    delivered twice."""
    node, inbox = await _inbox(kafka_bootstrap, partitions=1)
    ids = await publish_dossiers(kafka_bootstrap, inbox, [f"H24.22-{i:04d}" for i in range(30)])
    agency = AgencyApp(fail_next=2, retry_after="0")
    async with (
        agency.serve(),
        run_connector(batch_config(node, kafka_bootstrap, agency.url), Settings()),
    ):
        await _until(lambda: len(agency.received) == len(ids))
    assert agency.duplicates == 0 and len(agency.batch_sizes) >= 3
