"""Records become plain JSON through renderers compiled per schema, as the walk they replaced."""

from __future__ import annotations

import enum
import io
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastavro import schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.catalog import SchemaVersion, bundled_catalog, load_schema
from schemas.examples import example_record
from schemas.jsonform import from_json, to_json
from tests.avro_strategies import records
from tests.jsonform_reference import interpreted_to_json

DOSSIER = bundled_catalog().get("dossier.status")
_MARK = {"type": "fixed", "name": "Mark", "size": 2}
# A recursive record (array items, a union branch and a map's values by name), a map, unions
# of several branches (one an array), bytes, fixed, a date, both timestamps, an enum, a uuid.
TREE = load_schema(
    {
        "type": "record",
        "name": "Folder",
        "namespace": "test.jsonform_out",
        "fields": [
            {"name": "title", "type": "string"},
            {"name": "size", "type": ["null", "int", "string", "double"], "default": None},
            {"name": "marks", "type": [{"type": "array", "items": _MARK}, "string"]},
            {"name": "children", "type": {"type": "array", "items": "Folder"}, "default": []},
            {"name": "parent", "type": ["null", "Folder"], "default": None},
            {"name": "links", "type": {"type": "map", "values": ["null", "Folder"]}},
            {"name": "counts", "type": {"type": "map", "values": "long"}, "default": {}},
            {"name": "openedOn", "type": {"type": "int", "logicalType": "date"}},
            {"name": "closedOn", "type": ["null", {"type": "int", "logicalType": "date"}]},
            {"name": "seenAt", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "savedAt", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "scan", "type": "bytes"},
            {"name": "seal", "type": ["null", "bytes", "boolean"]},
            {"name": "mark", "type": "Mark"},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
            {"name": "again", "type": ["null", "Kind"], "default": None},
            {"name": "ratio", "type": "float"},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "nothing", "type": ["null"], "default": None},
            {"name": "never", "type": "null", "default": None},
        ],
    },
    "test.folder",
    1,
)
SCHEMAS = [*bundled_catalog(), TREE, TREE, TREE]
ZONES = [
    UTC,
    timezone(timedelta(hours=7)),
    timezone(-timedelta(hours=3, minutes=30)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=5, minutes=45, seconds=30, microseconds=5)),
    ZoneInfo("UTC"),
    ZoneInfo("Asia/Ho_Chi_Minh"),
]


class _Level(enum.IntEnum):
    HIGH = 1


class _Instant(datetime):
    """A datetime subclass: neither renderer may take it for a plain value."""


class _Text(str):
    """A str subclass, as a hand-built record may hold."""


# values a hand-built (not decoded) record may hold anywhere: rendered like the reference does
ODD = st.sampled_from(
    [
        None,
        True,
        1,
        1.0,
        -0.0,
        float("inf"),
        "",
        "+00:00",
        b"",
        b"\x00\xff",
        bytearray(b"ab"),
        date(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 18, 8, 30, 0, 999),  # naive: astimezone takes it for local time
        datetime(2026, 11, 18, 8, 30, tzinfo=timezone(timedelta(0), "UTC")),  # not the UTC object
        datetime(2026, 11, 18, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        datetime(2026, 11, 18, 8, 30, 0, 1500, tzinfo=timezone(timedelta(hours=7))),
        _Instant(2026, 11, 18, 8, 30, tzinfo=UTC),
        _Text("text"),
        _Level.HIGH,
        [1, "a"],
        {"title": "x"},
        (1, 2),
    ]
)


def _decoded_copy(schema: SchemaVersion, record: Any) -> Any:
    """The record as the sink gets it: written and read back by fastavro."""
    body = io.BytesIO()
    schemaless_writer(body, schema.parsed, record)
    body.seek(0)
    return schemaless_reader(body, schema.parsed, None)


def _outcome(render: Any, schema: SchemaVersion, record: Any) -> tuple[str, str]:
    try:
        rendered = render(schema, record)
    except Exception as error:  # the reference's errors, on values it does not take, kept too
        return "raised", type(error).__name__
    return "rendered", repr(rendered)  # repr tells True from 1, key order, str from a subclass


@st.composite
def _rezoned(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """A record with its instants in other zones, fields dropped, values (not itself) replaced."""
    if depth and draw(st.integers(0, 19)) == 0:
        return draw(ODD)  # a record, list or map where the schema wants another, or a leaf
    if isinstance(value, datetime):
        return value.astimezone(draw(st.sampled_from(ZONES)))
    if isinstance(value, dict):
        result = {k: draw(_rezoned(v, depth + 1)) for k, v in value.items()}
        for dropped in draw(st.lists(st.sampled_from(sorted(value)), max_size=2)) if value else []:
            result.pop(dropped, None)
        return result
    if isinstance(value, list):
        return [draw(_rezoned(v, depth + 1)) for v in value]
    return value


@st.composite
def _decoded(draw: st.DrawFn) -> tuple[SchemaVersion, Any]:
    """A record of a bundled schema or of the tree, as fastavro decodes it."""
    schema = draw(st.sampled_from(SCHEMAS))
    return schema, _decoded_copy(schema, draw(records(schema.parsed)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_decoded())
def test_decoded_records_render_as_the_interpreted_walk_renders_them(
    case: tuple[SchemaVersion, Any],
) -> None:
    """Every bundled schema and a recursive one: the same JSON, key order and types included."""
    schema, record = case
    assert _outcome(to_json, schema, record) == _outcome(interpreted_to_json, schema, record)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hand_built_records_render_as_the_interpreted_walk_renders_them(
    data: st.DataObject,
) -> None:
    """Non-UTC instants, missing fields and off-schema values anywhere: the same outcome."""
    schema = data.draw(st.sampled_from(SCHEMAS))
    record = data.draw(_rezoned(data.draw(records(schema.parsed))))
    assert _outcome(to_json, schema, record) == _outcome(interpreted_to_json, schema, record)


def test_the_tree_renders_as_plain_json() -> None:
    """Dates, instants in UTC with milliseconds and Z, base64, bare unions, nested records."""
    leaf = {
        "title": "leaf",
        "links": {},
        "openedOn": date(2026, 11, 18),
        "seenAt": datetime(2026, 11, 18, 8, 30, 0, 123456, tzinfo=timezone(timedelta(hours=7))),
        "scan": b"ABC",
        "seal": True,
        "mark": b"AA",
        "kind": "B",
        "ratio": 0.5,
        "id": "7f1c",
        "marks": [b"AB"],
    }
    root = leaf | {"title": "root", "size": 2.5, "children": [leaf], "links": {"up": leaf}}
    rendered = to_json(TREE, root | {"parent": leaf | {"seal": b"\xff"}, "links": {"x": None}})
    assert rendered["children"][0]["seenAt"] == "2026-11-18T01:30:00.123Z"
    assert rendered["children"][0]["openedOn"] == "2026-11-18"
    assert to_json(TREE, leaf | {"seenAt": datetime(1, 1, 1, tzinfo=UTC)})["seenAt"] == (
        "0001-01-01T00:00:00.000Z"
    )
    assert rendered["parent"]["scan"] == "QUJD" and rendered["parent"]["seal"] == "/w=="
    assert (
        rendered["size"] == 2.5 and rendered["mark"] == "QUE=" and rendered["links"] == {"x": None}
    )
    assert rendered["savedAt"] is None and rendered["closedOn"] is None  # missing: None
    assert list(rendered) == [f["name"] for f in TREE.parsed["fields"]]
    # a missing field renders as None, its default notwithstanding: to_json adds nothing
    assert rendered["parent"]["children"] is None and rendered["parent"]["parent"] is None
    assert to_json(TREE, root)["links"]["up"] == to_json(TREE, leaf)


@pytest.mark.parametrize(
    "schema", list(bundled_catalog()), ids=lambda s: f"{s.subject}.v{s.version}"
)
def test_every_example_renders_as_the_interpreted_walk_renders_it(schema: SchemaVersion) -> None:
    """The bundled examples, decoded: the same JSON, which converts back to the same record."""
    record = _decoded_copy(schema, example_record(schema))
    assert repr(to_json(schema, record)) == repr(interpreted_to_json(schema, record))
    assert from_json(schema, to_json(schema, record)) == record


def test_the_comparison_fails_on_a_wrong_rendering() -> None:
    """The outcome tells key order, True from 1, and a raw instant from its text apart."""
    record = _decoded_copy(DOSSIER, example_record(DOSSIER))
    reference = _outcome(interpreted_to_json, DOSSIER, record)
    assert _outcome(lambda schema, r: dict(r), DOSSIER, record) != reference
    reordered = dict(reversed(list(to_json(DOSSIER, record).items())))
    assert _outcome(lambda schema, r: reordered, DOSSIER, record) != reference
    assert _outcome(to_json, DOSSIER, record | {"channel": True}) != reference
