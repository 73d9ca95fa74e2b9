"""The single-object codec: round trips, schema resolution, and every bad input with its code."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import HEADER_LENGTH, AvroCodec
from schemas.errors import CodecError
from schemas.examples import example_record
from tests.avro_strategies import records

CODEC = AvroCodec()
SCHEMAS = list(bundled_catalog())


def _id(schema: SchemaVersion) -> str:
    return f"{schema.subject}.v{schema.version}"


@pytest.mark.parametrize("schema", SCHEMAS, ids=_id)
def test_every_example_round_trips_with_the_single_object_header(schema: SchemaVersion) -> None:
    """Each example encodes to C3 01 + the schema's fingerprint + body and decodes unchanged."""
    record = example_record(schema)
    value = CODEC.encode(schema, record)
    assert value[:2] == b"\xc3\x01" and value[2:HEADER_LENGTH] == schema.fingerprint
    assert CODEC.writer_of(value) is schema
    assert CODEC.decode(value) == record


@pytest.mark.parametrize("schema", SCHEMAS, ids=_id)
def test_any_record_of_any_schema_round_trips(schema: SchemaVersion) -> None:
    """Property: every record a schema admits comes back equal after encode and decode."""

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records(schema.parsed))
    def round_trip(record: dict[str, Any]) -> None:
        assert CODEC.decode(CODEC.encode(schema, record)) == record

    round_trip()


def test_a_v2_record_is_read_as_v1_and_a_v1_record_as_v2_with_defaults() -> None:
    """Readers resolve to their own version: v2 fields are dropped for v1, defaulted for v2."""
    v1, v2 = bundled_catalog().get("dossier.status", 1), bundled_catalog().get("dossier.status", 2)
    new = CODEC.encode(v2, example_record(v2))
    as_v1 = CODEC.decode(new, reader=v1)
    assert CODEC.writer_of(new) is v2 and "digitised" not in as_v1
    assert as_v1["statusCode"] == 10
    old = CODEC.decode(CODEC.encode(v1, example_record(v1)), reader=v2)
    assert old["digitised"] is False and old["electronicResult"] is False


def _code(value: bytes, reader: SchemaVersion | None = None) -> str:
    with pytest.raises(CodecError) as raised:
        CODEC.decode(value, reader)
    return raised.value.code


DOCUMENT = bundled_catalog().get("document.sent")
GOOD = CODEC.encode(DOCUMENT, example_record(DOCUMENT))


def test_values_shorter_than_the_header_are_truncated() -> None:
    """Fewer than 10 bytes cannot hold the header: LGSP-CODEC-TRUNCATED."""
    for length in range(HEADER_LENGTH):
        assert _code(GOOD[:length]) == "LGSP-CODEC-TRUNCATED"


def test_a_value_without_the_marker_is_refused() -> None:
    """JSON or Confluent-framed bytes are named as such: LGSP-CODEC-BAD-MAGIC."""
    assert _code(b'{"documentId": "x", "more": 1}') == "LGSP-CODEC-BAD-MAGIC"
    assert _code(b"\x00\x00\x00\x00\x07" + GOOD[HEADER_LENGTH:]) == "LGSP-CODEC-BAD-MAGIC"


def test_an_unknown_fingerprint_is_refused() -> None:
    """A writer schema this node lacks: LGSP-CODEC-UNKNOWN-SCHEMA, naming the fingerprint."""
    value = GOOD[:2] + bytes(8) + GOOD[HEADER_LENGTH:]
    with pytest.raises(CodecError) as raised:
        CODEC.decode(value)
    assert raised.value.code == "LGSP-CODEC-UNKNOWN-SCHEMA" and "0000000000000000" in str(
        raised.value
    )


def test_a_truncated_or_padded_body_is_corrupt() -> None:
    """A cut body or bytes after the record: LGSP-CODEC-CORRUPT."""
    assert _code(GOOD[:-7]) == "LGSP-CODEC-CORRUPT"
    assert _code(GOOD + b"\x00") == "LGSP-CODEC-CORRUPT"


def test_a_reader_of_another_subject_is_incompatible() -> None:
    """Reading a document as a payment result cannot resolve: LGSP-CODEC-INCOMPATIBLE."""
    assert _code(GOOD, bundled_catalog().get("payment.result")) == "LGSP-CODEC-INCOMPATIBLE"


def test_a_record_that_does_not_fit_is_refused_on_encode() -> None:
    """Encoding a record with a wrong field type fails with LGSP-CODEC-ENCODE, not a crash."""
    record = example_record(DOCUMENT) | {"priority": "urgent"}
    with pytest.raises(CodecError) as raised:
        CODEC.encode(DOCUMENT, record)
    assert raised.value.code == "LGSP-CODEC-ENCODE"


@settings(max_examples=400, deadline=None)
@given(body=st.binary(max_size=300))
def test_garbage_after_a_valid_header_never_escapes_as_anything_but_a_codec_error(
    body: bytes,
) -> None:
    """Fuzz: any body behind a known header either decodes or raises CodecError."""
    try:
        CODEC.decode(DOCUMENT.header + body)
    except CodecError as error:
        assert error.code == "LGSP-CODEC-CORRUPT"


@settings(max_examples=200, deadline=None)
@given(flip=st.integers(min_value=HEADER_LENGTH, max_value=len(GOOD) - 1), bit=st.integers(0, 7))
def test_a_flipped_bit_in_the_body_never_crashes(flip: int, bit: int) -> None:
    """Fuzz: a corrupted byte either still decodes (a changed field) or is LGSP-CODEC-CORRUPT."""
    damaged = bytearray(GOOD)
    damaged[flip] ^= 1 << bit
    try:
        CODEC.decode(bytes(damaged))
    except CodecError as error:
        assert error.code == "LGSP-CODEC-CORRUPT"
