"""edXML file-drop sink: documents delivered to the agency are written as edXML files.

Each ``document.sent`` record becomes ``SendDocument.<sender>.<ce_id>.edxml`` in ``folder``,
written to a hidden temporary file first and renamed, so the agency's system never reads half
a file. A file that already exists is the same event delivered again: it is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from connectors.config import ConnectorConfig, SinkConfig
from connectors.edxml.document import format_edxml
from connectors.errors import RetriableDeliveryError
from connectors.sink import Delivery, SinkConnector
from schemas.envelope import format_time


class EdxmlSinkConfig(SinkConfig):
    kind: Literal["edxml-sink"] = "edxml-sink"
    folder: Path = Field(description="Where edXML files are written for the agency's system.")
    event_types: list[str] = Field(default_factory=lambda: ["vn.gov.document.sent.v1"])


class EdxmlSink(SinkConnector[EdxmlSinkConfig]):
    config_model: ClassVar[type[ConnectorConfig]] = EdxmlSinkConfig

    async def open_sink(self) -> None:
        self.config.folder.mkdir(parents=True, exist_ok=True)

    def file_for(self, delivery: Delivery) -> Path:
        return (
            self.config.folder
            / f"SendDocument.{delivery.envelope.source}.{delivery.idempotency_key}.edxml"
        )

    async def deliver(self, delivery: Delivery) -> None:
        target = self.file_for(delivery)
        if target.exists():
            return
        content = format_edxml(
            delivery.as_json(),
            received_by=self.config.agency,
            received_at=format_time(datetime.now(UTC)),
        )
        partial = target.with_name(f".{target.name}.part")
        try:
            partial.write_bytes(content)
            partial.replace(target)
        except OSError as error:  # a full or unmounted disk: worth trying again
            raise RetriableDeliveryError(f"cannot write {target.name}: {error}") from error
