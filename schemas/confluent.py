"""Confluent wire format, the optional second encoding: ``00`` + 4-byte big-endian schema id
(as a Schema Registry numbers it) + the Avro binary body.

The tools ops already run (AKHQ, Kafka UI, Kafka Connect's AvroConverter, kcat built with
Avro) read this format through a registry speaking the Confluent API. The bus's default stays
single-object encoding (``schemas.codec``), which needs no registry; topics configured for
this format (``bus.wireformat``) carry it instead. Pure: the ids come from the caller.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

from schemas.catalog import SchemaCatalog, SchemaVersion
from schemas.errors import CodecError

MAGIC = b"\x00"
HEADER_LENGTH = 5


def is_confluent(value: bytes) -> bool:
    """Whether ``value`` starts like a Confluent frame (single-object values start C3 01)."""
    return len(value) >= HEADER_LENGTH and value[:1] == MAGIC


def schema_id_of(value: bytes) -> int:
    """The registry's schema id in a Confluent frame; LGSP-CODEC-CONFLUENT-FRAME otherwise."""
    if not is_confluent(value):
        raise CodecError(
            f"value starts with {value[:5].hex() or 'nothing'}: not a Confluent frame "
            "(00 + 4-byte schema id)",
            code="LGSP-CODEC-CONFLUENT-FRAME",
        )
    (schema_id,) = struct.unpack(">I", value[1:HEADER_LENGTH])
    return int(schema_id)


def frame(schema_id: int, schema: SchemaVersion, record: Mapping[str, Any]) -> bytes:
    """Encode ``record`` with ``schema`` in a Confluent frame naming ``schema_id``."""
    buffer = BytesIO()
    buffer.write(MAGIC + struct.pack(">I", schema_id))
    try:
        schemaless_writer(buffer, schema.parsed, record)
    except Exception as error:  # fastavro raises ValueError, TypeError, KeyError...
        raise CodecError(
            f"record does not fit {schema.subject} v{schema.version}: {error}",
            code="LGSP-CODEC-ENCODE",
        ) from error
    return buffer.getvalue()


def unframe(value: bytes, writer: SchemaVersion) -> dict[str, Any]:
    """Decode a Confluent frame's body written with ``writer`` (the schema its id names)."""
    buffer = BytesIO(value)
    buffer.seek(HEADER_LENGTH)
    try:
        record = schemaless_reader(buffer, writer.parsed, None)
    except Exception as error:
        raise CodecError(
            f"corrupt {writer.subject} v{writer.version} body: {type(error).__name__}: {error}",
            code="LGSP-CODEC-CORRUPT",
        ) from error
    if buffer.tell() != len(value) or not isinstance(record, dict):
        raise CodecError(
            f"corrupt {writer.subject} v{writer.version} value: bytes left after the record",
            code="LGSP-CODEC-CORRUPT",
        )
    return record


def catalog_version_of(catalog: SchemaCatalog, schema_text: str) -> SchemaVersion:
    """The catalog's version whose canonical form a registry's schema text has (fingerprint),
    LGSP-CODEC-UNKNOWN-SCHEMA when the contract has no such version."""
    try:
        canonical = to_parsing_canonical_form(json.loads(schema_text))
    except (ValueError, TypeError, KeyError) as error:
        raise CodecError(
            f"the registry's schema is not Avro: {error}", code="LGSP-CODEC-UNKNOWN-SCHEMA"
        ) from error
    wanted = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    for version in catalog:
        if version.fingerprint == wanted:
            found: SchemaVersion = version
            return found
    raise CodecError(
        f"the registry's schema (fingerprint {wanted.hex()}) is no version of this contract",
        code="LGSP-CODEC-UNKNOWN-SCHEMA",
    )


def from_single_object(value: bytes, writer: SchemaVersion, schema_id: int) -> bytes:
    """The Confluent frame of a single-object value written with ``writer``: the Avro body is
    the same in both formats, only the header changes (no decoding)."""
    if not value.startswith(writer.header):
        raise CodecError(
            f"value does not start with the header of {writer.subject} v{writer.version}",
            code="LGSP-CODEC-CORRUPT",
        )
    return MAGIC + struct.pack(">I", schema_id) + value[len(writer.header) :]


def to_single_object(value: bytes, writer: SchemaVersion) -> bytes:
    """The single-object value of a Confluent frame written with ``writer`` (its id's schema)."""
    return writer.header + value[HEADER_LENGTH:]
