"""The compiled Avro writer writes fastavro's bytes; fastavro gets whatever it does not take."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.avro_writer import compile_writer, encode_body
from schemas.catalog import SchemaVersion, bundled_catalog, load_schema
from schemas.codec import AvroCodec
from schemas.errors import CodecError
from schemas.examples import example_record
from schemas.schema_nodes import UnsupportedError
from tests.avro_strategies import records

CODEC = AvroCodec()
SCHEMAS = list(bundled_catalog())
HANOI = timezone(timedelta(hours=7))
EDGE = load_schema(
    {
        "type": "record",
        "name": "Edge",
        "namespace": "test.edge",
        "fields": [
            {"name": "i", "type": "int"},
            {"name": "l", "type": "long"},
            {"name": "d", "type": "double"},
            {"name": "b", "type": "boolean"},
            {"name": "s", "type": "string"},
            {"name": "raw", "type": "bytes"},
            {"name": "e", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "BLUE"]}},
            {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
            {"name": "a", "type": {"type": "array", "items": "long"}},
            {"name": "m", "type": {"type": "map", "values": ["null", "string"]}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "atu", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "when", "type": [{"type": "long", "logicalType": "timestamp-millis"}, "null"]},
            {"name": "maybe", "type": ["null", "Colour"], "default": None},
            {
                "name": "nested",
                "type": [
                    "null",
                    {
                        "type": "record",
                        "name": "Node",
                        "fields": [
                            {"name": "label", "type": "string"},
                            {"name": "next", "type": ["null", "Node"], "default": None},
                        ],
                    },
                ],
                "default": None,
            },
            {"name": "count", "type": "int", "default": 7},
            {"name": "absent", "type": ["null", "long"]},
        ],
    },
    "test.edge",
    1,
)
EDGE_RECORD: dict[str, Any] = {
    "i": -(2**31), "l": 2**63 - 1, "d": -0.0, "b": True, "s": "Hà Nội, Việt Nam 🇻🇳",
    "raw": b"\x00\xff", "e": "BLUE", "fx": b"abcd", "a": [], "m": {},
    "at": datetime(2026, 12, 2, 8, 0, tzinfo=HANOI),
    "atu": datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "day": date(1900, 1, 1),
    "id": uuid.UUID(int=1), "when": None, "nested": {"label": "a", "next": {"label": "b"}},
}  # fmt: skip


def _fastavro(schema: SchemaVersion, record: Any) -> bytes:
    buffer = BytesIO()
    schemaless_writer(buffer, schema.parsed, record)
    return buffer.getvalue()


def _compiled(schema: SchemaVersion, record: Any) -> bytes:
    return encode_body(compile_writer(schema.parsed), record)


def _same_as_fastavro(schema: SchemaVersion, record: Any) -> None:
    """The codec writes what fastavro writes, or both refuse the record."""
    try:
        expected = schema.header + _fastavro(schema, record)
    except Exception:
        with pytest.raises(CodecError) as raised:
            CODEC.encode(schema, record)
        assert raised.value.code == "LGSP-CODEC-ENCODE"
    else:
        assert CODEC.encode(schema, record) == expected


def _id(schema: SchemaVersion) -> str:
    return f"{schema.subject}.v{schema.version}"


@pytest.mark.parametrize("schema", [*SCHEMAS, EDGE], ids=_id)
def test_any_record_of_a_schema_is_written_as_fastavro_writes_it(schema: SchemaVersion) -> None:
    """Property: compiled bytes == fastavro's for every record a schema admits (no fallback
    for the bundled schemas: their records never need fastavro)."""

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records(schema.parsed))
    def same(record: dict[str, Any]) -> None:
        if schema is not EDGE:
            assert _compiled(schema, record) == _fastavro(schema, record)
        _same_as_fastavro(schema, record)

    same()


@pytest.mark.parametrize("schema", SCHEMAS, ids=_id)
def test_every_example_is_written_as_fastavro_writes_it(schema: SchemaVersion) -> None:
    """from_json(example) of each subject: the compiled writer's bytes, fastavro's bytes."""
    record = example_record(schema)
    assert _compiled(schema, record) == _fastavro(schema, record)
    assert CODEC.encode(schema, record) == schema.header + _fastavro(schema, record)


_WILD = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.binary(max_size=5) | st.dates() | st.datetimes(timezones=st.just(HANOI)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=6,
)  # fmt: skip


@pytest.mark.parametrize("schema", [bundled_catalog().get("dossier.status"), EDGE], ids=_id)
def test_a_misfit_record_is_refused_or_written_exactly_as_fastavro_does(
    schema: SchemaVersion,
) -> None:
    """Property: fields replaced by any value, or dropped: same bytes, or LGSP-CODEC-ENCODE
    exactly when fastavro refuses (the compiled writer is never looser than fastavro)."""

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(record=records(schema.parsed), data=st.data())
    def misfit(record: dict[str, Any], data: st.DataObject) -> None:
        for name in data.draw(st.lists(st.sampled_from(sorted(record)), max_size=3, unique=True)):
            if data.draw(st.booleans()):
                del record[name]
            else:
                record[name] = data.draw(_WILD)
        _same_as_fastavro(schema, record)

    misfit()


def test_edge_values_are_written_as_fastavro_writes_them() -> None:
    """int32 and int64 bounds, -0.0, unicode, empty array and map, +07:00 and pre-epoch
    instants, dates, uuids, nulls in unions, recursive records, defaults for missing fields."""
    assert _compiled(EDGE, EDGE_RECORD) == _fastavro(EDGE, EDGE_RECORD)
    variants: list[dict[str, Any]] = [
        {"i": 2**31 - 1, "l": -(2**63), "d": math.inf, "a": [0, -1, 63, -64, 64, 2**40]},
        {"d": -math.inf, "m": {"k": None, "ký": "giá trị", "": ""}, "b": False, "s": ""},
        {"d": math.nan, "when": datetime(2026, 1, 1, tzinfo=HANOI), "maybe": "RED"},
        {"a": list(range(-300, 300, 7)), "s": "x" * 5000, "raw": bytes(200), "nested": None},
        {"at": 1_700_000_000_123, "day": 20_000, "id": str(uuid.UUID(int=2**128 - 1))},
        {"at": datetime(1900, 1, 1, 0, 0, 0, 999, tzinfo=HANOI), "count": -1},
    ]
    for changes in variants:
        record = EDGE_RECORD | changes
        assert _compiled(EDGE, record) == _fastavro(EDGE, record), changes
        assert CODEC.encode(EDGE, record) == EDGE.header + _fastavro(EDGE, record)


@pytest.mark.parametrize(
    "changes",
    [
        {"i": 2**31},  # an int field out of int32 range: fastavro writes it as it likes
        {"l": 2**63},  # beyond int64: fastavro refuses
        {"d": 1},  # an int in a double field: fastavro converts it
        {"d": "NaN"},  # so does it a string
        {"b": 1},  # fastavro writes truthiness
        {"raw": bytearray(b"ab")},
        {"a": (1, 2)},
        {"e": "GREEN"},
        {"fx": b"abc"},
        {"s": "\ud800"},  # a lone surrogate
        {"at": "2026-12-02"},
        {"when": 3.5},
        {"nested": {"label": "a", "next": {"label": 1}}},
        {"i": None},
        {"i": True},
        {"raw": Decimal("1.5")},
    ],
    ids=repr,
)
def test_values_the_compiled_writer_does_not_take_go_to_fastavro(changes: dict[str, Any]) -> None:
    """The compiled writer refuses them; the codec then writes fastavro's bytes or its error."""
    record = EDGE_RECORD | changes
    with pytest.raises((UnsupportedError, ValueError, TypeError, OverflowError, UnicodeError)):
        _compiled(EDGE, record)
    _same_as_fastavro(EDGE, record)


def test_unions_of_several_branches_and_floats_fall_back_to_fastavro() -> None:
    """A union fastavro must validate branch by branch, and a 32-bit float: fastavro's bytes."""
    schema = load_schema(
        {
            "type": "record",
            "name": "Several",
            "fields": [
                {"name": "u", "type": ["null", "int", "string", "double"]},
                {"name": "f", "type": "float"},
            ],
        },
        "test.several",
        1,
    )
    for value in [None, 1, "one", 1.5, True]:
        record = {"u": value, "f": 0.1}
        with pytest.raises(UnsupportedError):
            _compiled(schema, record)
        _same_as_fastavro(schema, record)


def test_a_missing_required_field_is_refused_with_fastavros_error() -> None:
    """No value and no default: LGSP-CODEC-ENCODE, with fastavro's message."""
    record = dict(EDGE_RECORD)
    del record["s"]
    with pytest.raises(CodecError) as raised:
        CODEC.encode(EDGE, record)
    assert raised.value.code == "LGSP-CODEC-ENCODE" and "no value and no default for s" in str(
        raised.value
    )
    with pytest.raises(CodecError) as raised:
        CODEC.encode(EDGE, [])  # type: ignore[arg-type]
    assert raised.value.code == "LGSP-CODEC-ENCODE"
