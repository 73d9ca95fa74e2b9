"""Avro single-object encoding (C3 01, CRC-64-AVRO fingerprint, binary body) with fastavro.

Any Avro library reads these bytes given the schema files (Java's BinaryMessageDecoder
included): no registry server is needed. Decoding finds the writer schema by fingerprint and
resolves the record to the reader's schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from schemas.avro_reader import Reader, compile_reader, read_body
from schemas.avro_writer import Writer, compile_writer
from schemas.catalog import SINGLE_OBJECT_MAGIC, SchemaCatalog, SchemaVersion, bundled_catalog
from schemas.errors import CodecError
from schemas.per_schema import PerSchema
from schemas.schema_nodes import UnsupportedError

HEADER_LENGTH = len(SINGLE_OBJECT_MAGIC) + 8


class AvroCodec:
    """Single-object encoding against a ``SchemaCatalog`` (the bundled one by default)."""

    def __init__(self, catalog: SchemaCatalog | None = None) -> None:
        self.catalog = catalog or bundled_catalog()
        self._writers = self.catalog.headers
        self._compiled = PerSchema[Writer](lambda schema: compile_writer(schema.parsed))
        self._readers = PerSchema[Reader | None](_reader_of)  # None: fastavro's

    def encode(self, schema: SchemaVersion, record: Mapping[str, Any]) -> bytes:
        """Encode ``record`` with ``schema``; a misfit record raises LGSP-CODEC-ENCODE.

        The body is written by the schema's compiled writer (``schemas.avro_writer``, the
        same bytes as fastavro); a record it does not take is encoded by fastavro instead,
        which writes it or raises its own error.
        """
        compiled = self._compiled(schema)
        buffer = bytearray(schema.header)
        try:
            compiled(buffer, record)
        except Exception:  # UnsupportedError, or a value fastavro may take or refuse: let it say
            return self._encode_with_fastavro(schema, record)
        return bytes(buffer)

    def _encode_with_fastavro(self, schema: SchemaVersion, record: Mapping[str, Any]) -> bytes:
        buffer = BytesIO()
        buffer.write(schema.header)
        try:
            schemaless_writer(buffer, schema.parsed, record)
        except Exception as error:  # fastavro raises ValueError, TypeError, KeyError...
            raise CodecError(
                f"record does not fit schema {schema.subject} v{schema.version}: {error}",
                code="LGSP-CODEC-ENCODE",
            ) from error
        return buffer.getvalue()

    def writer_of(self, data: bytes) -> SchemaVersion:
        """The writer schema named by a value's header, without decoding the body."""
        writer = self._writers.get(data[:HEADER_LENGTH])
        if writer is not None:
            return writer
        if len(data) < HEADER_LENGTH:
            raise CodecError(
                f"value is {len(data)} bytes, shorter than the {HEADER_LENGTH}-byte "
                "single-object header",
                code="LGSP-CODEC-TRUNCATED",
            )
        if data[:2] != SINGLE_OBJECT_MAGIC:
            raise CodecError(
                f"value starts with {data[:2].hex()}, not the Avro single-object marker c301 "
                "(is it JSON, or Confluent wire format?)",
                code="LGSP-CODEC-BAD-MAGIC",
            )
        raise CodecError(
            f"no known schema has fingerprint {data[2:HEADER_LENGTH].hex()}: the writer used "
            "a schema this node does not have (update the contract package)",
            code="LGSP-CODEC-UNKNOWN-SCHEMA",
        )

    def decode(self, data: bytes, reader: SchemaVersion | None = None) -> dict[str, Any]:
        """Decode a value written with any known schema, resolved to ``reader`` when given.

        Returns the record alone (``writer_of`` names its writer schema from the header):
        building a wrapper per record would cost more than the header handling itself. Without
        resolution the body is read by the writer schema's compiled reader
        (``schemas.avro_reader``, fastavro's values); a body it does not take, a schema it
        cannot compile and any resolution are fastavro's, which reads them or raises as ever.
        """
        writer = self._writers.get(data[:HEADER_LENGTH]) or self.writer_of(data)
        if reader is None or reader is writer:
            compiled = self._readers(writer)
            if compiled is not None and type(data) is bytes:
                try:
                    return read_body(compiled, data, HEADER_LENGTH)  # type: ignore[no-any-return]
                except Exception:  # truncated, garbled or odd: fastavro reads it or says why
                    pass
        return self._decode_with_fastavro(data, writer, reader)

    def _decode_with_fastavro(
        self, data: bytes, writer: SchemaVersion, reader: SchemaVersion | None
    ) -> dict[str, Any]:
        reader_parsed = None if reader is None or reader is writer else reader.parsed
        buffer = BytesIO(data)
        buffer.seek(HEADER_LENGTH)
        try:
            record = schemaless_reader(buffer, writer.parsed, reader_parsed)
        except SchemaResolutionError as error:
            assert reader is not None
            raise CodecError(
                f"a {writer.subject} v{writer.version} record cannot be read as "
                f"{reader.subject} v{reader.version}: {error}",
                code="LGSP-CODEC-INCOMPATIBLE",
            ) from error
        except Exception as error:  # truncated or garbled body: EOFError, ValueError, ...
            raise CodecError(
                f"corrupt {writer.subject} v{writer.version} body: {type(error).__name__}: {error}",
                code="LGSP-CODEC-CORRUPT",
            ) from error
        if buffer.tell() != len(data):
            raise CodecError(
                f"corrupt {writer.subject} v{writer.version} value: "
                f"{len(data) - buffer.tell()} bytes left after the record",
                code="LGSP-CODEC-CORRUPT",
            )
        return record  # type: ignore[return-value]  # a record schema decodes to a dict


def _reader_of(schema: SchemaVersion) -> Reader | None:
    """The schema's compiled reader, or None when a node of it is fastavro's to read."""
    try:
        return compile_reader(schema.parsed)
    except UnsupportedError:
        return None
