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
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bus.kafka import OutgoingRecord
from bus.schemaregistry import SchemaRegistry, schema_registry, value_subject
from schemas.catalog import SchemaCatalog, SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.confluent import (
    catalog_version_of,
    frame,
    from_single_object,
    is_confluent,
    schema_id_of,
    to_single_object,
    unframe,
)
from schemas.errors import CodecError, LgspError

_MAX_REMEMBERED = 10_000  # topics whose format a RecordEncoding keeps (a node has hundreds)


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
        self._confluent: dict[str, bool] = {}  # topic -> is_confluent, asked once per topic

    def confluent_topic(self, topic: str) -> bool:
        """``config.is_confluent(topic)``, remembered: the gateway asks it for every record it
        produces (the pattern match was 6 % of its time)."""
        answer = self._confluent.get(topic)
        if answer is None:
            answer = self.config.is_confluent(topic)
            if len(self._confluent) < _MAX_REMEMBERED:
                self._confluent[topic] = answer
        return answer

    async def encode(self, topic: str, schema: SchemaVersion, record: Mapping[str, Any]) -> bytes:
        if not self.confluent_topic(topic):
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

    async def for_topic(self, topic: str, value: bytes) -> bytes:
        """``value`` (either format) in the format ``topic`` is configured for: Confluent
        frames on a configured topic, single-object elsewhere. The body is not decoded."""
        if self.confluent_topic(topic):
            if is_confluent(value):
                value = await self.single_object(value)
            writer = self.codec.writer_of(value)
            schema_id = await self._registry().register(value_subject(topic), writer)
            return from_single_object(value, writer, schema_id)
        return await self.single_object(value)

    async def outgoing(self, record: OutgoingRecord) -> OutgoingRecord:
        """``record`` with its value in its topic's format (unchanged on unconfigured topics)."""
        if not self.confluent_topic(record.topic) and not is_confluent(record.value):
            return record
        return replace(record, value=await self.for_topic(record.topic, record.value))

    async def single_object(self, value: bytes) -> bytes:
        """``value`` as single-object encoding, whatever its format: what the bus's decoders
        read. A Confluent frame whose schema cannot be resolved raises
        LGSP-CODEC-CONFLUENT-UNRESOLVED (no registry configured, an id the registry does
        not know, or a schema the contract does not have)."""
        if not is_confluent(value):
            return value
        schema_id = schema_id_of(value)
        writer = self._writers.get(schema_id)
        if writer is None:
            try:
                text = await self._registry().schema_text(schema_id)
                writer = catalog_version_of(self.catalog, text)
            except LgspError as error:
                raise CodecError(
                    f"Confluent frame with schema id {schema_id}: {error.message}",
                    code="LGSP-CODEC-CONFLUENT-UNRESOLVED",
                    retriable=error.retriable,  # the registry down or answering 5xx
                ) from error
            self._writers[schema_id] = writer
        return to_single_object(value, writer)

    def _registry(self) -> SchemaRegistry:
        if self.registry is None:
            raise LgspError(
                "a Confluent-format value needs a schema registry: set wire_format.registry "
                "(or --registry)",
                code="LGSP-REGISTRY",
            )
        return self.registry


SINGLE_OBJECT = WireFormatConfig()


@asynccontextmanager
async def record_encoding(
    config: WireFormatConfig, catalog: SchemaCatalog | None = None
) -> AsyncIterator[RecordEncoding]:
    """The encoding of ``config`` for the block (with its registry client, when one is set)."""
    catalog = catalog or bundled_catalog()
    if config.registry is None:
        yield RecordEncoding(config, None, catalog)
        return
    async with schema_registry(config.registry) as registry:
        yield RecordEncoding(config, registry, catalog)


async def as_single_object(value: bytes, config: WireFormatConfig) -> bytes:
    """``value`` as single-object encoding, a Confluent frame resolved through ``config``'s
    registry (for tools that read one record at a time: ``lgsp dlq show``, the console);
    LGSP-CODEC-CONFLUENT-UNRESOLVED when it cannot be."""
    if not is_confluent(value):
        return value
    async with record_encoding(config) as encoding:
        return await encoding.single_object(value)
