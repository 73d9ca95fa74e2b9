"""Plain JSON from agencies becomes records, and every problem is reported at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.errors import RecordError
from schemas.examples import example_json
from schemas.jsonform import from_json, to_json

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
