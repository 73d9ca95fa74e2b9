"""The webhook ingress fuzzed from its own OpenAPI document (schemathesis): the real connector,
served by uvicorn on loopback and publishing to the real broker, answers every generated
request (schema-valid and schema-violating) without a 5xx, with a stable code on every
refusal and a response its document describes, and keeps serving afterwards.

``LGSP_TEST_WEBHOOK_EXAMPLES`` sets the examples per subject and generation mode (default 60)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bus.kafka import TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.runner import run_connector
from schemas.topics import event_topic
from tests.connectorharness import (
    CITY_KEY,
    DOCUMENT,
    DOSSIER,
    WARD,
    WARD_KEY,
    dossier_json,
    private_node,
    webhook_config,
)

EXAMPLES = int(os.environ.get("LGSP_TEST_WEBHOOK_EXAMPLES", "60"))
CODE = re.compile(r"^LGSP-[A-Z0-9]+(-[A-Z0-9]+)*$")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def webhook_url(kafka_bootstrap: str) -> Iterator[str]:
    """The webhook connector running in its own thread and event loop (schemathesis calls it
    synchronously), on a private node's topics of the session broker."""
    started = threading.Event()
    port: list[int] = []
    stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    failure: list[BaseException] = []

    async def serve() -> None:
        node = private_node()
        topics = [str(event_topic(node, s.event_type)) for s in (DOSSIER, DOCUMENT)]
        await ensure_topics(kafka_bootstrap, [TopicSpec(t, 1) for t in topics])
        stopping = asyncio.Event()
        config = webhook_config(node, kafka_bootstrap)
        async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)) as running:
            assert running.port is not None
            port.append(running.port)
            stop.append((asyncio.get_running_loop(), stopping))
            started.set()
            await stopping.wait()

    def main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:
            failure.append(error)
        finally:
            started.set()

    thread = threading.Thread(target=main, name="webhook", daemon=True)
    thread.start()
    assert started.wait(60), "the webhook did not start"
    assert port, f"the webhook did not start: {failure}"
    try:
        yield f"http://127.0.0.1:{port[0]}"
    finally:
        loop, stopping = stop[0]
        loop.call_soon_threadsafe(stopping.set)
        thread.join(30)
        assert not thread.is_alive(), "the webhook did not stop"
        assert not failure, failure


def _check_answer(case: Any, response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text, case)
    if 400 <= response.status_code < 500:
        body = response.json()
        assert CODE.match(body.get("code", "")), (response.status_code, body)
        assert isinstance(body.get("problems"), list), body
    case.validate_response(response, checks=CHECKS)


def _fuzz(cases: Any, url: str, key: str, statuses: list[int]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def fuzz(case: Any) -> None:
        case.headers = {**(case.headers or {}), "X-Api-Key": key}
        response = case.call(base_url=url, timeout=10)
        statuses.append(response.status_code)
        _check_answer(case, response)

    fuzz()


def test_the_webhook_survives_requests_generated_from_its_openapi_document(
    webhook_url: str,
) -> None:
    """Schema-valid and schema-violating requests from /openapi.json, with a valid API key:
    no 5xx, each refusal a 4xx with an LGSP- code, each answer as documented; then a valid
    request is still accepted (202)."""
    schema = schemathesis.openapi.from_url(f"{webhook_url}/openapi.json")
    operation = schema["/events/{subject}"]["POST"]
    statuses: list[int] = []

    # any subject (mostly unknown: 404), then each configured one with a key allowed to use it
    targets = [(None, WARD_KEY), ("dossier.status", WARD_KEY), ("document.sent", CITY_KEY)]
    for (subject, key), mode in itertools.product(targets, GenerationMode):
        path = {"subject": subject} if subject else None

        _fuzz(operation.as_strategy(mode, path_parameters=path), webhook_url, key, statuses)

    assert len(statuses) >= 6 * EXAMPLES // 2, statuses
    assert {202, 404, 422} <= set(statuses), sorted(set(statuses))
    print(f"\nwebhook fuzz: {len(statuses)} requests, statuses {sorted(set(statuses))}")
    data = dossier_json("H24.22-261118-0099") | {"receivingAgency": {"code": WARD, "name": "x"}}
    after = httpx.post(
        f"{webhook_url}/events/dossier.status",
        json=data,
        headers={"X-Api-Key": WARD_KEY},
        timeout=10,
    )
    assert after.status_code == 202, after.text
