"""Plain JSON from agencies becomes records, and every problem is reported at once."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.catalog import SchemaVersion, bundled_catalog, load_schema
from schemas.errors import RecordError
from schemas.examples import example_json
from schemas.jsonform import from_json, to_json
from tests.avro_strategies import records
from tests.jsonform_reference import interpreted_from_json

DOSSIER = bundled_catalog().get("dossier.status", 1)


def test_instants_with_a_zone_become_utc_and_defaults_fill_missing_optional_fields() -> None:
    """+07:00 is converted to UTC; absent optional fields take their schema default."""
    payload = example_json(DOSSIER)
    for optional in ("fieldCode", "step", "fees", "paidOnline", "finishedAt"):
        payload.pop(optional)
    record = from_json(DOSSIER, payload)
    assert record["receivedAt"] == datetime(2026, 11, 18, 1, 30, tzinfo=UTC)
    assert record["step"] is None and record["fees"] == [] and record["paidOnline"] is False


def test_every_problem_is_listed_with_its_path() -> None:
    """Missing, mistyped, unknown and zone-less fields are all reported in one error."""
    payload = example_json(DOSSIER)
    del payload["dossierCode"]
    payload["channel"] = "online"
    payload["owner"]["kind"] = None
    payload["receivedAt"] = "2026-11-18T08:30:00"
    payload["colour"] = "blue"
    with pytest.raises(RecordError) as raised:
        from_json(DOSSIER, payload)
    problems = raised.value.problems
    assert raised.value.code == "LGSP-RECORD-INVALID"
    assert "$.dossierCode: required field is missing" in problems
    assert any(p.startswith("$.channel: expected an integer") for p in problems)
    assert any(p.startswith("$.owner.kind: expected an integer") for p in problems)
    assert any(p.startswith("$.receivedAt: instant") and "no zone" in p for p in problems)
    assert "$.colour: unknown field" in problems
    assert len(problems) == 5


def test_enums_and_arrays_are_checked_item_by_item() -> None:
    """A wrong enum symbol and a bad array item are named by position."""
    lookup = bundled_catalog().get("lookup.request")
    payload = example_json(lookup) | {"kind": "VEHICLE", "fields": ["fullName", 3]}
    with pytest.raises(RecordError) as raised:
        from_json(lookup, payload)
    assert any(p.startswith("$.kind: 'VEHICLE' is not one of") for p in raised.value.problems)
    assert any(p.startswith("$.fields[1]: expected a string") for p in raised.value.problems)


@pytest.mark.parametrize(
    "schema", list(bundled_catalog()), ids=lambda s: f"{s.subject}.v{s.version}"
)
def test_to_json_is_the_inverse_of_from_json(schema: SchemaVersion) -> None:
    """Records rendered as plain JSON convert back to the same records."""
    record = from_json(schema, example_json(schema))
    assert from_json(schema, to_json(schema, record)) == record


# The compiled converter against the interpreted one it replaced (tests/jsonform_reference.py):
# same records (same types: float, UTC datetime, date, bytes) or the same problems, in order.

TREE = load_schema(
    {
        "type": "record",
        "name": "Node",
        "namespace": "test.jsonform",
        "fields": [
            {"name": "label", "type": "string"},
            {"name": "weight", "type": ["null", "int", "string", "double"], "default": None},
            {"name": "children", "type": {"type": "array", "items": "Node"}, "default": []},
            {"name": "parent", "type": ["null", "Node"], "default": None},
            {"name": "tags", "type": {"type": "map", "values": "long"}, "default": {}},
            {"name": "seenAt", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "ratio", "type": "float", "default": 0.5},
            {"name": "raw", "type": ["bytes", "boolean"]},
            {"name": "mark", "type": {"type": "fixed", "name": "Mark", "size": 2}, "default": "AA"},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}, "default": ""},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
            {"name": "again", "type": ["null", "Kind"], "default": None},
            {"name": "nothing", "type": ["null"], "default": None},
            {"name": "never", "type": "null", "default": None},
        ],
    },
    "test.tree",
    1,
)
TREE_EXAMPLE = {
    "label": "root",
    "weight": 3,
    "children": [
        {
            "label": "leaf",
            "seenAt": "2026-11-18T08:30:00+07:00",
            "raw": "QUJD",
            "kind": "B",
            "tags": {"a": 1},
        }
    ],
    "seenAt": "2026-11-18T08:30:00Z",
    "ratio": 2,
    "raw": True,
    "kind": "A",
}
SCHEMAS = [*bundled_catalog(), TREE, TREE, TREE]  # the tree has the multi-branch unions
EXTRAS = ["zzz", "aaa", "label", "owner", "mark", "id", "weight"]
JUNK = (
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            7,
            2**31 - 1,
            2**31,
            -(2**31),
            -(2**31) - 1,
            2**63 - 1,
            2**63,
            -(2**63),
            -(2**63) - 1,
            1.5,
            -0.0,
            "",
            "x",
            "A",
            "B",
            "QUJD",
            "not base64!",
            "2026-11-18",
            "2026-13-01",
            "18/11/2026",
            "2026-11-18T08:30:00",
            "2026-11-18T08:30:00+07:00",
            "2026-11-18T01:30:00Z",
            "x" * 60,
            [],
            [1, "a"],
            {},
            {"a": 1},
            {"label": 3},
        ]
    )
    | st.integers()
    | st.text(max_size=6)
)


def _outcome(convert: Any, schema: SchemaVersion, payload: Any) -> tuple[str, str]:
    try:
        record = convert(schema, copy.deepcopy(payload))
    except RecordError as error:
        return "rejected", f"{error} {error.problems!r}"
    return "converted", repr(record)  # repr tells 1 from 1.0 and one time zone from another


@st.composite
def _mutated(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """Fields removed or added, items added, values (nested ones too) replaced by junk."""
    action = draw(st.integers(0, 9))
    if action == 0 or depth > 5:
        return draw(JUNK)
    if isinstance(value, dict):
        result = {
            k: draw(_mutated(v, depth + 1)) if draw(st.booleans()) else v for k, v in value.items()
        }
        if value and action == 1:
            result.pop(draw(st.sampled_from(sorted(value))))
        if action == 2:
            for extra in draw(st.lists(st.sampled_from(EXTRAS), min_size=1, unique=True)):
                result[extra] = draw(JUNK)
        return result
    if isinstance(value, list):
        items = [draw(_mutated(v, depth + 1)) for v in value]
        return [*items, draw(JUNK)] if action == 3 else items
    return draw(JUNK) if action < 5 else value


@st.composite
def _cases(draw: st.DrawFn) -> tuple[SchemaVersion, Any]:
    schema = draw(st.sampled_from(SCHEMAS))
    if schema is TREE:
        valid: Any = TREE_EXAMPLE | {"parent": TREE_EXAMPLE | {"children": []}}
    elif draw(st.booleans()):
        valid = example_json(schema)
    else:
        valid = to_json(schema, draw(records(schema.parsed)))
    return schema, draw(_mutated(valid)) if draw(st.integers(0, 4)) else valid


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_the_compiled_converter_agrees_with_the_interpreted_one(
    case: tuple[SchemaVersion, Any],
) -> None:
    """Valid and mutated JSON of every bundled schema and a recursive one: same outcome."""
    schema, payload = case
    assert _outcome(from_json, schema, payload) == _outcome(interpreted_from_json, schema, payload)


def test_a_recursive_named_type_converts_and_reports_nested_paths() -> None:
    """A record holding itself (array items and a union branch by name) converts at any depth."""
    payload = TREE_EXAMPLE | {"parent": TREE_EXAMPLE | {"children": [{"label": 5}]}, "mark": "AB"}
    with pytest.raises(RecordError) as raised:
        from_json(TREE, payload)
    problems = raised.value.problems
    assert problems == _outcome_problems(payload)
    assert "$.parent.children[0].label: expected a string, got int 5" in problems
    assert "$.mark: unsupported Avro type fixed" in problems
    record = from_json(TREE, TREE_EXAMPLE | {"parent": TREE_EXAMPLE | {"children": []}})
    assert record["parent"]["children"] == []
    assert record["children"][0]["seenAt"] == datetime(2026, 11, 18, 1, 30, tzinfo=UTC)
    assert record["children"][0]["raw"] == b"ABC" and record["ratio"] == 2.0


def _outcome_problems(payload: Any) -> list[str]:
    with pytest.raises(RecordError) as raised:
        interpreted_from_json(TREE, payload)
    return list(raised.value.problems)


_LEAF = {"label": "leaf", "seenAt": "2026-11-18T08:30:00Z", "raw": True, "kind": "A"}
EDGES = [
    *[(DOSSIER, {"channel": n}) for n in (-(2**31), 2**31 - 1, 2**31, -(2**31) - 1, True, 2.0)],
    (DOSSIER, {"receivedAt": "2026-11-18", "dueAt": 5, "owner": None, "fees": [{"x": 1}]}),
    (TREE, {"children": [_LEAF | {"tags": {"a": "x", "b": 2**63, "c": -(2**63)}}]}),
    (TREE, {"weight": [], "raw": "not base64!", "zzz": 1, "aaa": 2, "kind": "C"}),
    (TREE, {"weight": 1.5, "again": "C", "nothing": 5, "never": 5, "seenAt": 5}),
    (TREE, {"weight": True, "ratio": "1", "parent": _LEAF | {"parent": _LEAF | {"label": 1}}}),
]


@pytest.mark.parametrize("schema, changes", EDGES)
def test_edge_cases_give_the_same_outcome_compiled_and_interpreted(
    schema: SchemaVersion, changes: dict[str, Any]
) -> None:
    """Integer bounds, map entries, failing multi-branch unions, sorted unknown fields."""
    payload = (TREE_EXAMPLE if schema is TREE else example_json(schema)) | changes
    assert _outcome(from_json, schema, payload) == _outcome(interpreted_from_json, schema, payload)
