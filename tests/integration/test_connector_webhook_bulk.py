"""The webhook's bulk endpoint against a real broker: each record of a batch answered on its
own, all or nothing per record."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from connectors.runner import RunningConnector
from schemas.envelope import Envelope
from schemas.topics import event_topic
from tests.connectorharness import (
    DOSSIER,
    WARD,
    WARD_KEY,
    dossier_json,
    read_topic,
    running_webhook,
)


@pytest.fixture
async def webhook(kafka_bootstrap: str) -> AsyncIterator[tuple[RunningConnector, str]]:
    async with running_webhook(kafka_bootstrap) as running:
        yield running


async def _bulk(port: int | None, body: Any, **headers: str) -> httpx.Response:
    sent = {"Content-Type": "application/json", "X-Api-Key": WARD_KEY, **headers}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            f"http://127.0.0.1:{port}/events/dossier.status/bulk", content=content, headers=sent
        )


def _dossier(code: str, **changes: Any) -> dict[str, Any]:
    return dossier_json(code) | {"receivingAgency": {"code": WARD, "name": "x"}} | changes


async def test_each_record_of_a_bulk_request_gets_its_own_result(
    webhook: tuple[RunningConnector, str], kafka_bootstrap: str
) -> None:
    """Of five records, the one with status 99, the one another ward sends and the one that
    is not an object are refused with their codes and paths; the two good ones are on Kafka
    with the ids the answer gives, and nothing else is."""
    running, node = webhook
    body = [
        _dossier("H24.22-0001"),
        _dossier("H24.22-0002", statusCode=99, finishedAt=None, returnedAt=None),
        _dossier("H24.22-0003", receivingAgency={"code": "000.02.03.H24", "name": "y"}),
        "not a record",
        _dossier("H24.22-0005"),
    ]
    response = await _bulk(running.port, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["refused"]) == (2, 3)
    results = answer["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [202, 422, 403, 422, 202]
    assert results[1]["code"] == "LGSP-VALID-DOSSIER-STATUS"
    assert results[1]["path"] == "$.statusCode"
    assert results[2]["code"] == "LGSP-CONN-WEBHOOK-WRONG-AGENCY"
    records = await read_topic(kafka_bootstrap, str(event_topic(node, DOSSIER.event_type)))
    assert sorted(Envelope.from_headers(r.headers).id for r in records) == sorted(
        [results[0]["id"], results[4]["id"]]
    )
    assert sorted(r.key for r in records) == [b"H24.22-0001", b"H24.22-0005"]


async def test_a_bulk_request_sent_again_with_its_idempotency_key_publishes_the_same_events(
    webhook: tuple[RunningConnector, str],
) -> None:
    """With an Idempotency-Key, record i of a retried bulk request has the same ce_id as the
    first time (key K:i), so downstream drops the copies."""
    running, _ = webhook
    body = [_dossier("H24.22-0101"), _dossier("H24.22-0102")]
    first = (await _bulk(running.port, body, **{"Idempotency-Key": "batch-7"})).json()
    again = (await _bulk(running.port, body, **{"Idempotency-Key": "batch-7"})).json()
    assert [r["id"] for r in first["results"]] == [r["id"] for r in again["results"]]
    assert first["results"][0]["id"] != first["results"][1]["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "LGSP-CONN-WEBHOOK-BAD-JSON"),
        ({"one": "object"}, 400, "LGSP-CONN-WEBHOOK-NOT-A-LIST"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "LGSP-VALID-JSON-DEPTH"),
        ([{}] * 501, 413, "LGSP-CONN-WEBHOOK-TOO-MANY"),
    ],
)
async def test_a_bulk_request_that_is_not_a_list_of_records_is_refused_whole(
    webhook: tuple[RunningConnector, str], body: Any, status: int, code: str
) -> None:
    """Not JSON, not an array, nested too deep or more records than max_bulk_records: a coded
    4xx for the whole request (never a 500)."""
    running, _ = webhook
    response = await _bulk(running.port, body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code


async def test_a_deeply_nested_record_inside_a_bulk_request_is_refused_alone(
    webhook: tuple[RunningConnector, str],
) -> None:
    """One record nested deeper than the bus reads is answered 400 with its code; the record
    beside it is published."""
    running, _ = webhook
    deep: Any = "x"
    for _ in range(80):
        deep = {"d": deep}
    response = await _bulk(running.port, [deep, _dossier("H24.22-0201")])
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400, 202]
    assert results[0]["code"] == "LGSP-VALID-JSON-DEPTH"
