"""The webhook's fast path as an ASGI callable: which requests it answers itself and which it
hands on to the FastAPI app behind it (tests/integration/test_connector_webhook_fastpath.py
checks its answers against the real server)."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from connectors.events import CheckedEvent
from connectors.metrics import ConnectorMetrics
from connectors.webhook.app import webhook_app
from connectors.webhook.fastpath import FastPath, published_subject
from connectors.webhook.handling import Published, SingleRecordIntake
from tests.connectorharness import WARD, WARD_KEY, webhook_config

JSON = {"content-type": "application/json"}
NOT_A_RECORD = json.dumps({"receivingAgency": {"code": WARD, "name": "x"}, "channel": 9}).encode()


@pytest.mark.parametrize(
    ("path", "subject"),
    [
        ("/events/dossier.status", "dossier.status"),
        ("/events/land parcel", "land parcel"),  # decoded already: the webhook's 404 names it
        ("/events/dossier.status/", None),  # Starlette's redirect
        ("/events/dossier.status/bulk", None),
        ("/events/", None),
        ("/events", None),
        ("/healthz", None),
        ("/eventsx/dossier.status", None),
    ],
)
def test_only_a_single_record_path_is_the_fast_paths(path: str, subject: str | None) -> None:
    """``/events/{subject}`` gives its subject, as Starlette's ``[^/]+`` matches it; any
    other path gives None."""
    assert published_subject(path) == subject


class _Behind:
    """The ASGI app behind the fast path: records what reached it, answers 299."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def _never(event: CheckedEvent) -> Published:
    raise AssertionError("a refused request must not be published")


async def _call(
    app: FastPath, method: str, path: str, **scope: Any
) -> list[MutableMapping[str, Any]]:
    sent: list[MutableMapping[str, Any]] = []
    messages = [{"type": "http.request", "body": b"{}", "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    request = {"type": "http", "method": method, "path": path, "headers": []} | scope
    await app(request, receive, send)
    return sent


async def test_the_fast_path_answers_post_events_itself_and_hands_the_rest_on() -> None:
    """POST /events/{subject} is answered without the app behind (here a 401: no API key,
    counted by status); other methods, paths and a root path go on to the app untouched."""
    behind = _Behind()
    metrics = ConnectorMetrics(CollectorRegistry(), "webhook")
    intake = SingleRecordIntake(webhook_config("hanoi", "127.0.0.1:9"), _never, metrics)
    app = FastPath(behind, intake)
    start, body = await _call(app, "POST", "/events/dossier.status")
    assert start["status"] == 401
    assert (b"content-type", b"application/json") in start["headers"]
    assert json.loads(body["body"])["code"] == "LGSP-CONN-WEBHOOK-UNAUTHENTICATED"
    assert behind.paths == []
    await _call(app, "GET", "/events/dossier.status")
    await _call(app, "POST", "/events/dossier.status/bulk")
    await _call(app, "POST", "/events/dossier.status", root_path="/webhook")
    assert behind.paths == [
        ("GET", "/events/dossier.status"),
        ("POST", "/events/dossier.status/bulk"),
        ("POST", "/events/dossier.status"),
    ]
    labels = {"connector": "webhook", "status": "401"}
    assert metrics.registry.get_sample_value("lgsp_connector_http_requests_total", labels) == 1


REFUSED = [
    # (case, subject, headers, body, status)
    ("no API key", "dossier.status", {"content-type": "application/json"}, b"{}", 401),
    ("unknown subject", "land parcel", {"x-api-key": WARD_KEY}, b"{}", 404),
    ("subject not allowed", "document.sent", {"x-api-key": WARD_KEY}, b"{}", 403),
    ("wrong content type", "dossier.status", {"x-api-key": WARD_KEY}, b"{}", 415),
    ("not JSON", "dossier.status", {"x-api-key": WARD_KEY, **JSON}, b"{not json", 400),
    ("too large", "dossier.status", {"x-api-key": WARD_KEY, **JSON}, b" " * 70_000, 413),
    ("not a record", "dossier.status", {"x-api-key": WARD_KEY, **JSON}, NOT_A_RECORD, 422),
]


@pytest.mark.parametrize(
    ("subject", "headers", "body", "status"),
    [c[1:] for c in REFUSED],
    ids=[c[0] for c in REFUSED],
)
async def test_the_fastapi_route_and_the_fast_path_answer_alike(
    subject: str, headers: dict[str, str], body: bytes, status: int
) -> None:
    """The FastAPI route (kept for the OpenAPI document, and reached when the fast path
    steps aside) answers a refused request with the fast path's status, body and headers."""
    config = webhook_config("hanoi", "127.0.0.1:9")
    front = webhook_app(config, _never, ConnectorMetrics(CollectorRegistry(), "webhook"))
    answers = []
    for app in (front, front.app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://webhook") as client:
            response = await client.post(f"/events/{subject}", content=body, headers=headers)
        answers.append((response.status_code, response.headers["content-type"], response.content))
    assert answers[0] == answers[1]
    assert answers[0][0] == status
