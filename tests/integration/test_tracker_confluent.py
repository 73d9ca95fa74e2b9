"""The tracker reads dossier events in the Confluent wire format through its wire_format
registry, as it reads single-object ones; a frame it cannot resolve is parked with a code."""

from __future__ import annotations

import struct
import uuid
from dataclasses import replace

from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, LogReader, topic_partitions
from bus.settings import Settings
from bus.wireformat import WireFormatConfig, record_encoding
from schemas.parking import read_park_info
from tests import trackerrecompute as recompute
from tests.schemaregistryharness import running_registry
from tracker.config import TrackerConfig
from tracker.runner import run_tracker
from tracker.topics import DOSSIER_STATUS, tracker_topic
from tracker.traffic import TrafficSpec, generate_quarter, outgoing_records


async def test_tracker_counts_confluent_frames_and_parks_an_unknown_id(
    kafka_bootstrap: str,
) -> None:
    """Every dossier event published as a Confluent frame is tracked (the same dossiers as
    the events say); a frame naming an id the registry never gave is parked with
    LGSP-CODEC-CONFLUENT-UNRESOLVED."""
    node = f"t{uuid.uuid4().hex[:8]}"
    events = [
        e
        for e in generate_quarter(TrafficSpec(dossiers=30, documents=0, seed=5))
        if e.event_type == DOSSIER_STATUS
    ]
    records = outgoing_records(events, node)
    async with running_registry() as url:
        wire = WireFormatConfig(registry=url, confluent_topics=[f"lgsp.{node}.*"])
        async with record_encoding(wire) as encoding:
            framed = [await encoding.outgoing(record) for record in records]
        unknown = replace(
            framed[0], value=b"\x00" + struct.pack(">I", 999) + framed[0].value[5:], key=b"x"
        )
        config = TrackerConfig(node=node, clock="events", wire_format=wire)
        settings = Settings(bootstrap_servers=kafka_bootstrap)
        async with run_tracker(config, settings, CollectorRegistry()) as tracker:
            async with KafkaPublisher(kafka_bootstrap) as publisher:
                for record in [unknown, *framed]:
                    await publisher.enqueue(record)
                await publisher.flush()
            await tracker.wait_caught_up(timeout_s=60)
            tracked = set(tracker.engine.state.dossiers)
    assert all(record.value[:1] == b"\x00" for record in framed)
    assert tracked == set(recompute.final_dossiers(e.record for e in events))
    parked_topic = tracker_topic(node, "parked")
    async with LogReader(kafka_bootstrap) as reader:
        parked = await reader.read(
            dict.fromkeys(await topic_partitions(kafka_bootstrap, [parked_topic]))
        )
    [info] = [read_park_info(record.headers) for record in parked]
    assert info is not None and info.code == "LGSP-CODEC-CONFLUENT-UNRESOLVED"
