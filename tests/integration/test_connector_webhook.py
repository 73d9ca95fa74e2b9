"""The webhook connector against a real broker: what agencies may publish, and what they may
not (every refusal a 4xx with its reasons, and nothing on Kafka)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from connectors.runner import RunningConnector
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.topics import event_topic
from tests.connectorharness import (
    CITY_KEY,
    CODEC,
    DOCUMENT,
    DOSSIER,
    OTHER_WARD,
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


async def _post(
    port: int | None, subject: str, body: Any, key: str | None = WARD_KEY, **headers: str
) -> httpx.Response:
    sent = {"Content-Type": "application/json", **headers}
    if key is not None:
        sent["X-Api-Key"] = key
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"http://127.0.0.1:{port}/events/{subject}", content=content, headers=sent
        )


async def test_accepted_event_is_on_kafka_with_its_envelope_and_key(
    webhook: tuple[RunningConnector, str], kafka_bootstrap: str
) -> None:
    """A valid dossier from its own ward is answered 202 with the event id, and that event is
    on the node's dossier topic, keyed by dossier code, with the ward as ce_source."""
    running, node = webhook
    data = dossier_json("H24.22-261118-0042") | {"receivingAgency": {"code": WARD, "name": "x"}}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://127.0.0.1:{running.port}/events/dossier.status",
            json=data,
            headers={"X-Api-Key": WARD_KEY},
        )
    assert response.status_code == 202, response.text
    answer = response.json()
    records = await read_topic(kafka_bootstrap, str(event_topic(node, DOSSIER.event_type)))
    assert len(records) == 1
    envelope = Envelope.from_headers(records[0].headers)
    assert envelope.id == answer["id"]
    assert envelope.source == WARD
    assert records[0].key == b"H24.22-261118-0042"
    assert CODEC.decode(records[0].value or b"")["statusCode"] == 2


async def test_idempotency_key_makes_a_retried_request_the_same_event(
    webhook: tuple[RunningConnector, str],
) -> None:
    """Two requests with one Idempotency-Key publish one event id (sinks drop the copy)."""
    running, _ = webhook
    data = dossier_json("H24.22-1") | {"receivingAgency": {"code": WARD, "name": "x"}}
    first = await _post(running.port, "dossier.status", data, **{"Idempotency-Key": "req-77"})
    second = await _post(running.port, "dossier.status", data, **{"Idempotency-Key": "req-77"})
    third = await _post(running.port, "dossier.status", data, **{"Idempotency-Key": "req-78"})
    assert first.json()["id"] == second.json()["id"] != third.json()["id"]


async def test_document_recipients_travel_in_ce_recipients(
    webhook: tuple[RunningConnector, str], kafka_bootstrap: str
) -> None:
    """A document's recipient codes become the record's ce_recipients, for the gateway."""
    running, node = webhook
    data = example_json(DOCUMENT)
    data["sender"] = {"code": "000.00.01.H24", "name": "UBND thành phố"}
    data["documentId"] = data["documentId"].replace("000.00.00.G22", "000.00.01.H24")
    response = await _post(running.port, "document.sent", data, key=CITY_KEY)
    assert response.status_code == 202, response.text
    records = await read_topic(kafka_bootstrap, str(event_topic(node, DOCUMENT.event_type)))
    assert Envelope.from_headers(records[0].headers).recipients == (
        "000.00.00.H24",
        "000.00.00.H15",
        "000.00.00.G12",
    )


BAD_REQUESTS: list[tuple[str, dict[str, Any], int, str, list[str]]] = [
    # (case, request, status, code, fragments every reason list must contain)
    (
        "wrong types",
        {"body": {"statusCode": "done", "channel": "online"}},
        422,
        "LGSP-RECORD-INVALID",
        ["$.statusCode: expected an integer", "$.channel: expected an integer"],
    ),
    (
        "missing fields",
        {"body": {"drop": ["dossierCode", "procedureCode"]}},
        422,
        "LGSP-RECORD-INVALID",
        ["$.dossierCode: required field is missing", "$.procedureCode: required field"],
    ),
    ("oversized body", {"raw": b"{" + b" " * 70000 + b"}"}, 413, "LGSP-CONN-WEBHOOK-TOO-LARGE", []),
    (
        "wrong agency in the record",
        {"body": {"receivingAgency": {"code": OTHER_WARD, "name": "x"}}},
        403,
        "LGSP-CONN-WEBHOOK-WRONG-AGENCY",
        [],
    ),
    (
        "wrong agency claimed",
        {"headers": {"X-Agency-Code": OTHER_WARD}},
        403,
        "LGSP-CONN-WEBHOOK-WRONG-AGENCY",
        [],
    ),
    ("wrong API key", {"key": "guessed"}, 401, "LGSP-CONN-WEBHOOK-UNAUTHENTICATED", []),
    ("no API key", {"key": None}, 401, "LGSP-CONN-WEBHOOK-UNAUTHENTICATED", []),
    (
        "wrong content type",
        {"headers": {"Content-Type": "application/xml"}},
        415,
        "LGSP-CONN-WEBHOOK-CONTENT-TYPE",
        [],
    ),
    ("not JSON", {"raw": b"{not json"}, 400, "LGSP-CONN-WEBHOOK-BAD-JSON", []),
    ("not an object", {"raw": b"[1, 2]"}, 422, "LGSP-RECORD-INVALID", ["$: expected an object"]),
    ("subject not allowed", {"subject": "document.sent"}, 403, "LGSP-CONN-WEBHOOK-FORBIDDEN", []),
    ("unknown subject", {"subject": "land.parcel"}, 404, "LGSP-CONN-WEBHOOK-UNKNOWN-SUBJECT", []),
]


@pytest.mark.parametrize(
    ("request_parts", "status", "code", "fragments"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
async def test_bad_request_is_refused_with_reasons_and_nothing_reaches_kafka(
    webhook: tuple[RunningConnector, str],
    kafka_bootstrap: str,
    request_parts: dict[str, Any],
    status: int,
    code: str,
    fragments: list[str],
) -> None:
    """Each bad request gets its 4xx and stable code, with every reason listed, and no record
    reaches any of the node's topics."""
    running, node = webhook
    data = dossier_json("H24.22-bad") | {"receivingAgency": {"code": WARD, "name": "x"}}
    overrides = request_parts.get("body", {})
    for name in overrides.pop("drop", []) if "drop" in overrides else []:
        del data[name]
    data |= overrides
    response = await _post(
        running.port,
        request_parts.get("subject", "dossier.status"),
        request_parts.get("raw", data),
        key=request_parts.get("key", WARD_KEY),
        **request_parts.get("headers", {}),
    )
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"]
    for fragment in fragments:
        assert any(fragment in problem for problem in body["problems"]), body["problems"]
    for schema in (DOSSIER, DOCUMENT):
        assert await read_topic(kafka_bootstrap, str(event_topic(node, schema.event_type))) == []


STANDARD_BREAKAGES: list[tuple[str, dict[str, Any], int, str, str]] = [
    # (case, body changes, status, code, path): records that fit the schema, not the standards
    (
        "status not in the national list",
        {"statusCode": 99, "finishedAt": None, "returnedAt": None},
        422,
        "LGSP-VALID-DOSSIER-STATUS",
        "$.statusCode",
    ),
    (
        "malformed CCCD",
        {"owner": {"name": "A", "kind": 1, "idNumber": "12345"}},
        422,
        "LGSP-ID-CCCD",
        "$.owner.idNumber",
    ),
    (
        "CCCD of a birth after the dossier",
        {"owner": {"name": "A", "kind": 1, "idNumber": "001499012345"}},
        422,
        "LGSP-ID-CCCD",
        "$.owner.idNumber",
    ),
    (
        "business without a valid tax code",
        {"owner": {"name": "Công ty", "kind": 2, "idNumber": "0100109107"}},
        422,
        "LGSP-ID-TAX",
        "$.owner.idNumber",
    ),
    ("channel 4", {"channel": 4}, 422, "LGSP-VALID-CHANNEL", "$.channel"),
    (
        "return date while newly registered",
        {"statusCode": 1, "previousStatusCode": None, "returnedAt": "2026-11-19T14:20:00+07:00"},
        422,
        "LGSP-VALID-DATE-STATUS",
        "$.returnedAt",
    ),
    (
        "due before received",
        {"dueAt": "2026-11-17T08:00:00+07:00"},
        422,
        "LGSP-VALID-DATE-ORDER",
        "$.dueAt",
    ),
    ("summary too long", {"summary": "x" * 1001}, 422, "LGSP-VALID-TOO-LONG", "$.summary"),
]


@pytest.mark.parametrize(
    ("changes", "status", "code", "path"),
    [case[1:] for case in STANDARD_BREAKAGES],
    ids=[case[0] for case in STANDARD_BREAKAGES],
)
async def test_a_record_breaking_the_standards_is_refused_with_its_code_and_path(
    webhook: tuple[RunningConnector, str],
    kafka_bootstrap: str,
    changes: dict[str, Any],
    status: int,
    code: str,
    path: str,
) -> None:
    """A dossier that fits its schema but breaks a rule of the standards is answered 422 with
    the rule's code and the field's path (and every violation listed); nothing is published."""
    running, node = webhook
    data = dossier_json("H24.22-bad") | {"receivingAgency": {"code": WARD, "name": "x"}}
    response = await _post(running.port, "dossier.status", data | changes)
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body["path"]) == (code, path), body
    assert {"code": code, "path": path} in [
        {"code": v["code"], "path": v["path"]} for v in body["violations"]
    ]
    assert await read_topic(kafka_bootstrap, str(event_topic(node, DOSSIER.event_type))) == []


@pytest.mark.parametrize("depth", [40, 20_000], ids=["past the bound", "past Python's parser"])
async def test_deeply_nested_json_is_a_coded_400_not_a_500(
    webhook: tuple[RunningConnector, str], depth: int
) -> None:
    """JSON nested past the bus's bound (40 levels) or past Python's own parser (20,000, which
    used to raise RecursionError and answer 500) is a 400 LGSP-VALID-JSON-DEPTH, and the
    webhook keeps serving: a valid request right after is accepted."""
    running, _ = webhook
    body = b'{"dossierCode": "H24.22-deep", "owner": ' + b"[" * depth + b"]" * depth + b"}"
    response = await _post(running.port, "dossier.status", body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "LGSP-VALID-JSON-DEPTH"
    data = dossier_json("H24.22-after") | {"receivingAgency": {"code": WARD, "name": "x"}}
    assert (await _post(running.port, "dossier.status", data)).status_code == 202


async def test_openapi_document_describes_the_publish_endpoint(
    webhook: tuple[RunningConnector, str],
) -> None:
    """/openapi.json documents POST /events/{subject}, its 202 answer and its refusals."""
    running, _ = webhook
    async with httpx.AsyncClient() as client:
        document = (await client.get(f"http://127.0.0.1:{running.port}/openapi.json")).json()
    operation = document["paths"]["/events/{subject}"]["post"]
    assert {"202", "401", "403", "413", "415", "422"} <= set(operation["responses"])
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == {"dossier.status", "document.sent"}
