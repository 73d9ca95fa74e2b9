"""The Confluent wire format (00 + 4-byte big-endian schema id + Avro body) and the
wire_format configuration that chooses it per topic."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bus.wireformat import WireFormatConfig
from schemas.catalog import bundled_catalog
from schemas.confluent import catalog_version_of, frame, is_confluent, schema_id_of, unframe
from schemas.errors import CodecError
from schemas.examples import example_record

SCHEMA = bundled_catalog().get("dossier.status", 2)


def test_a_frame_is_magic_zero_the_id_big_endian_and_the_body() -> None:
    """frame(258, ...) starts 00 00 00 01 02 and decodes back to the record."""
    record = example_record(SCHEMA)
    value = frame(258, SCHEMA, record)
    assert value[:5] == bytes([0, 0, 0, 1, 2])
    assert is_confluent(value) and schema_id_of(value) == 258
    assert unframe(value, SCHEMA) == record


def test_single_object_values_and_short_ones_are_not_frames() -> None:
    """A C3 01 value or a 3-byte one is not a frame: LGSP-CODEC-CONFLUENT-FRAME."""
    for value in (b"\xc3\x01" + bytes(20), b"\x00\x00\x01"):
        assert not is_confluent(value)
        with pytest.raises(CodecError) as raised:
            schema_id_of(value)
        assert raised.value.code == "LGSP-CODEC-CONFLUENT-FRAME"


def test_a_cut_body_is_corrupt() -> None:
    """A frame whose body is cut short is LGSP-CODEC-CORRUPT, never a partial record."""
    value = frame(1, SCHEMA, example_record(SCHEMA))
    with pytest.raises(CodecError) as raised:
        unframe(value[:-7], SCHEMA)
    assert raised.value.code == "LGSP-CODEC-CORRUPT"


def test_a_registry_schema_is_matched_to_its_catalog_version_by_fingerprint() -> None:
    """Schema text from a registry (whitespace and docs as it stored them) maps to the catalog
    version with the same canonical form; an unknown schema is LGSP-CODEC-UNKNOWN-SCHEMA."""
    text = json.dumps(SCHEMA.definition, indent=4)
    assert catalog_version_of(bundled_catalog(), text) is SCHEMA
    other = json.dumps({"type": "record", "name": "X", "fields": []})
    with pytest.raises(CodecError) as raised:
        catalog_version_of(bundled_catalog(), other)
    assert raised.value.code == "LGSP-CODEC-UNKNOWN-SCHEMA"


def test_confluent_topics_are_chosen_by_pattern_and_need_a_registry() -> None:
    """Patterns pick the Confluent topics, others stay single-object; confluent_topics without
    a registry is refused."""
    config = WireFormatConfig(registry="http://127.0.0.1:1", confluent_topics=["lgsp.*.inbox.*"])
    assert config.is_confluent("lgsp.hanoi.inbox.000-01-02-h24")
    assert not config.is_confluent("lgsp.hanoi.dossier.status.v1")
    assert not WireFormatConfig().is_confluent("lgsp.hanoi.inbox.x")
    with pytest.raises(ValidationError):
        WireFormatConfig(confluent_topics=["lgsp.*"])
