"""The CloudEvents envelope: our headers are valid CloudEvents for the official SDK, and bad
headers are refused with a code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope, header_value, new_traceparent
from schemas.errors import EnvelopeError
from schemas.examples import example_record

DOSSIER = bundled_catalog().get("dossier.status")


def _envelope() -> Envelope:
    return Envelope.new(
        source="000.01.02.H24",
        type=DOSSIER.event_type,
        subject="H24.22-261118-0042",
        dataschema=DOSSIER.dataschema,
        recipients=["000.00.00.G22", "000.00.00.H24"],
        correlation_id="5b0f3d6e-3c55-4b7e-9a51-0c0f3b9a2d11",
        time=datetime(2026, 11, 18, 2, 2, 11, 125000, tzinfo=UTC),
    )


def test_headers_round_trip_through_our_parser() -> None:
    """Every attribute and extension written as headers is read back equal."""
    envelope = _envelope().retried()
    assert Envelope.from_headers(envelope.to_headers()) == envelope


def test_the_official_cloudevents_sdk_reads_our_record_as_a_valid_event() -> None:
    """The cloudevents SDK's Kafka binding parses our record, with our extensions intact."""
    envelope = _envelope().retried()
    value = AvroCodec().encode(DOSSIER, example_record(DOSSIER))
    message = KafkaMessage(
        headers=dict(envelope.to_headers()), key=b"H24.22-261118-0042", value=value
    )
    event = from_binary(message, JSONFormat())
    attributes = event.get_attributes()
    assert attributes["specversion"] == "1.0"
    assert attributes["id"] == envelope.id
    assert attributes["source"] == "000.01.02.H24"
    assert attributes["type"] == "vn.gov.dossier.status.v1"
    assert attributes["time"] == envelope.time
    assert attributes["dataschema"] == "urn:vn.gov.lgsp:schema:dossier.status:v2"
    assert attributes["datacontenttype"] == "application/avro"
    assert attributes["recipients"] == "000.00.00.G22,000.00.00.H24"
    assert attributes["traceparent"] == envelope.traceparent
    assert attributes["attempt"] == "1"
    assert event.get_data() == value


def test_trace_id_comes_from_traceparent() -> None:
    """The trace id bound in logs is the 32-hex middle of the W3C traceparent."""
    envelope = _envelope()
    assert envelope.trace_id is not None and len(envelope.trace_id) == 32
    assert envelope.traceparent is not None
    assert envelope.traceparent.split("-")[1] == envelope.trace_id


def test_header_value_reads_one_header_without_parsing_the_rest() -> None:
    """The routing hot path reads ce_type alone."""
    assert header_value(_envelope().to_headers(), "ce_type") == "vn.gov.dossier.status.v1"
    assert header_value([], "ce_type") is None


def _without(name: str) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in _envelope().to_headers() if k != name]


def _replaced(name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [*_without(name), (name, value)]


@pytest.mark.parametrize("name", ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"])
def test_a_missing_required_header_is_refused(name: str) -> None:
    """Each required attribute missing: LGSP-ENVELOPE-MISSING naming it."""
    with pytest.raises(EnvelopeError) as raised:
        Envelope.from_headers(_without(name))
    assert raised.value.code == "LGSP-ENVELOPE-MISSING" and name in raised.value.message


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("ce_specversion", b"0.3", "LGSP-ENVELOPE-INVALID"),
        ("ce_source", b"/agencies/hanoi", "LGSP-ENVELOPE-INVALID"),
        ("ce_time", b"yesterday", "LGSP-ENVELOPE-INVALID"),
        ("ce_time", b"2026-11-18T09:02:11", "LGSP-ENVELOPE-INVALID"),
        ("ce_recipients", b"000.00.00.G22,hanoi", "LGSP-ENVELOPE-INVALID"),
        ("ce_recipients", b"000.00.00.G22,000.00.00.G22", "LGSP-ENVELOPE-INVALID"),
        ("ce_traceparent", b"00-abc-def-01", "LGSP-ENVELOPE-INVALID"),
        ("ce_attempt", b"-1", "LGSP-ENVELOPE-INVALID"),
        ("ce_id", b"\xff\xfe", "LGSP-ENVELOPE-INVALID"),
        ("content-type", b"application/json", "LGSP-ENVELOPE-CONTENT-TYPE"),
    ],
)
def test_a_malformed_header_is_refused_with_its_code(name: str, value: bytes, code: str) -> None:
    """Wrong spec version, source, time, recipients, trace, attempt, encoding or content type."""
    with pytest.raises(EnvelopeError) as raised:
        Envelope.from_headers(_replaced(name, value))
    assert raised.value.code == code


def test_a_header_given_twice_is_refused() -> None:
    """Two ce_source headers are ambiguous: LGSP-ENVELOPE-DUPLICATE."""
    headers = [*_envelope().to_headers(), ("ce_source", b"000.00.00.H15")]
    with pytest.raises(EnvelopeError) as raised:
        Envelope.from_headers(headers)
    assert raised.value.code == "LGSP-ENVELOPE-DUPLICATE"


def test_unknown_extensions_are_kept_and_other_headers_ignored() -> None:
    """A ce_ extension we do not know survives; a non-CloudEvents header is not an attribute."""
    headers = [*_envelope().to_headers(), ("ce_province", b"h24"), ("x-platform", b"\xff")]
    parsed = Envelope.from_headers(headers)
    assert parsed.extensions == {"province": "h24"}
    assert ("ce_province", b"h24") in parsed.to_headers()


def test_new_traceparents_are_valid_and_distinct() -> None:
    """Every new trace gets its own id in W3C form."""
    first, second = new_traceparent(), new_traceparent()
    assert first != second
    assert Envelope.from_headers(_replaced("ce_traceparent", first.encode())).traceparent == first


_HEADER_NAMES = st.sampled_from(
    [
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_recipients",
        "ce_attempt",
        "ce_traceparent",
        "content-type",
        "ce_x",
        "other",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_HEADER_NAMES, st.binary(max_size=40)), max_size=12))
def test_arbitrary_headers_either_parse_or_raise_an_envelope_error(
    headers: list[tuple[str, bytes]],
) -> None:
    """Fuzz: no header list makes the parser fail with anything but EnvelopeError."""
    try:
        Envelope.from_headers(headers)
    except EnvelopeError as error:
        assert error.code.startswith("LGSP-ENVELOPE-")
