"""The webhook's HTTP API (FastAPI): ``POST /events/{subject}``, answered 202 with the event id
once Kafka acknowledged the record; ``/openapi.json`` and ``/docs`` describe it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from connectors.events import SourceEvent
from connectors.metrics import ConnectorMetrics
from connectors.webhook.config import WebhookConfig
from connectors.webhook.intake import (
    Refusal,
    authenticate,
    check_content_type,
    check_subject,
    parse_body,
    to_event,
)
from schemas.catalog import bundled_catalog
from schemas.errors import ContractError, LgspError
from schemas.examples import example_json


class Accepted(BaseModel):
    """The event was published: Kafka has it."""

    id: str
    type: str
    topic: str
    partition: int
    offset: int


class Violation(BaseModel):
    """One broken rule of the standards: its code and the field's path."""

    code: str
    path: str
    message: str


class Problem(BaseModel):
    """Why the request was refused: a stable code, the path of the first field at fault, and
    every reason found (``violations``: the rules of the standards a record breaks)."""

    code: str
    message: str
    path: str | None = None
    problems: list[str]
    violations: list[Violation] = []


Publish = Callable[[SourceEvent], Awaitable[Accepted]]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in {
        400: "The body is not JSON, or nests deeper than the bus reads (LGSP-VALID-JSON-DEPTH).",
        401: "No API key, or an unknown one.",
        403: "The agency may not publish this subject, or publishes as another agency.",
        404: "Unknown subject.",
        413: "The body is larger than max_body_bytes.",
        415: "The body is not application/json.",
        422: "The JSON does not fit the subject's schema, or breaks a rule of the standards "
        "(status codes, identifiers, dates, lengths): every problem with its code and path.",
        503: "Kafka is unavailable: try again after Retry-After.",
    }.items()
}


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    too_large = Refusal(
        413, "LGSP-CONN-WEBHOOK-TOO-LARGE", f"the body is larger than {limit} bytes"
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def webhook_app(config: WebhookConfig, publish: Publish, metrics: ConnectorMetrics) -> FastAPI:
    """The webhook API; ``publish`` puts an accepted event on Kafka and says where it landed."""
    app = FastAPI(
        title=f"LGSP webhook {config.name}",
        version="1",
        description="Agency systems publish events to the integration bus (node "
        f"{config.node}). Authenticate with X-Api-Key; send the record as plain JSON "
        "(`lgsp schemas example SUBJECT` prints one). Send an Idempotency-Key to make "
        "retried requests publish the same event.",
    )
    examples = {
        subject: {"summary": subject, "value": example_json(bundled_catalog().get(subject))}
        for subject in config.subjects
    }

    def answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        metrics.requests.labels(config.name, str(status)).inc()
        return JSONResponse(body, status, headers=headers)

    @app.post(
        "/events/{subject}",
        status_code=202,
        response_model=Accepted,
        responses=_REFUSALS,
        summary="Publish one event",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"type": "object"}, "examples": examples}
                },
            }
        },
    )
    async def publish_event(subject: str, request: Request) -> Any:
        """Publish one record of ``subject`` (e.g. dossier.status) as the calling agency."""
        headers = request.headers
        try:
            agency = authenticate(config, headers)
            check_subject(config, agency, subject)
            check_content_type(headers.get("content-type"))
            data = parse_body(await _read_limited(request, config.max_body_bytes))
            event = to_event(
                config,
                agency,
                subject,
                data,
                idempotency_key=headers.get("idempotency-key"),
                correlation_id=headers.get("x-correlation-id"),
            )
            accepted = await publish(event)
        except Refusal as refusal:
            return answer(refusal.status, refusal.body())
        except ContractError as error:  # e.g. a recipient that is not an agency code
            problems = list(getattr(error, "problems", [error.message]))
            return answer(422, Refusal(422, error.code, error.message, problems).body())
        except LgspError as error:
            body = Refusal(503, error.code, error.message).body()
            return answer(503, body, {"Retry-After": "5"})
        metrics.count("published")
        return answer(202, accepted.model_dump())

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/health", summary="Liveness (old path of /healthz, kept for a release)", deprecated=True
    )
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
