"""Retries, ordering per key through a retry, dead letters and dedup, on the real broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from tests import gatewayharness as gh

ROUTES = gh.PORTAL_ROUTES


def _dossier(code: str, status: int) -> tuple:  # type: ignore[type-arg]
    return gh.make_event(
        "dossier.status",
        source="000.01.02.H24",
        changes={"dossierCode": code, "statusCode": status},
    )


async def test_a_missing_destination_is_retried_then_delivered(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The portal inbox does not exist yet: the record waits in the retry tier and is
    delivered once ops create the topic; nothing reaches the DLQ."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES, tiers=("3s", "30s"))
    portal = f"lgsp.{node.name}.inbox.portal"
    event = _dossier("H24.22-261118-0100", 2)
    async with gh.running_gateway(config) as gateway:
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), [event])
        waiting = await gh.read_all(
            kafka_bootstrap, [node.topic(gh.DOSSIER) + ".retry.3s"], expected=1, settle_s=0
        )
        assert gh.headers_of(waiting[0])["lgsp-park-code"] == "LGSP-GW-DEST-MISSING"
        assert gh.headers_of(waiting[0])["lgsp-attempts"] == "1"
        await ensure_topics(kafka_bootstrap, [TopicSpec(portal, 3)])
        delivered = await gh.read_all(kafka_bootstrap, [portal], expected=1, timeout_s=30)
        dead = await gh.read_all(
            kafka_bootstrap, [node.topic(gh.DOSSIER) + ".dlq"], expected=0, settle_s=0.5
        )
        retries = gateway.registry.get_sample_value(
            "lgsp_gateway_retries_total",
            {"node": node.name, "code": "LGSP-GW-DEST-MISSING", "event_type": gh.DOSSIER},
        )
    assert [gh.headers_of(r)["ce_id"] for r in delivered] == [event[0].id]
    assert "lgsp-park-code" not in gh.headers_of(delivered[0])
    assert dead == [] and retries == 1


async def test_retries_exhausted_go_to_the_dead_letter_topic(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """After the last tier the record is dead-lettered with its attempts and first failure."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES, tiers=("1s", "2s"))
    event = _dossier("H24.22-261118-0101", 2)
    async with gh.running_gateway(config):
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), [event])
        dead = await gh.read_all(
            kafka_bootstrap, [node.topic(gh.DOSSIER) + ".dlq"], expected=1, timeout_s=30
        )
    headers = gh.headers_of(dead[0])
    assert headers["lgsp-park-code"] == "LGSP-GW-RETRIES-EXHAUSTED"
    assert headers["lgsp-attempts"] == "2" and headers["ce_attempt"] == "2"
    assert headers["lgsp-original-topic"] == node.topic(gh.DOSSIER)
    assert "lgsp-first-failure" in headers and "does not exist" in headers["lgsp-park-reason"]
    assert (
        dead[0].value is not None
        and gh.CODEC.decode(dead[0].value)["dossierCode"] == "H24.22-261118-0101"
    )


async def test_a_dossier_waiting_to_retry_holds_its_later_statuses_back(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Order per key survives a retry: statuses 3 and 4 of a dossier whose status 2 waits in a
    retry tier are not delivered before it, while another dossier flows freely."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES, tiers=("4s", "30s"))
    portal = f"lgsp.{node.name}.inbox.portal"
    waiting_dossier, free_dossier = "H24.22-261118-0200", "H24.22-261118-0201"
    async with gh.running_gateway(config):
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), [_dossier(waiting_dossier, 2)])
        await gh.read_all(
            kafka_bootstrap, [node.topic(gh.DOSSIER) + ".retry.4s"], expected=1, settle_s=0
        )
        await ensure_topics(kafka_bootstrap, [TopicSpec(portal, 3)])
        await asyncio.sleep(2.5)  # the gateway sees the new topic before the head is due
        later = [
            _dossier(waiting_dossier, 3),
            _dossier(free_dossier, 2),
            _dossier(waiting_dossier, 4),
        ]
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), later)
        delivered = await gh.read_all(kafka_bootstrap, [portal], expected=4, timeout_s=40)
    statuses = [
        (
            gh.CODEC.decode(r.value or b"")["dossierCode"],
            gh.CODEC.decode(r.value or b"")["statusCode"],
        )
        for r in sorted(delivered, key=lambda r: r.timestamp)
    ]
    assert [s for code, s in statuses if code == waiting_dossier] == [2, 3, 4]
    assert statuses[0] == (free_dossier, 2)  # it did not wait behind the other dossier
    assert len(delivered) == 4


async def test_a_record_already_routed_is_dropped_and_counted(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Dedup: the same ce_id published twice is routed once; the duplicate is counted."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    portal = f"lgsp.{node.name}.inbox.portal"
    await node.create(portal)
    event = _dossier("H24.22-261118-0300", 2)
    async with gh.running_gateway(config) as gateway:
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), [event])
        await gh.read_all(kafka_bootstrap, [portal], expected=1, settle_s=0)
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), [event])
        delivered = await gh.read_all(kafka_bootstrap, [portal], expected=2, timeout_s=4)
        duplicates = gateway.registry.get_sample_value(
            "lgsp_gateway_duplicates_total", {"node": node.name, "event_type": gh.DOSSIER}
        )
    assert len(delivered) == 1 and duplicates == 1
