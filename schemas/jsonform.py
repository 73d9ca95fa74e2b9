"""Plain JSON <-> Avro records: how agencies' JSON and the schema examples become records.

Plain JSON means what an integrator naturally writes: unions as bare values (not Avro's
``{"string": ...}`` wrapping), instants as ISO 8601 with a zone (``2026-11-20T08:30:00+07:00``),
dates as ``YYYY-MM-DD``, bytes as base64. ``from_json`` reports every problem with its field
path in one ``RecordError``, so a rejected request says all that is wrong at once.

``from_json`` runs a converter compiled once per schema (``schemas.jsonform_compiled``): named
types are resolved and field paths are only spelled out when a problem is reported.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from schemas.catalog import SchemaVersion
from schemas.errors import RecordError
from schemas.jsonform_compiled import Converter, compile_converter, node_kind, resolve_node

_Schema = Any  # a fastavro parsed schema node: str, list or dict
_COMPILED: dict[int, tuple[SchemaVersion, Converter]] = {}
_COMPILED_MAX = 256  # schema versions kept compiled; the oldest is dropped beyond that


def from_json(schema: SchemaVersion, value: Any) -> dict[str, Any]:
    """Convert plain JSON into a record ready for the codec, or raise with every problem."""
    problems: list[str] = []
    record = _converter(schema)(value, "$", problems)
    if problems:
        raise RecordError(f"not a valid {schema.subject} v{schema.version} record", problems)
    assert isinstance(record, dict)
    return record


def _converter(schema: SchemaVersion) -> Converter:
    # Keyed by identity; the entry holds the schema so that its id cannot be reused meanwhile.
    entry = _COMPILED.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    convert = compile_converter(schema.parsed)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.pop(next(iter(_COMPILED)), None)
    _COMPILED[id(schema)] = (schema, convert)
    return convert


def to_json(schema: SchemaVersion, record: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a decoded record into plain JSON (the inverse of ``from_json``)."""
    named = schema.parsed.get("__named_schemas", {})
    result = _to(schema.parsed, record, named)
    assert isinstance(result, dict)
    return result


def _to(node: _Schema, value: Any, named: Mapping[str, Any]) -> Any:
    node = resolve_node(node, named)
    kind = node_kind(node)
    if value is None:
        return None
    if kind == "union":
        branches = [b for b in node if b != "null"]
        return _to(branches[0], value, named) if len(branches) == 1 else _to_any(value)
    if kind == "record":
        return {f["name"]: _to(f["type"], value.get(f["name"]), named) for f in node["fields"]}
    if kind == "array":
        return [_to(node["items"], v, named) for v in value]
    if kind == "map":
        return {k: _to(node["values"], v, named) for k, v in value.items()}
    return _to_any(value)


def _to_any(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
