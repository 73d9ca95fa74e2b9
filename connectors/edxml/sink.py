"""edXML file-drop sink: documents delivered to the agency are written as edXML files.

Each ``document.sent`` record becomes ``SendDocument.<sender>.<ce_id>.edxml`` in ``folder``,
written to a hidden temporary file first and renamed, so the agency's system never reads half
a file. A file that already exists is the same event delivered again: it is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Literal

import httpx
from pydantic import Field

from connectors.attachments.fetch import fetch_attachment
from connectors.config import ConnectorConfig, SinkConfig
from connectors.edxml.package import format_package
from connectors.edxml.writing import format_edxml
from connectors.errors import RetriableDeliveryError
from connectors.sink import Delivery, SinkConnector
from schemas.envelope import format_time


class EdxmlSinkConfig(SinkConfig):
    kind: Literal["edxml-sink"] = "edxml-sink"
    folder: Path = Field(description="Where edXML files are written for the agency's system.")
    event_types: list[str] = Field(default_factory=lambda: ["vn.gov.document.sent.v1"])
    embed_attachments: bool = Field(
        default=False,
        description="Fetch each attachment, check its SHA-256 and embed it in the package; "
        "false: write references only.",
    )
    attachment_sources: list[str] = Field(
        default_factory=list,
        description="URL prefixes attachments may be fetched from (the attachment stores).",
    )
    max_attachment_bytes: int = Field(default=64 << 20, ge=1)
    attachment_timeout_s: float = Field(default=60.0, gt=0)


class EdxmlSink(SinkConnector[EdxmlSinkConfig]):
    config_model: ClassVar[type[ConnectorConfig]] = EdxmlSinkConfig

    async def open_sink(self) -> None:
        self.config.folder.mkdir(parents=True, exist_ok=True)
        self.client = await self.enter.enter_async_context(
            httpx.AsyncClient(timeout=self.config.attachment_timeout_s)
        )

    def file_for(self, delivery: Delivery) -> Path:
        return (
            self.config.folder
            / f"SendDocument.{delivery.envelope.source}.{delivery.idempotency_key}.edxml"
        )

    async def deliver(self, delivery: Delivery) -> None:
        target = self.file_for(delivery)
        if target.exists():
            return
        document = delivery.as_json()
        received_at = format_time(datetime.now(UTC))
        config = self.config
        if config.embed_attachments and document["attachments"]:
            contents = {
                a["sha256"]: await fetch_attachment(
                    self.client,
                    a,
                    sources=config.attachment_sources,
                    max_bytes=config.max_attachment_bytes,
                )
                for a in document["attachments"]
            }
            content = format_package(
                document, contents, received_by=config.agency, received_at=received_at
            )
        else:
            content = format_edxml(document, received_by=config.agency, received_at=received_at)
        partial = target.with_name(f".{target.name}.part")
        try:
            partial.write_bytes(content)
            partial.replace(target)
        except OSError as error:  # a full or unmounted disk: worth trying again
            raise RetriableDeliveryError(f"cannot write {target.name}: {error}") from error
