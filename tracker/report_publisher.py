"""Quarterly reports leave the node as ``vn.gov.report.quarterly.v1`` events on its event topic,
addressed to NGSP's reporting agency; the gateway routes them from there like any other event."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bus.kafka import (
    KafkaPublisher,
    KafkaSecurity,
    LogReader,
    OutgoingRecord,
    TopicSpec,
    ensure_topics,
    topic_partitions,
)
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from tracker.config import TrackerConfig
from tracker.errors import TrackerConfigError
from tracker.periods import Period
from tracker.quarterly_report import avro_record, quarter_report
from tracker.state import TrackerState
from tracker.topics import REPORT_QUARTERLY, report_topic, tracker_topic
from tracker.workdays import WorkingCalendar


def report_records(
    config: TrackerConfig, records: Sequence[dict[str, Any]]
) -> list[OutgoingRecord]:
    """The report's Kafka records: key reportId, Avro value, CloudEvents headers."""
    if config.agency is None:
        raise TrackerConfigError(
            "set agency in tracker.yaml (the node's own agency code, e.g. 000.00.00.H24): "
            "it is the sender of the report events"
        )
    schema = bundled_catalog().for_event_type(REPORT_QUARTERLY)
    codec = AvroCodec(bundled_catalog())
    topic = report_topic(config.node)
    out = []
    for record in records:
        envelope = Envelope.new(
            source=config.agency,
            type=REPORT_QUARTERLY,
            dataschema=schema.dataschema,
            subject=record["reportId"],
            recipients=[config.report_recipient],
        )
        out.append(
            OutgoingRecord(
                topic=topic,
                key=record["reportId"].encode(),
                value=codec.encode(schema, avro_record(record)),
                headers=envelope.to_headers(),
            )
        )
    return out


async def publish_report(
    bootstrap: str,
    config: TrackerConfig,
    records: Sequence[dict[str, Any]],
    *,
    security: KafkaSecurity,
) -> int:
    """Publish one event per agency's report; return how many were published."""
    outgoing = report_records(config, records)
    await ensure_topics(
        bootstrap,
        [TopicSpec(report_topic(config.node), config.partitions)],
        security=security,
        replication=config.replication,
    )
    async with KafkaPublisher(bootstrap, client_id=config.group_id, security=security) as publisher:
        futures = [await publisher.enqueue(record) for record in outgoing]
        for future in futures:
            await future
    return len(outgoing)


async def read_tables(bootstrap: str, node: str, *, security: KafkaSecurity) -> TrackerState:
    """The tables as the tracker last committed them, read from its changelog (read-only)."""
    state = TrackerState()
    partitions = await topic_partitions(
        bootstrap, [tracker_topic(node, "changelog")], security=security
    )
    async with LogReader(bootstrap, timeout_s=600, security=security) as reader:
        records = await reader.read(dict.fromkeys(partitions))
    state.restore_all((record.key, record.value) for record in records)
    return state


def compute_report(
    state: TrackerState, quarter: Period, calendar: WorkingCalendar
) -> list[dict[str, Any]]:
    return quarter_report(state.iter_dossiers(), quarter, calendar, int(time.time() * 1000))
