"""HTTP sink: POSTs each inbox record to an agency endpoint (a document-management system,
the national portal's dossier sync), with the ce_id as ``Idempotency-Key``.

``format: cloudevents`` sends a CloudEvents structured JSON event (``data`` is the record as
plain JSON); ``format: data`` sends the record alone with the CloudEvents attributes as
``ce-*`` headers (HTTP binary mode). 2xx (and 409, an idempotent target's "already have it")
is delivered; 408, 425, 429 and 5xx and timeouts are retried; other 4xx are parked.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import httpx
from pydantic import Field

from connectors.config import ConnectorConfig, SinkConfig
from connectors.errors import RetriableDeliveryError
from connectors.retry import check_status
from connectors.sink import Delivery, SinkConnector
from schemas.envelope import format_time

_HEADER_SAFE = " !#$&'()*+,/:;=?@[]^_`{|}~-."


class HttpSinkConfig(SinkConfig):
    kind: Literal["http-sink"] = "http-sink"
    url: str = Field(description="Where records are POSTed.")
    format: Literal["cloudevents", "data"] = "cloudevents"
    headers: dict[str, str] = Field(
        default_factory=dict, description="Sent with every request (e.g. Authorization)."
    )
    timeout_s: float = Field(default=10.0, gt=0)
    max_connections: int = Field(
        default=8,
        ge=1,
        le=256,
        description="HTTP connections to the target; more in-flight records wait for one "
        "(httpx slows down sharply beyond a few dozen connections in one pool).",
    )


def cloudevent(delivery: Delivery) -> dict[str, Any]:
    """The CloudEvents structured JSON form of a record."""
    envelope = delivery.envelope
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "time": format_time(envelope.time),
        "datacontenttype": "application/json",
        "data": delivery.as_json(),
    }
    optional = {
        "dataschema": envelope.dataschema,
        "subject": envelope.subject,
        "recipients": ",".join(envelope.recipients) or None,
        "correlationid": envelope.correlation_id,
        "traceparent": envelope.traceparent,
    }
    event.update({name: value for name, value in optional.items() if value})
    return event


class HttpSink(SinkConnector[HttpSinkConfig]):
    config_model: ClassVar[type[ConnectorConfig]] = HttpSinkConfig

    async def open_sink(self) -> None:
        limits = httpx.Limits(max_connections=self.config.max_connections)
        self._connections = asyncio.Semaphore(self.config.max_connections)
        self.client = await self.enter.enter_async_context(
            httpx.AsyncClient(
                headers=self.config.headers, timeout=self.config.timeout_s, limits=limits
            )
        )

    def request(self, delivery: Delivery) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST for one record."""
        headers = {"Idempotency-Key": delivery.idempotency_key}
        if self.config.format == "cloudevents":
            headers["Content-Type"] = "application/cloudevents+json"
            body = cloudevent(delivery)
        else:
            headers["Content-Type"] = "application/json"
            event = cloudevent(delivery)
            for name, value in event.items():
                if name not in ("data", "datacontenttype"):
                    # HTTP binding: header values are percent-encoded beyond printable ASCII
                    headers[f"ce-{name}"] = quote(str(value), safe=_HEADER_SAFE)
            body = event["data"]
        return json.dumps(body, ensure_ascii=False).encode(), headers

    async def deliver(self, delivery: Delivery) -> None:
        body, headers = self.request(delivery)
        try:
            # never more requests than connections inside httpx: its pool slows down with
            # every request queued in it
            async with self._connections:
                response = await self.client.post(self.config.url, content=body, headers=headers)
        except httpx.HTTPError as error:  # timeouts, refused connections, broken streams
            raise RetriableDeliveryError(
                f"{type(error).__name__} calling {self.config.url}: {error}"
            ) from error
        check_status(response.status_code, response.text, response.headers.get("retry-after"))
