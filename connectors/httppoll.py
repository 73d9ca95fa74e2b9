"""HTTP polling source: asks an agency's REST endpoint for changes since a cursor.

The endpoint answers ``GET <url>?since=<cursor>&limit=<n>`` (``since`` left out on the first
call) with ``{"items": [...], "cursor": "<next>", "more": true|false}``; each item is a record
of ``subject`` as plain JSON (e.g. a one-stop-shop system's dossier changes). The cursor is
saved after the items are acknowledged, so a restart asks again from the last saved one.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, field_validator

from connectors.config import ConnectorConfig, SourceConfig, schema_subject
from connectors.errors import ConnectorError
from connectors.events import SourceEvent
from connectors.fieldpath import check_path, text_at, values_at
from connectors.source import SourceBatch, SourceConnector


class HttpPollConfig(SourceConfig):
    kind: Literal["http-poll"] = "http-poll"
    url: str = Field(description="The agency endpoint listing changes.")
    subject: str = Field(description="Schema subject of the items, e.g. dossier.status.")
    version: int | None = Field(default=None, description="Schema version (unset: latest).")
    record_field: str | None = Field(
        default=None,
        description="Item field holding the record (unset: the item is the record). The "
        "other *_field paths start at the item.",
    )
    key_field: str = Field(description="Item field holding the business id (the Kafka key).")
    id_field: str | None = Field(
        default=None,
        description="Item field naming the change (its ce_id is derived from it); unset: "
        "the cursor the item was read after, and its place in the page.",
    )
    recipients_field: str | None = Field(default=None, description="e.g. recipients[].code")
    cursor_param: str = "since"
    limit_param: str = "limit"
    items_field: str = "items"
    cursor_field: str = "cursor"
    more_field: str | None = "more"
    headers: dict[str, str] = Field(
        default_factory=dict, description="Sent with every request (e.g. Authorization)."
    )
    timeout_s: float = Field(default=10.0, gt=0)

    @field_validator("subject")
    @classmethod
    def _known(cls, value: str) -> str:
        return schema_subject(value)

    @field_validator("key_field", "id_field", "recipients_field", "record_field")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return None if value is None else check_path(value)


class HttpPollSource(SourceConnector[HttpPollConfig]):
    config_model: ClassVar[type[ConnectorConfig]] = HttpPollConfig

    async def open_source(self) -> None:
        self.client = await self.enter.enter_async_context(
            httpx.AsyncClient(headers=self.config.headers, timeout=self.config.timeout_s)
        )

    async def poll(self, position: str | None) -> SourceBatch:
        config = self.config
        params: dict[str, Any] = {config.limit_param: config.max_batch}
        if position is not None:
            params[config.cursor_param] = position
        try:
            response = await self.client.get(config.url, params=params)
            response.raise_for_status()
            page = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ConnectorError(
                f"polling {config.url} failed: {error}", code="LGSP-CONN-POLL-FAILED"
            ) from error
        except RecursionError as error:  # a page nested deeper than Python reads
            raise ConnectorError(
                f"{config.url} answered JSON nested too deep to read",
                code="LGSP-VALID-JSON-DEPTH",
            ) from error
        items = page.get(config.items_field) if isinstance(page, dict) else None
        cursor = page.get(config.cursor_field) if isinstance(page, dict) else None
        if not isinstance(items, list) or (cursor is not None and not isinstance(cursor, str)):
            raise ConnectorError(
                f"{config.url} answered without a list {config.items_field!r} and a text "
                f"{config.cursor_field!r}",
                code="LGSP-CONN-POLL-FAILED",
            )
        more = bool(page.get(config.more_field)) if config.more_field else False
        return SourceBatch(
            [self._event(item, position, index) for index, item in enumerate(items)],
            position=cursor,
            more=more and bool(items),
        )

    def _event(self, item: Any, position: str | None, index: int) -> SourceEvent:
        config = self.config
        identity = text_at(item, config.id_field) if config.id_field else None
        recipients = (
            [str(code) for code in values_at(item, config.recipients_field)]
            if config.recipients_field
            else []
        )
        record = values_at(item, config.record_field) if config.record_field else [item]
        return SourceEvent(
            subject=config.subject,
            version=config.version,
            # anything but one object fails the schema check and is parked with the reason
            data=record[0] if len(record) == 1 and isinstance(record[0], dict) else {"item": item},
            key=text_at(item, config.key_field) or "",
            identity=identity or f"{position or ''}#{index}",
            recipients=recipients,
        )
