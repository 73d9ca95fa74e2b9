"""The national portal sink (kind dvcqg-sink) against a real broker and a portal application
speaking DVCQG's field names on loopback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.dvcqg.sink import DvcqgSinkConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from lgsp.demo.dvcqg_portal import DvcqgPortal, PortalFaults
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.parking import read_park_info
from schemas.topics import inbox_topic
from tests.connectorharness import private_node, wait_for_records

DOSSIER = bundled_catalog().get("dossier.status", 1)
PORTAL_SYSTEM = "000.00.10.G22"
CODEC = AvroCodec()
RECEIVED = datetime(2026, 11, 18, 1, 30, tzinfo=UTC)


def _status(code: str, status: int, minutes: int) -> dict[str, Any]:
    changed = RECEIVED + timedelta(minutes=minutes)
    return example_json(DOSSIER) | {
        "dossierCode": code,
        "statusCode": status,
        "previousStatusCode": None,
        "receivedAt": RECEIVED.isoformat(),
        "finishedAt": None,
        "returnedAt": None,
        "changedAt": changed.isoformat(),
        "step": {"handlerName": "Phạm Thu Hà", "title": None, "department": None, "note": "x"},
    }


async def _publish(bootstrap: str, topic: str, statuses: list[dict[str, Any]]) -> list[str]:
    ids = []
    async with KafkaPublisher(bootstrap) as publisher:
        futures = []
        for status in statuses:
            code = status["dossierCode"]
            envelope = Envelope.new(
                source="000.01.02.H24",
                type=DOSSIER.event_type,
                subject=code,
                dataschema=DOSSIER.dataschema,
            )
            value = CODEC.encode(DOSSIER, from_json(DOSSIER, status))
            record = OutgoingRecord(topic, value, code.encode(), envelope.to_headers())
            futures.append(await publisher.enqueue(record))
            ids.append(envelope.id)
        await asyncio.gather(*futures)
    return ids


async def _inbox(bootstrap: str) -> tuple[str, str]:
    node = private_node()
    inbox = inbox_topic(node, PORTAL_SYSTEM)
    await ensure_topics(bootstrap, [TopicSpec(inbox, 2)])
    return node, inbox


def _config(node: str, bootstrap: str, portal: DvcqgPortal, **extra: Any) -> DvcqgSinkConfig:
    return DvcqgSinkConfig.model_validate(
        extra
        | {
            "name": "dvcqg",
            "node": node,
            "agency": PORTAL_SYSTEM,
            "bootstrap_servers": bootstrap,
            "service_url": portal.service_url,
            "login_url": portal.login_url,
            "username": portal.username,
            "password": portal.password,
            "retry": {"initial_backoff_s": 0.05, "max_backoff_s": 0.2},
        }
    )


async def _until(condition: Any, timeout_s: float = 30) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 (the portal offers nothing to await)
            await asyncio.sleep(0.05)


async def test_statuses_of_a_dossier_update_it_and_never_duplicate_it(
    kafka_bootstrap: str,
) -> None:
    """Three statuses of one dossier and one of another: each dossier is stored once (first
    sync new, then updates decided by TraCuuHoSo), with its latest status, dates in the
    portal's form, and one progress step per status sent after its sync."""
    node, inbox = await _inbox(kafka_bootstrap)
    statuses = [_status("H24.22-A", s, m) for s, m in ((1, 0), (2, 10), (4, 20))]
    await _publish(kafka_bootstrap, inbox, [*statuses, _status("H24.22-B", 2, 5)])
    portal = DvcqgPortal()
    async with portal.serve(), run_connector(_config(node, kafka_bootstrap, portal), Settings()):
        await _until(lambda: len(portal.steps.get("H24.22-A", {})) == 3 and portal.syncs == 4)
    assert (portal.created, portal.updated, portal.duplicated) == (2, 2, 0)
    latest = portal.latest("H24.22-A")
    assert latest is not None
    assert latest["TrangThaiHoSo"] == 4
    assert latest["NgayTiepNhan"] == "20261118083000"  # 01:30 UTC is 08:30 in Hà Nội
    assert portal.logins == 1
    calls = [service for service, code in portal.calls if code == "H24.22-A"]
    assert calls == ["TraCuuHoSo", "DongBoHoSoMC", "CapNhatTienDoHoSoMC"] * 3
    assert sorted(portal.steps["H24.22-A"]) == [
        ("20261118083000", 1),
        ("20261118084000", 2),
        ("20261118085000", 4),
    ]


async def test_a_sync_whose_reply_was_lost_is_retried_as_an_update(kafka_bootstrap: str) -> None:
    """The portal stores the first sync but its reply is lost (504): the retry looks the
    dossier up, finds it and updates it; the progress step is sent only after a sync that
    succeeded, and the dossier exists once."""
    node, inbox = await _inbox(kafka_bootstrap)
    await _publish(kafka_bootstrap, inbox, [_status("H24.22-LOST", 2, 0)])
    portal = DvcqgPortal(faults=PortalFaults(lose_sync_reply=1))
    registry = CollectorRegistry()
    async with portal.serve():
        config = _config(node, kafka_bootstrap, portal)
        async with run_connector(config, Settings(), registry=registry):
            await _until(lambda: "H24.22-LOST" in portal.steps)
    assert (portal.created, portal.updated, portal.duplicated) == (1, 1, 0)
    assert [service for service, _ in portal.calls] == [
        "TraCuuHoSo",
        "DongBoHoSoMC",
        "TraCuuHoSo",
        "DongBoHoSoMC",
        "CapNhatTienDoHoSoMC",
    ]
    retried = registry.get_sample_value(
        "lgsp_connector_retries_total",
        {"connector": "dvcqg", "code": "LGSP-CONN-TARGET-UNAVAILABLE"},
    )
    assert retried == 1


async def test_expired_session_logs_in_again_and_busy_answers_are_retried(
    kafka_bootstrap: str,
) -> None:
    """After the portal forgets every session the sink logs in again; a 503 and two "99 busy"
    answers are retried with back-off; every dossier still arrives once."""
    node, inbox = await _inbox(kafka_bootstrap)
    portal = DvcqgPortal()
    registry = CollectorRegistry()
    async with portal.serve():
        config = _config(node, kafka_bootstrap, portal)
        async with run_connector(config, Settings(), registry=registry):
            await _publish(kafka_bootstrap, inbox, [_status("H24.22-S1", 2, 0)])
            await _until(lambda: "H24.22-S1" in portal.steps)
            portal.expire_sessions()
            portal.faults.unavailable, portal.faults.busy = 1, 2
            await _publish(kafka_bootstrap, inbox, [_status("H24.22-S2", 2, 0)])
            await _until(lambda: "H24.22-S2" in portal.steps)
    assert portal.logins == 2
    assert (portal.created, portal.duplicated) == (2, 0)
    busy = registry.get_sample_value(
        "lgsp_connector_retries_total",
        {"connector": "dvcqg", "code": "LGSP-CONN-PORTAL-UNAVAILABLE"},
    )
    assert busy == 2


async def test_a_refused_dossier_is_parked_with_the_portal_code_and_message(
    kafka_bootstrap: str,
) -> None:
    """The portal refuses one dossier with error_code 01: it is parked with
    LGSP-CONN-PORTAL-REFUSED, the portal's code and message in the reason, no progress step
    is sent for it, and the next dossier is synchronised."""
    node, inbox = await _inbox(kafka_bootstrap)
    ids = await _publish(
        kafka_bootstrap, inbox, [_status("H24.22-BAD", 2, 0), _status("H24.22-OK", 2, 0)]
    )
    portal = DvcqgPortal(faults=PortalFaults(refuse={"H24.22-BAD"}))
    async with portal.serve(), run_connector(_config(node, kafka_bootstrap, portal), Settings()):
        parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dvcqg"), 1)
        await _until(lambda: "H24.22-OK" in portal.steps)
    info = read_park_info(parked[0].headers)
    assert info is not None
    assert info.code == "LGSP-CONN-PORTAL-REFUSED"
    assert "error_code 01" in info.reason and "thủ tục không thuộc đơn vị" in info.reason
    assert Envelope.from_headers(parked[0].headers).id == ids[0]
    assert "H24.22-BAD" not in portal.steps and "H24.22-BAD" not in portal.dossiers


async def test_a_look_up_that_answers_not_found_with_a_code_syncs_the_dossier_as_new(
    kafka_bootstrap: str,
) -> None:
    """A portal whose TraCuuHoSo answers an unknown dossier with error_code "04" (set in
    not_found_codes): the first status is sent as new, the second as an update; without the
    setting, the same answer parks the record as a refusal."""
    node, inbox = await _inbox(kafka_bootstrap)
    await _publish(kafka_bootstrap, inbox, [_status("H24.22-NF", 1, 0), _status("H24.22-NF", 2, 5)])
    portal = DvcqgPortal(not_found_code="04")
    async with (
        portal.serve(),
        run_connector(_config(node, kafka_bootstrap, portal, not_found_codes=["04"]), Settings()),
    ):
        await _until(lambda: len(portal.steps.get("H24.22-NF", {})) == 2)
    assert (portal.created, portal.updated, portal.duplicated) == (1, 1, 0)
    node, inbox = await _inbox(kafka_bootstrap)
    await _publish(kafka_bootstrap, inbox, [_status("H24.22-NF2", 1, 0)])
    strict = DvcqgPortal(not_found_code="04")
    async with strict.serve(), run_connector(_config(node, kafka_bootstrap, strict), Settings()):
        [parked] = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "dvcqg"), 1)
    info = read_park_info(parked.headers)
    assert info is not None and "TraCuuHoSo: portal error_code 04" in info.reason
    assert strict.syncs == 0
