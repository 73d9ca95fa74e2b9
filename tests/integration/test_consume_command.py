"""`lgsp consume TOPIC` on the real broker: records decoded with the catalog, headers shown,
personal data masked unless --unmasked, --from/--until by record time, JSON lines."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from lgsp.cli import app
from schemas.envelope import Envelope
from tests.conftest import NewTopic
from tests.gatewayharness import make_event, publish

CCCD = "001190012345"


def _consume(bootstrap: str, *args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["consume", *args, "-b", bootstrap, "--output", "json"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, rows, result.stderr


async def _topic(new_topic: NewTopic, partitions: int = 1) -> str:
    return await new_topic(partitions=partitions)


def _dossier(code: str) -> tuple[Envelope, bytes, bytes]:
    return make_event(
        "dossier.status",
        source="000.01.02.H24",
        changes={"dossierCode": code},
    )


def test_consume_decodes_masks_and_shows_headers(kafka_bootstrap: str, new_topic: NewTopic) -> None:
    """Each record comes out decoded (schema named), its CloudEvents headers shown, the owner's
    CCCD, phone and name masked; --unmasked shows them; an undecodable value is shown as such
    and the tail goes on to the end."""
    topic = asyncio.run(_topic(new_topic))
    event = _dossier("H24.22-0001")
    asyncio.run(publish(kafka_bootstrap, topic, [event]))
    asyncio.run(_send_raw(kafka_bootstrap, topic, b'{"not": "avro"}'))
    code, rows, err = _consume(kafka_bootstrap, topic)
    assert code == 0, err
    assert [row["offset"] for row in rows] == [0, 1]
    first, second = rows
    assert first["schema"] == "dossier.status v2"
    headers = first["headers"]
    assert isinstance(headers, dict) and headers["ce_type"] == "vn.gov.dossier.status.v1"
    assert headers["ce_id"] == event[0].id
    value = first["value"]
    assert isinstance(value, dict)
    assert value["dossierCode"] == "H24.22-0001"
    assert value["owner"]["idNumber"] == "001*******45"
    assert CCCD not in json.dumps(rows) and "0912345678" not in json.dumps(rows)
    assert value["owner"]["name"] != "Lê Minh Châu"
    assert "undecodable" in second["value"]  # type: ignore[operator]
    assert "2 record(s)" in err and "masked" in err
    _, clear, _ = _consume(kafka_bootstrap, topic, "--unmasked", "--count", "1")
    assert [row["value"]["owner"]["idNumber"] for row in clear] == [CCCD]  # type: ignore[index]


def test_consume_from_and_until_select_by_record_time(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """--from T shows only records at or after T, --until T only those at or before T; a time
    without a zone is refused with exit 1."""
    topic = asyncio.run(_topic(new_topic, 2))
    asyncio.run(publish(kafka_bootstrap, topic, [_dossier("H24.22-early")]))
    time.sleep(1.5)
    middle = datetime.now(UTC).isoformat()
    time.sleep(1.5)
    asyncio.run(publish(kafka_bootstrap, topic, [_dossier("H24.22-late")]))

    def codes(*args: str) -> list[str]:
        code, rows, err = _consume(kafka_bootstrap, topic, *args)
        assert code == 0, err
        return [row["value"]["dossierCode"] for row in rows]  # type: ignore[index]

    assert sorted(codes()) == ["H24.22-early", "H24.22-late"]
    assert codes("--from", middle) == ["H24.22-late"]
    assert codes("--until", middle) == ["H24.22-early"]
    result = CliRunner().invoke(
        app, ["consume", topic, "-b", kafka_bootstrap, "--from", "2026-11-20T00:00:00"]
    )
    assert result.exit_code == 1 and "time zone" in result.stderr


def test_consume_of_a_missing_topic_is_a_coded_error(kafka_bootstrap: str) -> None:
    """A topic that does not exist: exit 1 with LGSP-CONSUME-NO-TOPIC on stderr, no data."""
    code, rows, err = _consume(kafka_bootstrap, "lgsp.nowhere.events.none")
    assert code == 1 and rows == []
    assert "LGSP-CONSUME-NO-TOPIC" in err


async def _send_raw(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()
