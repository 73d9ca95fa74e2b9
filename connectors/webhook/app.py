"""The webhook's HTTP API (FastAPI): ``POST /events/{subject}``, answered 202 with the event id
once Kafka acknowledged the record; ``/openapi.json`` and ``/docs`` describe it. The single
record's route is served by ``FastPath`` in front of FastAPI (connectors/webhook/fastpath.py)
and declared here for the document; both answer through one ``SingleRecordIntake``."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from connectors.metrics import ConnectorMetrics
from connectors.webhook.config import WebhookConfig
from connectors.webhook.fastpath import FastPath
from connectors.webhook.handling import (
    Publish,
    SingleRecordIntake,
    contract_refusal,
    read_limited,
)
from connectors.webhook.intake import (
    Refusal,
    authenticate,
    check_content_type,
    check_depth,
    check_subject,
    parse_bulk,
    to_event,
)
from schemas.catalog import bundled_catalog
from schemas.errors import ContractError, LgspError
from schemas.examples import example_json
from schemas.ids.directory import AgencyDirectory


class Accepted(BaseModel):
    """The event was published: Kafka has it (the document's form of ``handling.Published``)."""

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


class RecordResult(BaseModel):
    """One record of a bulk request: published (202, where it landed) or refused (its 4xx or
    503, code, path and problems, as a single request would have been answered)."""

    index: int
    status: int
    id: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    code: str | None = None
    message: str | None = None
    path: str | None = None
    problems: list[str] = []
    violations: list[Violation] = []


class BulkAnswer(BaseModel):
    """Every record's own result, in the order sent; the request itself was valid."""

    accepted: int
    refused: int
    results: list[RecordResult]


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


async def _read(request: Request, limit: int) -> bytes:
    return await read_limited(request.headers.get("content-length"), request.stream(), limit)


def webhook_app(
    config: WebhookConfig,
    publish: Publish,
    metrics: ConnectorMetrics,
    directory: AgencyDirectory | None = None,
) -> FastPath:
    """The webhook API (``.app`` the FastAPI part); ``publish`` puts an accepted event on
    Kafka and says where it landed."""
    intake = SingleRecordIntake(config, publish, metrics, directory)
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
        intake.answered(status)
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
        # FastPath answers these first; this route is what the OpenAPI document describes
        status, body, headers = await intake.answer(
            request.headers, subject, lambda limit: _read(request, limit)
        )
        return JSONResponse(body, status, headers=headers)

    @app.post(
        "/events/{subject}/bulk",
        status_code=200,
        response_model=BulkAnswer,
        responses=_REFUSALS,
        summary="Publish many events, each answered on its own",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "array"}}},
            }
        },
    )
    async def publish_bulk(subject: str, request: Request) -> Any:
        """Publish a JSON array of ``subject`` records. Each is checked and published on its own
        (all or nothing per record): the answer lists each one's result, so a bad record is
        refused alone. With an Idempotency-Key K, record i is published as K:i."""
        headers = request.headers
        try:
            agency = authenticate(config, headers)
            check_subject(config, agency, subject)
            check_content_type(headers.get("content-type"))
            items = parse_bulk(
                await _read(request, config.max_bulk_body_bytes), config.max_bulk_records
            )
        except Refusal as refusal:
            return answer(refusal.status, refusal.body())
        key = headers.get("idempotency-key")

        async def one(index: int, data: Any) -> RecordResult:
            try:
                too_deep = check_depth(data)
                if too_deep is not None:
                    raise too_deep
                event = to_event(
                    config,
                    agency,
                    subject,
                    data,
                    idempotency_key=f"{key}:{index}" if key else None,
                    correlation_id=headers.get("x-correlation-id"),
                    directory=directory,
                )
                accepted = await publish(event)
            except Refusal as refusal:
                return RecordResult(index=index, status=refusal.status, **refusal.body())
            except ContractError as error:
                return RecordResult(index=index, status=422, **contract_refusal(error).body())
            except LgspError as error:
                return RecordResult(index=index, status=503, code=error.code, message=error.message)
            return RecordResult(index=index, status=202, **accepted._asdict())

        results = await asyncio.gather(*(one(i, data) for i, data in enumerate(items)))
        accepted = sum(r.status == 202 for r in results)
        metrics.count("published", accepted)
        bulk = BulkAnswer(accepted=accepted, refused=len(results) - accepted, results=results)
        return answer(200, bulk.model_dump(exclude_none=True))

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/health", summary="Liveness (old path of /healthz, kept for a release)", deprecated=True
    )
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return FastPath(app, intake)
