"""Fuzzing the contract's parsers with hypothesis: whatever bytes, headers or JSON arrive, the
codec, the envelope, agency JSON conversion, topic names, dataschema look-ups and park headers
either succeed or raise an ``LgspError`` with a stable code; no other exception ever escapes
(it would stop a gateway partition or kill a connector)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas.catalog import DATASCHEMA_PREFIX, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.errors import CodecError, ContractError, EnvelopeError, LgspError, RecordError
from schemas.examples import example_record
from schemas.jsonform import from_json, to_json
from schemas.parking import read_park_info
from schemas.topics import parse_topic

CODEC = AvroCodec()
CATALOG = bundled_catalog()
VALID = [CODEC.encode(s, example_record(s)) for s in CATALOG]
SCHEMAS = list(CATALOG)
CODEC_CODES = {
    "LGSP-CODEC-TRUNCATED",
    "LGSP-CODEC-BAD-MAGIC",
    "LGSP-CODEC-UNKNOWN-SCHEMA",
    "LGSP-CODEC-CORRUPT",
    "LGSP-CODEC-INCOMPATIBLE",
}
HEADER_NAMES = [
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_dataschema",
    "ce_subject",
    "ce_recipients",
    "ce_correlationid",
    "ce_traceparent",
    "ce_attempt",
    "ce_signature",
    "content-type",
    "CE_TYPE",
    "ce_x",
    "lgsp-park-code",
    "lgsp-attempts",
    "lgsp-due-at",
    "lgsp-original-offset",
    "lgsp-first-failure",
]
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid value with bytes flipped, cut, inserted or duplicated."""
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "extend"]))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif action == "repeat":
            data += data[position:]
        else:
            data += draw(st.binary(max_size=32))
    return bytes(data)


def _decodes_or_coded(data: bytes, reader: Any = None) -> None:
    try:
        CODEC.decode(data, reader)
    except CodecError as error:
        assert error.code in CODEC_CODES, error.code
        assert not error.retriable


@FUZZ
@given(st.binary(max_size=256))
def test_decoding_arbitrary_bytes_succeeds_or_raises_a_codec_error(data: bytes) -> None:
    """Random bytes (C3 01 prefixed or not) never escape as anything but CodecError."""
    _decodes_or_coded(data)
    _decodes_or_coded(b"\xc3\x01" + data)


@FUZZ
@given(mutated())
def test_decoding_mutated_values_succeeds_or_raises_a_codec_error(data: bytes) -> None:
    """Valid records with flipped, cut or inserted bytes: a record or a coded CodecError."""
    _decodes_or_coded(data)


@FUZZ
@given(mutated(), st.sampled_from(SCHEMAS))
def test_decoding_mutated_values_for_a_reader_raises_only_codec_errors(
    data: bytes, reader: Any
) -> None:
    """Resolving a damaged value to another schema version fails with a code, too."""
    _decodes_or_coded(data, reader)


header_values = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
    st.sampled_from(
        [
            b"1.0",
            b"000.01.02.H24",
            b"vn.gov.dossier.status.v1",
            b"2026-11-20T02:12:30.125Z",
            b"\xb2",
            "²".encode(),
            "٣".encode(),
            b"application/avro",
            b"-1",
            b"",
        ]
    ),
)
headers_lists = st.lists(
    st.tuples(st.one_of(st.sampled_from(HEADER_NAMES), st.text(max_size=12)), header_values),
    max_size=16,
)


def _valid_headers() -> list[tuple[str, bytes]]:
    return Envelope.new(
        source="000.01.02.H24",
        type="vn.gov.dossier.status.v1",
        recipients=["000.00.00.G22"],
        correlation_id="c-1",
    ).to_headers()


@FUZZ
@given(headers_lists)
def test_parsing_arbitrary_headers_succeeds_or_raises_an_envelope_error(
    headers: list[tuple[str, bytes]],
) -> None:
    """Any header list gives an Envelope or an EnvelopeError coded LGSP-ENVELOPE-*."""
    try:
        Envelope.from_headers(headers)
    except EnvelopeError as error:
        assert error.code.startswith("LGSP-ENVELOPE-"), error.code


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_values), min_size=1, max_size=4))
@example([("ce_attempt", "²".encode())])  # found by fuzzing: str.isdigit accepts it, int refuses
def test_a_valid_envelope_with_replaced_headers_parses_or_raises_an_envelope_error(
    replacements: list[tuple[str, bytes]],
) -> None:
    """A valid envelope with some headers replaced by hostile values: parsed or coded."""
    names = {name for name, _ in replacements}
    headers = [(k, v) for k, v in _valid_headers() if k not in names] + replacements
    try:
        envelope = Envelope.from_headers(headers)
    except EnvelopeError as error:
        assert error.code.startswith("LGSP-ENVELOPE-"), error.code
    else:
        assert envelope.attempt >= 0


@FUZZ
@given(headers_lists)
@example([("lgsp-park-code", b"X"), ("lgsp-attempts", b"")])  # found: int('') escaped
def test_reading_park_headers_returns_or_raises_a_contract_error(
    headers: list[tuple[str, bytes]],
) -> None:
    """Park headers (retry tiers, DLQs) from anyone: parsed, absent, or a coded ContractError."""
    try:
        read_park_info(headers)
    except ContractError as error:
        assert error.code.startswith("LGSP-")


@FUZZ
@given(
    st.one_of(st.text(max_size=60), st.sampled_from(["lgsp.a.b.c.v²", "lgsp.a.b.c.v1.retry.٣s"]))
)
def test_parsing_topic_names_succeeds_or_raises_a_coded_error(name: str) -> None:
    """Any topic name parses or raises LGSP-TOPIC-NAME."""
    try:
        parse_topic(name)
    except LgspError as error:
        assert error.code == "LGSP-TOPIC-NAME"


@FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.text(max_size=30).map(lambda t: DATASCHEMA_PREFIX + t),
        st.text(max_size=8).map(lambda t: f"{CATALOG.get('dossier.status').dataschema}{t}"),
        st.text(max_size=4).map(lambda t: f"{DATASCHEMA_PREFIX}dossier.status:v{t}"),
    )
)
@example(f"{DATASCHEMA_PREFIX}dossier.status:v²")  # found by this test: isdigit() accepts it
def test_looking_up_a_dataschema_succeeds_or_raises_a_coded_error(uri: str) -> None:
    """Any ce_dataschema names a known schema or raises LGSP-SCHEMA-UNKNOWN."""
    try:
        CATALOG.for_dataschema(uri)
    except LgspError as error:
        assert error.code == "LGSP-SCHEMA-UNKNOWN"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)


@st.composite
def damaged_examples(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    """An example record's JSON form with some fields replaced by arbitrary JSON values."""
    schema = draw(st.sampled_from(SCHEMAS))
    document = to_json(schema, example_record(schema))
    for name in draw(st.lists(st.sampled_from(sorted(document)), max_size=3)):
        document[name] = draw(json_values)
    return schema, document


@FUZZ
@given(damaged_examples())
def test_agency_json_converts_or_raises_a_record_error(case: tuple[Any, dict[str, Any]]) -> None:
    """JSON from an agency (fields replaced by any JSON value) becomes a record that encodes,
    or a RecordError listing its problems: nothing else escapes."""
    schema, document = case
    try:
        record = from_json(schema, document)
    except RecordError as error:
        assert error.code.startswith("LGSP-") and error.problems
    else:
        CODEC.encode(schema, record)


@FUZZ
@given(st.sampled_from(SCHEMAS), json_values)
def test_any_json_value_converts_or_raises_a_record_error(schema: Any, document: Any) -> None:
    """Not even an object: a RecordError, never a TypeError."""
    try:
        from_json(schema, document)
    except RecordError as error:
        assert error.code.startswith("LGSP-")
