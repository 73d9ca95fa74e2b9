"""The webhook's fast path (connectors/webhook/fastpath.py) on the real server and broker: its
edges answer as FastAPI did before it (413 declared or streamed, other methods, escaped
subjects, a trailing slash), its answers are counted, and what it does not serve still
reaches FastAPI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from bus.settings import Settings
from connectors.runner import RunningConnector, run_connector
from schemas.topics import event_topic
from tests.connectorharness import (
    DOSSIER,
    WARD,
    WARD_KEY,
    dossier_json,
    private_node,
    read_topic,
    running_webhook,
    webhook_config,
)

HEADERS = {"X-Api-Key": WARD_KEY, "Content-Type": "application/json"}
LIMIT = 65536  # webhook_config's max_body_bytes


@pytest.fixture
async def webhook(kafka_bootstrap: str) -> AsyncIterator[tuple[RunningConnector, str]]:
    async with running_webhook(kafka_bootstrap) as running:
        yield running


def _dossier(code: str) -> bytes:
    data = dossier_json(code) | {"receivingAgency": {"code": WARD, "name": "x"}}
    return json.dumps(data).encode()


async def _dossiers_on_kafka(bootstrap: str, node: str) -> list[bytes | None]:
    return [r.key for r in await read_topic(bootstrap, str(event_topic(node, DOSSIER.event_type)))]


async def test_a_declared_oversized_body_is_refused_before_it_is_sent(
    webhook: tuple[RunningConnector, str],
) -> None:
    """A Content-Length past max_body_bytes is answered 413 LGSP-CONN-WEBHOOK-TOO-LARGE from
    the headers alone: the client has sent no byte of the body when the answer arrives."""
    running, _ = webhook
    reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
    try:
        writer.write(
            b"POST /events/dossier.status HTTP/1.1\r\nHost: webhook\r\n"
            b"X-Api-Key: " + WARD_KEY.encode() + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        await writer.drain()
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
            body = json.loads(await reader.readexactly(int(fields["content-length"])))
    finally:
        writer.close()
    assert lines[0].startswith("HTTP/1.1 413"), lines[0]
    assert fields["content-type"] == "application/json"
    assert body["code"] == "LGSP-CONN-WEBHOOK-TOO-LARGE"
    assert str(LIMIT) in body["message"]


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(
    webhook: tuple[RunningConnector, str], kafka_bootstrap: str
) -> None:
    """A chunked body (no Content-Length) that grows past max_body_bytes is a 413 with its
    code, and nothing is published; one within the limit, in chunks, is read whole (202)."""
    running, node = webhook

    async def chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    url = f"http://127.0.0.1:{running.port}/events/dossier.status"
    over = [b'{"dossierCode": "' + b"x" * 40_000, b"y" * 40_000 + b'"}']
    whole = _dossier("H24.22-chunked")
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.post(url, content=chunks(over), headers=HEADERS)
        accepted = await client.post(
            url, content=chunks([whole[:100], whole[100:]]), headers=HEADERS
        )
    assert refused.status_code == 413, refused.text
    assert refused.json()["code"] == "LGSP-CONN-WEBHOOK-TOO-LARGE"
    assert accepted.status_code == 202, accepted.text
    assert await _dossiers_on_kafka(kafka_bootstrap, node) == [b"H24.22-chunked"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_another_method_on_the_publish_path_is_fastapis_405(
    webhook: tuple[RunningConnector, str], method: str
) -> None:
    """Only POST is the fast path's: GET, PUT or DELETE /events/{subject} get FastAPI's 405
    (``detail``, ``Allow: POST``) as before."""
    running, _ = webhook
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.request(
            method, f"http://127.0.0.1:{running.port}/events/dossier.status", headers=HEADERS
        )
    assert response.status_code == 405, response.text
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("dossier%2Estatus", 202, None),  # an escaped dot: the path is decoded first
        ("land%2Eparcel", 404, "LGSP-CONN-WEBHOOK-UNKNOWN-SUBJECT"),
        ("land%20parcel", 404, "LGSP-CONN-WEBHOOK-UNKNOWN-SUBJECT"),
        ("dossier%2Fstatus", 404, None),  # an escaped slash makes it another path: no route
    ],
    ids=["escaped dot", "escaped unknown", "escaped space", "escaped slash"],
)
async def test_an_escaped_subject_is_matched_after_decoding_as_fastapi_does(
    webhook: tuple[RunningConnector, str],
    kafka_bootstrap: str,
    path: str,
    status: int,
    code: str | None,
) -> None:
    """The subject is read from the URL-decoded path, as Starlette's router reads it:
    ``dossier%2Estatus`` publishes a dossier, an unknown subject is the webhook's coded 404
    naming it decoded, and ``%2F`` leaves no ``/events/{subject}`` to match (FastAPI's 404)."""
    running, node = webhook
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"http://127.0.0.1:{running.port}/events/{path}",
            content=_dossier("H24.22-escaped"),
            headers=HEADERS,
        )
    assert response.status_code == status, response.text
    body = response.json()
    if status == 202:
        assert body["topic"] == str(event_topic(node, DOSSIER.event_type))
        assert await _dossiers_on_kafka(kafka_bootstrap, node) == [b"H24.22-escaped"]
    elif code is not None:
        assert body["code"] == code
        assert repr(path.replace("%2E", ".").replace("%20", " ")) in body["message"]
    else:
        assert body == {"detail": "Not Found"}


async def test_a_trailing_slash_is_redirected_as_fastapi_does_and_publishes_nothing(
    webhook: tuple[RunningConnector, str], kafka_bootstrap: str
) -> None:
    """``POST /events/dossier.status/`` is not the publish route: Starlette redirects it (307
    to the path without the slash), and nothing reaches Kafka until the client follows."""
    running, node = webhook
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"http://127.0.0.1:{running.port}/events/dossier.status/",
            content=_dossier("H24.22-slash"),
            headers=HEADERS,
        )
    assert response.status_code == 307, response.text
    assert response.headers["location"].endswith("/events/dossier.status")
    assert await _dossiers_on_kafka(kafka_bootstrap, node) == []


async def test_fast_path_answers_are_counted_by_status(
    webhook: tuple[RunningConnector, str],
) -> None:
    """Each answer counts in lgsp_connector_http_requests_total by status, and each 202 in
    the published records, as the FastAPI route counted them."""
    running, _ = webhook
    registry = running.connector.context.registry

    def requests(status: str) -> float:
        labels = {"connector": "webhook", "status": status}
        return registry.get_sample_value("lgsp_connector_http_requests_total", labels) or 0.0

    url = f"http://127.0.0.1:{running.port}/events/dossier.status"
    async with httpx.AsyncClient(timeout=10) as client:
        for code in ("H24.22-c1", "H24.22-c2"):
            assert (await client.post(url, content=_dossier(code), headers=HEADERS)).is_success
        await client.post(url, content=_dossier("H24.22-c3"), headers={"X-Api-Key": "guessed"})
    assert (requests("202"), requests("401")) == (2.0, 1.0)
    published = registry.get_sample_value(
        "lgsp_connector_records_total", {"connector": "webhook", "outcome": "published"}
    )
    assert published == 2.0


async def test_what_the_fast_path_does_not_serve_still_reaches_fastapi(
    webhook: tuple[RunningConnector, str],
) -> None:
    """The OpenAPI document (with POST /events/{subject}), /docs, /healthz, /health, the bulk
    route and unknown paths are FastAPI's, as before."""
    running, _ = webhook
    base = f"http://127.0.0.1:{running.port}"
    async with httpx.AsyncClient(timeout=10) as client:
        document = (await client.get(f"{base}/openapi.json")).json()
        docs = await client.get(f"{base}/docs")
        health = [(await client.get(f"{base}{path}")).json() for path in ("/healthz", "/health")]
        bulk = await client.post(
            f"{base}/events/dossier.status/bulk",
            content=b"[" + _dossier("H24.22-bulk") + b"]",
            headers=HEADERS,
        )
        unknown = await client.post(f"{base}/publish", content=b"{}", headers=HEADERS)
    assert document["paths"]["/events/{subject}"]["post"]["summary"] == "Publish one event"
    assert "/events/{subject}/bulk" in document["paths"]
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert health == [{"status": "ok"}, {"status": "ok"}]
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["accepted"] == 1
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})


async def test_kafka_not_acknowledging_is_a_503_with_retry_after(kafka_bootstrap: str) -> None:
    """When Kafka cannot take the record (here: the node's topic does not exist and the
    broker creates none, so the producer gives up after its request timeout) the answer is
    503 LGSP-CONN-KAFKA-UNAVAILABLE with Retry-After: 5, never a 500."""
    config = webhook_config(private_node(), kafka_bootstrap)
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    async with (
        run_connector(config, settings) as running,
        httpx.AsyncClient(timeout=90) as client,
    ):
        response = await client.post(
            f"http://127.0.0.1:{running.port}/events/dossier.status",
            content=_dossier("H24.22-nowhere"),
            headers=HEADERS,
        )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "LGSP-CONN-KAFKA-UNAVAILABLE"
