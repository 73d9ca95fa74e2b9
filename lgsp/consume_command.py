"""``lgsp consume TOPIC``: a kcat-like tail of a topic, each record decoded with the catalog,
its headers shown and its personal data masked (unless ``--unmasked``).

Reads every partition from the beginning (or from ``--from``) to the end (or ``--until``), or
keeps waiting with ``--follow``. Only committed records (read_committed), no consumer group:
it changes nothing on the broker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from bus.kafka import KafkaSecurity, topic_partitions
from bus.kafka.factory import new_consumer
from bus.kafka.stopping import stop_client
from bus.settings import Settings
from bus.wireformat import RecordEncoding, WireFormatConfig, record_encoding
from lgsp.node_config import node_and_bootstrap
from lgsp.output import OutputFormat, OutputOption, emit_json, messages
from schemas.errors import LgspError
from schemas.jsonform import to_json
from schemas.personal import mask_personal


def _moment(value: datetime | None, option: str) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise LgspError(
            f"{option} needs a time zone, e.g. 2026-11-20T00:00:00+07:00",
            code="LGSP-CONFIG-INVALID",
        )
    return int(value.timestamp() * 1000)


async def tail(
    bootstrap: str,
    topic: str,
    security: KafkaSecurity,
    *,
    from_ms: int | None = None,
    until_ms: int | None = None,
    follow: bool = False,
) -> AsyncGenerator[ConsumerRecord[bytes, bytes], None]:
    """Committed records of ``topic`` in each partition's order, from ``from_ms`` (or the
    beginning) until ``until_ms`` or the end (or for ever with ``follow``)."""
    partitions = await topic_partitions(bootstrap, [topic], security=security)
    if not partitions:
        raise LgspError(f"no topic {topic} on {bootstrap}", code="LGSP-CONSUME-NO-TOPIC")
    # "latest": a partition with no record after --from is seeked to its end, and aiokafka
    # resolves that seek through the reset policy (with "earliest" it read from the start)
    consumer = new_consumer(bootstrap, security, group_id=None, auto_offset_reset="latest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        await _seek(consumer, partitions, from_ms)
        ends = await consumer.end_offsets(partitions)
        active = {tp for tp in partitions if follow or await consumer.position(tp) < ends[tp]}
        while active:
            batches = await consumer.getmany(*active, timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    if until_ms is not None and record.timestamp > until_ms:
                        active.discard(tp)
                        break
                    yield record
            if not follow:
                for tp in list(active):
                    if await consumer.position(tp) >= ends[tp]:
                        active.discard(tp)
    finally:
        await stop_client(consumer, "consume")


async def _seek(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], from_ms: int | None
) -> None:
    if from_ms is None:
        await consumer.seek_to_beginning(*partitions)
        return
    found = await consumer.offsets_for_times(dict.fromkeys(partitions, from_ms))
    for tp in partitions:
        at = found.get(tp)
        if at is None:
            await consumer.seek_to_end(tp)
        else:
            consumer.seek(tp, at.offset)


async def record_json(
    record: ConsumerRecord[bytes, bytes], encoding: RecordEncoding, *, unmasked: bool
) -> dict[str, Any]:
    """A record as JSON: where, when, key, headers and the decoded (masked) value, in either
    wire format (Confluent frames need ``--registry``)."""
    decoded: Any
    try:
        writer, value = await encoding.decode(record.value or b"")
        decoded = to_json(writer, value)
        schema = f"{writer.subject} v{writer.version}"
    except LgspError as error:
        decoded, schema = {"undecodable": f"[{error.code}] {error.message}"}, None
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": datetime.fromtimestamp(record.timestamp / 1000).astimezone().isoformat(),
        "key": (record.key or b"").decode("utf-8", "replace"),
        "headers": {k: v.decode("utf-8", "replace") for k, v in record.headers},
        "schema": schema,
        "value": decoded if unmasked else mask_personal(decoded),
    }


def _print_text(row: dict[str, Any]) -> None:
    typer.echo(
        f"── {row['topic']} [{row['partition']}] @{row['offset']}  {row['timestamp']}  "
        f"key={row['key']}  {row['schema'] or 'not decodable'}"
    )
    for name, value in row["headers"].items():
        typer.echo(f"   {name}: {value}")
    typer.echo(json.dumps(row["value"], ensure_ascii=False, indent=2))


def consume(
    topic: Annotated[str, typer.Argument(help="The topic, e.g. lgsp.hanoi.inbox.000-01-02-h24.")],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="A node.yaml naming the Kafka.")
    ] = None,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option("--bootstrap-servers", "-b", help="Kafka (default LGSP_BOOTSTRAP_SERVERS)."),
    ] = None,
    since: Annotated[
        datetime | None, typer.Option("--from", help="First record time (ISO 8601 with zone).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option("--until", help="Last record time (ISO 8601 with zone).")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep waiting for new records (Ctrl-C ends).")
    ] = False,
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, help="Stop after this many.")
    ] = None,
    unmasked: Annotated[
        bool, typer.Option("--unmasked", help="Show personal data (CCCD, phone...) in clear.")
    ] = False,
    registry: Annotated[
        str | None,
        typer.Option(help="Schema registry (Confluent API) for Confluent-format values."),
    ] = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Print a topic's records decoded with the catalog, headers included, personal data
    masked; from the beginning (or --from) to the end (or --until), or --follow."""
    settings = Settings()
    bootstrap = bootstrap_servers
    if bootstrap is None and config is not None:
        bootstrap = node_and_bootstrap(config)[1]
    bootstrap = bootstrap or settings.bootstrap_servers
    if not bootstrap:
        raise LgspError(
            "name the Kafka with -b HOST:PORT, --config node.yaml or LGSP_BOOTSTRAP_SERVERS",
            code="LGSP-CONFIG-INVALID",
        )
    from_ms, until_ms = _moment(since, "--from"), _moment(until, "--until")

    async def run() -> int:
        shown = 0
        records = tail(
            bootstrap, topic, settings.kafka_security(),
            from_ms=from_ms, until_ms=until_ms, follow=follow,
        )  # fmt: skip
        async with record_encoding(WireFormatConfig(registry=registry)) as encoding:
            async for record in records:
                row = await record_json(record, encoding, unmasked=unmasked)
                if output is OutputFormat.JSON:
                    emit_json(row)
                else:
                    _print_text(row)
                shown += 1
                if count is not None and shown >= count:
                    break
        await records.aclose()
        return shown

    shown = asyncio.run(run())
    messages.print(f"{shown} record(s) of {topic}" + ("" if unmasked else ", personal data masked"))
