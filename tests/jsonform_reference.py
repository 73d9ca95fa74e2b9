"""The interpreted ``from_json`` and ``to_json`` as they were before they were compiled per schema.

Kept frozen as the references the compiled code in ``schemas.jsonform`` must agree with: the
converter, same records and the same problem texts in the same order; the renderer, the same
plain JSON (tests/unit/test_jsonform.py, tests/unit/test_jsonform_out.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from schemas.catalog import SchemaVersion
from schemas.errors import RecordError

_Schema = Any
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def interpreted_from_json(schema: SchemaVersion, value: Any) -> dict[str, Any]:
    """Convert plain JSON into a record the old way, walking the parsed schema per value."""
    problems: list[str] = []
    named = schema.parsed.get("__named_schemas", {})
    record = _from(schema.parsed, value, "$", named, problems)
    if problems:
        raise RecordError(f"not a valid {schema.subject} v{schema.version} record", problems)
    assert isinstance(record, dict)
    return record


def interpreted_to_json(schema: SchemaVersion, record: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a decoded record into plain JSON the old way, walking the parsed schema per value."""
    named = schema.parsed.get("__named_schemas", {})
    result = _to(schema.parsed, record, named)
    assert isinstance(result, dict)
    return result


def _resolve(node: _Schema, named: Mapping[str, Any]) -> _Schema:
    return named.get(node, node) if isinstance(node, str) else node


def _kind(node: _Schema) -> str:
    if isinstance(node, list):
        return "union"
    if isinstance(node, dict):
        return str(node.get("logicalType") or node["type"])
    return str(node)


def _from(
    node: _Schema, value: Any, path: str, named: Mapping[str, Any], problems: list[str]
) -> Any:
    node = _resolve(node, named)
    kind = _kind(node)
    if kind == "union":
        return _from_union(node, value, path, named, problems)
    if kind == "record":
        return _from_record(node, value, path, named, problems)
    if kind == "array":
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {_describe(value)}")
            return None
        return [
            _from(node["items"], v, f"{path}[{i}]", named, problems) for i, v in enumerate(value)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, got {_describe(value)}")
            return None
        return {
            k: _from(node["values"], v, f"{path}.{k}", named, problems) for k, v in value.items()
        }
    if kind == "enum":
        if value not in node["symbols"]:
            problems.append(f"{path}: {value!r} is not one of {', '.join(node['symbols'])}")
        return value
    return _from_scalar(kind, value, path, problems)


def _from_record(
    node: _Schema, value: Any, path: str, named: Mapping[str, Any], problems: list[str]
) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object, got {_describe(value)}")
        return None
    known = {f["name"] for f in node["fields"]}
    for extra in sorted(set(value) - known):
        problems.append(f"{path}.{extra}: unknown field")
    result: dict[str, Any] = {}
    for fld in node["fields"]:
        name = fld["name"]
        if name in value:
            result[name] = _from(fld["type"], value[name], f"{path}.{name}", named, problems)
        elif "default" in fld:
            result[name] = fld["default"]
        else:
            problems.append(f"{path}.{name}: required field is missing")
    return result


def _from_union(
    node: list[_Schema], value: Any, path: str, named: Mapping[str, Any], problems: list[str]
) -> Any:
    if value is None:
        if "null" not in node:
            problems.append(f"{path}: must not be null")
        return None
    branch_problems: list[str] = []
    for branch in node:
        if branch == "null":
            continue
        attempt: list[str] = []
        converted = _from(branch, value, path, named, attempt)
        if not attempt:
            return converted
        branch_problems = branch_problems or attempt
    problems.extend(branch_problems)
    return None


def _from_scalar(kind: str, value: Any, path: str, problems: list[str]) -> Any:
    if kind == "null":
        if value is not None:
            problems.append(f"{path}: expected null")
        return None
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected true or false, got {_describe(value)}")
        return value
    if kind in _INT_RANGE:
        low, high = _INT_RANGE[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(f"{path}: expected an integer ({kind}), got {_describe(value)}")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected a number, got {_describe(value)}")
            return value
        return float(value)
    if kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {_describe(value)}")
        return value
    if kind == "bytes":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            problems.append(f"{path}: expected base64 text, got {_describe(value)}")
            return None
    if kind in ("timestamp-millis", "timestamp-micros"):
        return _parse_instant(value, path, problems)
    if kind == "date":
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            problems.append(f"{path}: expected a date YYYY-MM-DD, got {_describe(value)}")
            return None
    problems.append(f"{path}: unsupported Avro type {kind}")
    return None


def _parse_instant(value: Any, path: str, problems: list[str]) -> datetime | None:
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        problems.append(f"{path}: expected an ISO 8601 instant with a zone, got {_describe(value)}")
        return None
    if instant.tzinfo is None:
        problems.append(f"{path}: instant {value!r} has no zone; add Z or +07:00")
        return None
    return instant.astimezone(UTC)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


def _to(node: _Schema, value: Any, named: Mapping[str, Any]) -> Any:
    node = _resolve(node, named)
    kind = _kind(node)
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
