"""The compiled Avro reader returns fastavro's values; fastavro reads whatever it does not take."""

from __future__ import annotations

import copy
from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.avro_reader import compile_reader, read_body
from schemas.avro_writer import varint
from schemas.catalog import SchemaCatalog, SchemaVersion, bundled_catalog, load_schema
from schemas.codec import HEADER_LENGTH, AvroCodec
from schemas.errors import CodecError
from schemas.examples import example_record
from schemas.schema_nodes import UnsupportedError
from tests.avro_strategies import records
from tests.unit.test_avro_writer import EDGE

SCHEMAS = list(bundled_catalog())
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _schema(name: str, fields: list[dict[str, Any]]) -> SchemaVersion:
    return load_schema({"type": "record", "name": name, "fields": fields}, f"test.{name}", 1)


def _logical(base: str, logical: str, **more: Any) -> dict[str, Any]:
    return {"type": base, "logicalType": logical, **more}


HAND = _schema(
    "Hand",
    [
        *EDGE.definition["fields"],  # every type but float; recursion, logical types, unions
        {"name": "f", "type": "float"},
        {"name": "many", "type": {"type": "array", "items": ["null", "long", "string"]}},
        {"name": "lists", "type": {"type": "map", "values": {"type": "array", "items": "Colour"}}},
        {"name": "u", "type": ["string", "null", "double", "boolean", "Four", "bytes", "int"]},
        {"name": "late", "type": ["string", "null"]},
        {"name": "atu2", "type": ["null", _logical("long", "timestamp-micros")]},
        {"name": "id2", "type": ["null", _logical("string", "uuid")]},
        {"name": "tree", "type": {"type": "record", "name": "Tree", "fields": [
            {"name": "label", "type": "string"},
            {"name": "kids", "type": {"type": "array", "items": "Tree"}},
            {"name": "next", "type": ["null", "Tree"]},
        ]}},
        {"name": "maybe2", "type": ["null", "Tree", "Colour"]},
    ],
)  # fmt: skip
# logical types whose base values the strategies draw at random: many are no valid value at all
# (a time past midnight, a uuid that is not one), which both readers must refuse alike
LOGICAL_TYPES: list[Any] = [
    _logical("int", "time-millis"),
    _logical("long", "time-micros"),
    _logical("long", "timestamp-millis"),
    _logical("long", "timestamp-micros"),
    _logical("long", "local-timestamp-millis"),
    _logical("long", "local-timestamp-micros"),
    _logical("int", "date"),
    _logical("string", "uuid"),
    _logical("bytes", "decimal", precision=9, scale=2),
    {"type": "fixed", "name": "Money", "size": 5, "logicalType": "decimal", "precision": 6,
     "scale": 3},
    ["null", {"type": "fixed", "name": "Money", "size": 5, "logicalType": "decimal",
              "precision": 6, "scale": 3}],
    _logical("int", "timestamp-millis"),  # no such logical type: fastavro reads the int
    _logical("string", "colour"),
]  # fmt: skip
# one schema a logical type: a record of several would nearly always hold one invalid value
LOGICAL = [
    _schema(f"Logical{index}", [{"name": "value", "type": logical}])
    for index, logical in enumerate(LOGICAL_TYPES)
]


ARRAYS = _schema(
    "Blocks",
    [
        {"name": "a", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
    ],
)
LENIENT = _schema(
    "Lenient",
    [
        {"name": "u", "type": ["null", "boolean"]},
        {"name": "e", "type": {"type": "enum", "name": "Two", "symbols": ["A", "B"]}},
    ],
)
CODEC = AvroCodec(SchemaCatalog([*SCHEMAS, HAND, *LOGICAL, ARRAYS, LENIENT]))


def _without_logical_types(schema: SchemaVersion) -> SchemaVersion:
    """The same schema with every logical type dropped: its records are any base values."""
    raw = copy.deepcopy(dict(schema.definition))
    for field in raw["fields"]:
        for node in field["type"] if isinstance(field["type"], list) else [field["type"]]:
            if isinstance(node, dict):
                node.pop("logicalType", None)
    return load_schema(raw, f"{schema.subject}.base", 1)


def _id(schema: SchemaVersion) -> str:
    return f"{schema.subject}.v{schema.version}"


def _body(schema: SchemaVersion, record: Any) -> bytes:
    buffer = BytesIO()
    schemaless_writer(buffer, schema.parsed, record)
    return buffer.getvalue()


def _fastavro(schema: SchemaVersion, body: bytes) -> str:
    """fastavro's value (its repr: True and 1, 1.0 and 1 differ), or the error the codec had."""
    buffer = BytesIO(body)
    try:
        value = schemaless_reader(buffer, schema.parsed, None)
    except Exception:
        return "LGSP-CODEC-CORRUPT"
    return repr(value) if buffer.tell() == len(body) else "LGSP-CODEC-CORRUPT"


def _compiled(schema: SchemaVersion, body: bytes) -> str:
    return repr(read_body(compile_reader(schema.parsed), body, 0))


def _decoded(schema: SchemaVersion, body: bytes) -> str:
    try:
        return repr(CODEC.decode(schema.header + body))
    except CodecError as error:
        return error.code


@pytest.mark.parametrize("schema", [*SCHEMAS, HAND], ids=_id)
def test_any_record_of_a_schema_is_read_as_fastavro_reads_it(schema: SchemaVersion) -> None:
    """Property: compiled reader's value == fastavro's, type for type, for every record a schema
    admits, with no fallback; the codec returns the same."""

    @SETTINGS
    @given(record=records(schema.parsed))
    def same(record: dict[str, Any]) -> None:
        body = _body(schema, record)
        expected = _fastavro(schema, body)
        assert _compiled(schema, body) == expected
        assert _decoded(schema, body) == expected

    same()


@pytest.mark.parametrize("schema", LOGICAL, ids=lambda schema: repr(schema.definition["fields"]))
def test_logical_types_are_read_as_fastavro_reads_them_or_refused_alike(
    schema: SchemaVersion,
) -> None:
    """Property: random base values under each logical type (valid or not): the compiled
    reader's value is fastavro's, and it fails exactly where fastavro fails."""
    base = _without_logical_types(schema)

    @SETTINGS
    @given(record=records(base.parsed))
    def same(record: dict[str, Any]) -> None:
        body = _body(base, record)
        expected = _fastavro(schema, body)
        try:
            compiled = _compiled(schema, body)
        except Exception:
            compiled = "LGSP-CODEC-CORRUPT"
        assert compiled == expected
        assert _decoded(schema, body) == expected

    same()


def _blocks(blocks: list[tuple[bool, list[bytes]]]) -> bytes:
    """Blocks of encoded items, each counted positively or negatively (then with its size)."""
    out = bytearray()
    for negative, items in blocks:
        payload = b"".join(items)
        out += varint(-len(items)) + varint(len(payload)) if negative else varint(len(items))
        out += payload
    return bytes(out + b"\x00")


_LONGS = st.lists(st.integers(-(2**63), 2**63 - 1).map(varint), min_size=1, max_size=4)
_PAIRS = st.lists(
    st.tuples(st.text(max_size=5), st.text(max_size=5)).map(
        lambda pair: b"".join(_body_of_string(text) for text in pair)
    ),
    min_size=1,
    max_size=4,
)


def _body_of_string(text: str) -> bytes:
    data = text.encode()
    return varint(len(data)) + data


@SETTINGS
@given(
    arrays=st.lists(st.tuples(st.booleans(), _LONGS), max_size=3),
    maps=st.lists(st.tuples(st.booleans(), _PAIRS), max_size=3),
)
def test_blocks_with_negative_counts_are_read_as_fastavro_reads_them(
    arrays: list[tuple[bool, list[bytes]]], maps: list[tuple[bool, list[bytes]]]
) -> None:
    """Property: arrays and maps in several blocks, some counted negatively with a byte size."""
    body = _blocks(arrays) + _blocks(maps)
    assert _compiled(ARRAYS, body) == _fastavro(ARRAYS, body) == _decoded(ARRAYS, body)


_DAMAGED = [bundled_catalog().get("dossier.status"), bundled_catalog().get("document.sent"), HAND]


@pytest.mark.parametrize("schema", _DAMAGED, ids=_id)
def test_a_damaged_body_decodes_or_fails_as_it_did_with_fastavro_alone(
    schema: SchemaVersion,
) -> None:
    """Property: a valid body cut short, padded, or with bytes overwritten: the codec returns
    fastavro's value or the same LGSP-CODEC-CORRUPT; the compiled reader alone returns
    fastavro's value or raises (then the codec asks fastavro)."""

    @SETTINGS
    @given(record=records(schema.parsed), data=st.data())
    def damaged(record: dict[str, Any], data: st.DataObject) -> None:
        body = bytearray(_body(schema, record))
        how = data.draw(st.sampled_from(["cut", "pad", "overwrite"]))
        if how == "cut":
            del body[data.draw(st.integers(0, len(body) - 1)) :]
        elif how == "pad":
            body += data.draw(st.binary(min_size=1, max_size=4))
        else:
            for _ in range(data.draw(st.integers(1, 3))):
                body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
        expected = _fastavro(schema, bytes(body))
        assert _decoded(schema, bytes(body)) == expected
        try:
            compiled = _compiled(schema, bytes(body))
        except Exception:
            return
        assert compiled == expected

    damaged()


def test_trailing_bytes_are_corrupt_with_the_count_left() -> None:
    """A byte after the record: LGSP-CODEC-CORRUPT, naming the bytes left, as before."""
    schema = bundled_catalog().get("dossier.status")
    value = CODEC.encode(schema, example_record(schema)) + b"\x00\x01"
    with pytest.raises(CodecError) as raised:
        CODEC.decode(value)
    assert raised.value.code == "LGSP-CODEC-CORRUPT" and "2 bytes left after the record" in str(
        raised.value
    )
    with pytest.raises(CodecError) as raised:
        CODEC.decode(value[:-4])
    assert raised.value.code == "LGSP-CODEC-CORRUPT"


@pytest.mark.parametrize(
    "body",
    [
        b"\x01\x00",  # union index -1
        b"\x04\x00",  # union index 2
        b"\x02\x02\x00",  # boolean byte 2
        b"\x00\x01",  # enum index -1
        b"\x00\x04",  # enum index 2
        b"\x00" + b"\x80" * 10 + b"\x00",  # an 11-byte varint
        b"\x00" + b"\xff" * 9 + b"\x7f",  # a 10-byte varint beyond 64 bits
    ],
    ids=repr,
)
def test_bodies_fastavro_reads_leniently_are_left_to_fastavro(body: bytes) -> None:
    """Negative and out-of-range union and enum indexes, overlong varints, booleans past 1: the
    compiled reader refuses them, and the codec returns whatever fastavro made of them."""
    with pytest.raises((UnsupportedError, IndexError)):
        _compiled(LENIENT, body)
    assert _decoded(LENIENT, body) == _fastavro(LENIENT, body)


def test_a_schema_node_the_reader_does_not_know_is_refused_at_compile_time() -> None:
    """An unknown type name raises UnsupportedError: the codec then reads with fastavro."""
    with pytest.raises(UnsupportedError):
        compile_reader({"type": "record", "name": "R", "fields": [{"name": "x", "type": "huh"}]})


def test_a_resolved_read_stays_with_fastavro() -> None:
    """A reader schema other than the writer's: fastavro resolves, as before (v2 read as v1)."""
    v1, v2 = bundled_catalog().get("dossier.status", 1), bundled_catalog().get("dossier.status", 2)
    value = CODEC.encode(v2, example_record(v2))
    expected = schemaless_reader(BytesIO(value[HEADER_LENGTH:]), v2.parsed, v1.parsed)
    assert repr(CODEC.decode(value, v1)) == repr(expected)


# the record reader reads varints of one, two and three bytes inline: their edges and past them
_VARINT_EDGES = [0, -1, 63, -64, 64, -65, 8191, -8192, 8192, -8193, 1048575, -1048576]
_VARINT_EDGES += [1048576, -1048577, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63)]


@pytest.mark.parametrize("value", _VARINT_EDGES)
def test_integers_at_each_varint_width_are_read_as_fastavro_reads_them(value: int) -> None:
    schema = _schema(
        "Counts", [{"name": "n", "type": "long"}, {"name": "o", "type": ["null", "long"]}]
    )
    record = {"n": value, "o": value}
    buffer = BytesIO()
    schemaless_writer(buffer, schema.parsed, record)
    body = buffer.getvalue()
    assert read_body(compile_reader(schema.parsed), body, 0) == record
    for cut in range(1, len(body)):  # every truncation is refused, never read as a value
        with pytest.raises((UnsupportedError, IndexError, ValueError)):
            read_body(compile_reader(schema.parsed), body[:cut], 0)
