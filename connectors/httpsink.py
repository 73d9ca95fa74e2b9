"""HTTP sink: POSTs each inbox record to an agency endpoint (a document-management system,
the national portal's dossier sync), with the ce_id as ``Idempotency-Key``.

``format: cloudevents`` sends a CloudEvents structured JSON event (``data`` is the record as
plain JSON); ``format: data`` sends the record alone with the CloudEvents attributes as
``ce-*`` headers (HTTP binary mode). 2xx (and 409, an idempotent target's "already have it")
is delivered; 408, 425, 429 and 5xx and timeouts are retried; other 4xx are parked.

``batch:`` (with ``format: cloudevents``) sends records together as CloudEvents batches, each
record answered on its own (``connectors.httpbatch``), for targets that take batches.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.config import ConnectorConfig, SinkConfig
from connectors.errors import RetriableDeliveryError
from connectors.httpbatch import BatchPoster
from connectors.httppool import HttpPool, environment_proxy
from connectors.retry import check_status, took_it
from connectors.sink import Delivery, SinkConnector
from schemas.envelope import format_time

_HEADER_SAFE = " !#$&'()*+,/:;=?@[]^_`{|}~-."
_BATCH_HEADERS = {"Content-Type": "application/cloudevents-batch+json"}


class HttpBatchConfig(BaseModel):
    """Batch mode: records coalesced into CloudEvents batch POSTs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, description="Where batches go (default: url).")
    max_records: int = Field(default=100, ge=1, le=10_000, description="Records per POST.")
    max_bytes: int = Field(
        default=1_048_576, ge=1024, description="Bytes of events per POST at most."
    )
    linger_ms: float = Field(
        default=5.0, ge=0, le=1000, description="How long a batch waits for more records."
    )


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
        description="HTTP/1.1 keep-alive connections to the target; more in-flight records "
        "wait for a free one.",
    )
    proxy: str | None = Field(
        default=None,
        description="HTTP proxy to reach the target through, e.g. http://proxy.local:3128 "
        "(default: the environment's HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, minus NO_PROXY).",
    )
    batch: HttpBatchConfig | None = Field(
        default=None, description="Send CloudEvents batches (targets that take them)."
    )

    def proxy_for(self, url: str) -> str | None:
        """The proxy requests to ``url`` go through: ``proxy``, or the environment's for that
        URL's scheme and host (``batch.url`` may name another host than ``url``)."""
        return self.proxy or environment_proxy(url)

    @model_validator(mode="after")
    def _batch_needs_cloudevents(self) -> HttpSinkConfig:
        if self.batch is not None and self.format != "cloudevents":
            raise ValueError("batch: needs format: cloudevents (a batch is a JSON array of events)")
        return self


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
        config = self.config
        self.pool = await self._pool(config.proxy_for(config.url))
        self.batches: BatchPoster | None = None
        if config.batch is not None:
            batch_url = config.batch.url or config.url
            batch_proxy = config.proxy_for(batch_url)
            # batches go through their own URL's proxy (or none), not the records' URL's
            batch_pool = (
                self.pool
                if batch_proxy == config.proxy_for(config.url)
                else await self._pool(batch_proxy)
            )

            async def send(body: bytes) -> httpx.Response:
                return await batch_pool.post(batch_url, body, _BATCH_HEADERS)

            self.batches = await self.enter.enter_async_context(
                BatchPoster(
                    send, config.batch.max_records, config.batch.max_bytes, config.batch.linger_ms
                )
            )

    async def _pool(self, proxy: str | None) -> HttpPool:
        config = self.config
        return await self.enter.enter_async_context(
            HttpPool(config.max_connections, config.timeout_s, config.headers, proxy=proxy)
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
        if self.batches is None:
            await self.deliver_alone(delivery)
            return
        body = json.dumps(cloudevent(delivery), ensure_ascii=False).encode()
        await self.batches.deliver(
            delivery.idempotency_key, body, lambda: self.deliver_alone(delivery)
        )

    async def deliver_alone(self, delivery: Delivery) -> None:
        """POST one record by itself."""
        body, headers = self.request(delivery)
        try:
            response = await self.pool.post(self.config.url, body, headers)
        except httpx.HTTPError as error:  # timeouts, refused connections, broken streams
            raise RetriableDeliveryError(
                f"{type(error).__name__} calling {self.config.url}: {error}"
            ) from error
        if not took_it(response.status_code):  # the answer's text is read only to say why
            check_status(response.status_code, response.text, response.headers.get("retry-after"))
