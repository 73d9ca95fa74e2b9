"""Plain JSON <-> Avro records: how agencies' JSON and the schema examples become records.

Plain JSON means what an integrator naturally writes: unions as bare values (not Avro's
``{"string": ...}`` wrapping), instants as ISO 8601 with a zone (``2026-11-20T08:30:00+07:00``),
dates as ``YYYY-MM-DD``, bytes as base64. ``from_json`` reports every problem with its field
path in one ``RecordError``, so a rejected request says all that is wrong at once.

Both directions run code compiled once per schema version, so no record walks its schema:
``from_json`` a converter (``schemas.jsonform_compiled``), whose field paths are only spelled out
when a problem is reported; ``to_json`` a renderer (``schemas.jsonform_out``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.catalog import SchemaVersion
from schemas.errors import RecordError
from schemas.jsonform_compiled import compile_converter
from schemas.jsonform_out import compile_renderer
from schemas.per_schema import PerSchema

_converter = PerSchema(lambda schema: compile_converter(schema.parsed))
_renderer = PerSchema(lambda schema: compile_renderer(schema.parsed))


def from_json(schema: SchemaVersion, value: Any) -> dict[str, Any]:
    """Convert plain JSON into a record ready for the codec, or raise with every problem."""
    problems: list[str] = []
    record = _converter(schema)(value, "$", problems)
    if problems:
        raise RecordError(f"not a valid {schema.subject} v{schema.version} record", problems)
    assert isinstance(record, dict)
    return record


def to_json(schema: SchemaVersion, record: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a decoded record into plain JSON (the inverse of ``from_json``)."""
    result = _renderer(schema)(record)
    assert isinstance(result, dict)
    return result
