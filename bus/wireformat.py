"""Which encoding a topic's values use, and encoding or decoding by it.

The default is Avro single-object encoding (no registry needed). Topics matching one of
``confluent_topics`` (shell-style patterns, e.g. ``lgsp.hanoi.inbox.*``) carry the Confluent
wire format instead, their schemas registered under ``<topic>-value`` in the registry at
``registry`` (Confluent API; Apicurio's is ``http://host:8080/apis/ccompat/v7``), so that
AKHQ, Kafka UI or Kafka Connect's AvroConverter read them. Decoding recognises both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bus.schemaregistry import SchemaRegistry, schema_registry, value_subject
from schemas.catalog import SchemaCatalog, SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.confluent import catalog_version_of, frame, is_confluent, schema_id_of, unframe
from schemas.errors import LgspError


class WireFormatConfig(BaseModel):
    """``wire_format:`` of a config file: the registry, and the topics in Confluent format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registry: str | None = None
    confluent_topics: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _registry_for_confluent(self) -> WireFormatConfig:
        if self.confluent_topics and not self.registry:
            raise ValueError("confluent_topics need a registry (its Confluent API URL)")
        return self

    def is_confluent(self, topic: str) -> bool:
        return any(fnmatchcase(topic, pattern) for pattern in self.confluent_topics)


@dataclass
class RecordEncoding:
    """Encodes for a topic in its configured format; decodes either format."""

    config: WireFormatConfig
    registry: SchemaRegistry | None
    catalog: SchemaCatalog = field(default_factory=bundled_catalog)

    def __post_init__(self) -> None:
        self.codec = AvroCodec(self.catalog)
        self._writers: dict[int, SchemaVersion] = {}

    async def encode(self, topic: str, schema: SchemaVersion, record: Mapping[str, Any]) -> bytes:
        if not self.config.is_confluent(topic):
            return self.codec.encode(schema, record)
        schema_id = await self._registry().register(value_subject(topic), schema)
        return frame(schema_id, schema, record)

    async def decode(self, value: bytes) -> tuple[SchemaVersion, dict[str, Any]]:
        """The writer schema and record of a value in either format."""
        if not is_confluent(value):
            return self.codec.writer_of(value), self.codec.decode(value)
        schema_id = schema_id_of(value)
        writer = self._writers.get(schema_id)
        if writer is None:
            text = await self._registry().schema_text(schema_id)
            writer = self._writers[schema_id] = catalog_version_of(self.catalog, text)
        return writer, unframe(value, writer)

    def _registry(self) -> SchemaRegistry:
        if self.registry is None:
            raise LgspError(
                "a Confluent-format value needs a schema registry: set wire_format.registry "
                "(or --registry)",
                code="LGSP-REGISTRY",
            )
        return self.registry


@asynccontextmanager
async def record_encoding(config: WireFormatConfig) -> AsyncIterator[RecordEncoding]:
    """The encoding of ``config`` for the block (with its registry client, when one is set)."""
    if config.registry is None:
        yield RecordEncoding(config, None)
        return
    async with schema_registry(config.registry) as registry:
        yield RecordEncoding(config, registry)
