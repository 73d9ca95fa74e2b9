"""Connectors killed mid-stream (SIGKILL, as a crash or an OOM kill does) and restarted: every
record arrives, and the copies a restart makes carry the same ce_id, so the sink side drops
them. And SIGTERM: a graceful stop that leaves nothing to redo."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from connectors.topics import checkpoint_topic
from schemas.envelope import Envelope
from schemas.topics import event_topic, inbox_topic
from tests.connectorharness import (
    DOSSIER,
    WARD,
    AgencyApp,
    dossier_json,
    private_node,
    publish_dossiers,
    read_topic,
    start_connector_process,
    wait_for_records,
    write_config,
)

CHANGES = 300


def poll_config(folder: Path, node: str, url: str) -> Path:
    return write_config(
        folder,
        "poll",
        f"""
kind: http-poll
name: one-stop-shop
node: {node}
agency: {WARD}
url: {url}/changes
subject: dossier.status
record_field: dossier
key_field: dossier.dossierCode
id_field: changeId
max_batch: 10
poll_interval_s: 0.2
""",
    )


def _agency_with_changes() -> AgencyApp:
    # as one-stop-shop systems list them: a change id beside the dossier's new state
    changes = [
        {"changeId": f"c{i}", "dossier": dossier_json(f"H24.22-{i:05d}")} for i in range(CHANGES)
    ]
    return AgencyApp(changes=changes, delay_s=0.03)


@contextlib.asynccontextmanager
async def _source_interrupted(
    bootstrap: str, folder: Path, how: signal.Signals
) -> AsyncIterator[tuple[str, str, int | None]]:
    """A polling source run as a child process, sent ``how`` after 60 of the changes are on
    Kafka, then started again; yields (node, topic, exit status of the first run) while the
    second one runs."""
    node = private_node()
    topic = str(event_topic(node, DOSSIER.event_type))
    await ensure_topics(bootstrap, [TopicSpec(topic, 3)])
    agency = _agency_with_changes()
    async with agency.serve():
        config = poll_config(folder, node, agency.url)
        process = await start_connector_process(config, bootstrap, folder / "log")
        await wait_for_records(bootstrap, topic, 60)
        process.send_signal(how)
        async with asyncio.timeout(30):
            status = await process.wait()
        process = await start_connector_process(config, bootstrap, folder / "log")
        try:
            yield node, topic, status
        finally:
            process.terminate()
            await process.wait()


async def test_killed_poll_source_resumes_from_its_checkpoint_without_loss(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A polling source SIGKILLed mid-stream and restarted publishes every change; a change
    published twice carries the same ce_id both times."""
    async with _source_interrupted(kafka_bootstrap, tmp_path, signal.SIGKILL) as (
        node,
        topic,
        status,
    ):
        assert status == -signal.SIGKILL
        async with asyncio.timeout(120):
            while len(ids := await _ids_by_key(kafka_bootstrap, topic)) < CHANGES:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
    assert set(ids) == {f"H24.22-{i:05d}" for i in range(CHANGES)}
    assert all(len(copies) == 1 for copies in ids.values()), "a re-published copy changed id"
    assert await read_topic(kafka_bootstrap, checkpoint_topic(node, "one-stop-shop"))


async def _ids_by_key(bootstrap: str, topic: str) -> dict[str, set[str]]:
    """The ce_ids published under each key."""
    ids: dict[str, set[str]] = {}
    for record in await read_topic(bootstrap, topic):
        key = (record.key or b"").decode()
        ids.setdefault(key, set()).add(Envelope.from_headers(record.headers).id)
    return ids


async def test_sigterm_stops_a_source_gracefully_with_its_position_saved(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SIGTERM mid-stream: the source exits 0 after saving its position, and its next run
    publishes no change twice."""
    async with _source_interrupted(kafka_bootstrap, tmp_path, signal.SIGTERM) as (_, topic, status):
        assert status == 0
        await wait_for_records(kafka_bootstrap, topic, CHANGES, timeout_s=120)
        await asyncio.sleep(1)  # time for a copy, if any, to show up
        records = await read_topic(kafka_bootstrap, topic)
    keys = Counter(r.key for r in records)
    assert len(keys) == CHANGES
    assert max(keys.values()) == 1, "a change was published twice after a graceful stop"


async def test_killed_http_sink_delivers_everything_and_the_target_drops_copies(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """An HTTP sink SIGKILLed mid-stream and restarted delivers every record; what it
    delivered again carries the same Idempotency-Key, so the agency keeps one of each. Its
    JSON log lines carry the ce_id and trace id of the record they are about."""
    node = private_node()
    inbox = inbox_topic(node, WARD)
    await ensure_topics(kafka_bootstrap, [TopicSpec(inbox, 3)])
    ids = await publish_dossiers(kafka_bootstrap, inbox, [f"H24.22-{i:04d}" for i in range(200)])
    agency = AgencyApp(delay_s=0.02, fail_next=1, retry_after="0")
    async with agency.serve():
        config = write_config(
            tmp_path,
            "sink",
            f"""
kind: http-sink
name: dms
node: {node}
agency: {WARD}
url: {agency.url}/inbox
max_in_flight: 4
max_batch: 50
""",
        )
        process = await start_connector_process(config, kafka_bootstrap, tmp_path / "log")
        async with asyncio.timeout(60):
            while len(agency.received) < 50:  # noqa: ASYNC110 (nothing to await in the app)
                await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        process = await start_connector_process(config, kafka_bootstrap, tmp_path / "log")
        try:
            async with asyncio.timeout(120):
                while len(agency.received) < len(ids):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        finally:
            process.terminate()
            await process.wait()
    assert set(agency.received) == set(ids)
    # every record, the one 503, and the copies delivered again after the kill (a call cut
    # by the kill may reach the app without its body, so this is a lower bound)
    assert len(agency.requests) >= len(ids) + agency.duplicates + 1
    retries = [
        line
        for line in (tmp_path / "log").read_text().splitlines()
        if '"sink_delivery_retry"' in line
    ]
    assert retries, "the 503 was not logged"
    logged = json.loads(retries[0])
    assert logged["ce_id"] in ids and logged["code"] == "LGSP-CONN-TARGET-UNAVAILABLE"
    assert logged["trace_id"]
