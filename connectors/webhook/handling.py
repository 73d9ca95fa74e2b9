"""One request of ``POST /events/{subject}``, from its headers, subject and body to its answer
(status, JSON body, headers): the FastAPI route and the fast path in front of it
(``connectors/webhook/fastpath.py``) both answer through ``SingleRecordIntake``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from connectors.events import CheckedEvent
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
from schemas.errors import ContractError, LgspError
from schemas.ids.directory import AgencyDirectory

KAFKA_RETRY_AFTER = {"Retry-After": "5"}  # what a 503 (Kafka unavailable) tells the caller


class Published(NamedTuple):
    """Where an accepted event landed: the 202's body (``Accepted`` in the OpenAPI document)."""

    id: str
    type: str
    topic: str
    partition: int
    offset: int


class Answer(NamedTuple):
    """What the webhook answers a request: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str] | None = None


Publish = Callable[[CheckedEvent], Awaitable[Published]]
# reads the request's body, at most ``limit`` bytes (a Refusal 413 past it)
BodyReader = Callable[[int], Awaitable[bytes]]


def too_large(limit: int) -> Refusal:
    return Refusal(413, "LGSP-CONN-WEBHOOK-TOO-LARGE", f"the body is larger than {limit} bytes")


async def read_limited(declared: str | None, chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The body from ``chunks``, refused (413) as soon as its declared Content-Length or what
    arrived passes ``limit``."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def contract_refusal(error: ContractError) -> Refusal:
    """A record the contract refuses (e.g. a recipient that is not an agency code): a 422."""
    problems = list(getattr(error, "problems", [error.message]))
    return Refusal(422, error.code, error.message, problems)


@dataclass(frozen=True)
class SingleRecordIntake:
    """Checks, publishes and answers one record; counts every answer by status."""

    config: WebhookConfig
    publish: Publish
    metrics: ConnectorMetrics
    directory: AgencyDirectory | None = None
    _answers: dict[int, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def answered(self, status: int) -> None:
        """Count one answer of ``status`` (the counter's child looked up once per status)."""
        child = self._answers.get(status)
        if child is None:
            child = self._answers[status] = self.metrics.child(self.metrics.requests, str(status))
        child.inc()

    async def answer(self, headers: Mapping[str, str], subject: str, read: BodyReader) -> Answer:
        """The answer to one record of ``subject``: 202 with where it landed once Kafka has it,
        a 4xx with its stable code and every reason, or 503 (Retry-After) if Kafka did not
        acknowledge. ``headers`` have lower-case names; the body is read only once the caller
        may publish the subject."""
        answer = await self._answer(headers, subject, read)
        self.answered(answer.status)
        return answer

    async def _answer(self, headers: Mapping[str, str], subject: str, read: BodyReader) -> Answer:
        config = self.config
        try:
            agency = authenticate(config, headers)
            check_subject(config, agency, subject)
            check_content_type(headers.get("content-type"))
            data = parse_body(await read(config.max_body_bytes))
            event = to_event(
                config,
                agency,
                subject,
                data,
                idempotency_key=headers.get("idempotency-key"),
                correlation_id=headers.get("x-correlation-id"),
                directory=self.directory,
            )
            published = await self.publish(event)
        except Refusal as refusal:
            return Answer(refusal.status, refusal.body())
        except ContractError as error:
            return Answer(422, contract_refusal(error).body())
        except LgspError as error:
            return Answer(503, Refusal(503, error.code, error.message).body(), KAFKA_RETRY_AFTER)
        self.metrics.count("published")
        return Answer(202, published._asdict())
