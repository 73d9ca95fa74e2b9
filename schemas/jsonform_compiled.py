"""Plain JSON -> Avro record converters, compiled once per parsed schema.

``compile_converter`` walks a fastavro parsed schema once and returns a tree of closures, one
per schema node, each called as ``convert(value, path, problems)``. Named types are resolved at
compile time (a recursive record refers to itself through a forward reference). ``path`` is the
root ``"$"`` or a linked pair ``(parent, step)``: a step is ``".name"`` for a record field, an
int for an array item, a 1-tuple ``(key,)`` for a map entry. It is spelled out (``$.a.b[2]``)
only when a problem is appended, so valid input builds no path text at all.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from schemas.schema_nodes import node_kind, record_once, resolve_node

Converter = Callable[[Any, Any, list[str]], Any]
_Schema = Any  # a fastavro parsed schema node: str, list or dict
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_MISSING = object()


def compile_converter(parsed: Mapping[str, Any]) -> Converter:
    """The converter of a parsed schema (its ``__named_schemas`` resolve named types)."""
    return _Compiler(parsed.get("__named_schemas", {})).compile(parsed)


def path_text(path: Any) -> str:
    """``$.owner.kind``, ``$.fees[1]``: the text of a linked path."""
    steps: list[Any] = []
    while isinstance(path, tuple):
        path, step = path
        steps.append(step)
    parts = [path]
    for step in reversed(steps):
        if isinstance(step, str):
            parts.append(step)
        elif isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{step[0]}")
    return "".join(parts)


def describe(value: Any) -> str:
    """A value's type and a short repr of it, for problem texts."""
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


class _Compiler:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self._named = named
        self._records: dict[int, Converter] = {}  # by id of the record node, for recursion

    def compile(self, node: _Schema) -> Converter:
        node = resolve_node(node, self._named)
        kind = node_kind(node)
        if kind == "record":
            return self._record(node)
        if kind == "union":
            return self._union(node)
        if kind == "array":
            return _array(self.compile(node["items"]))
        if kind == "map":
            return _map(self.compile(node["values"]))
        if kind == "enum":
            return _enum(node["symbols"])
        return _scalar(kind)

    def _record(self, node: dict[str, Any]) -> Converter:
        return record_once(self._records, node, lambda: _record(self._fields(node)))

    def _fields(self, node: dict[str, Any]) -> list[tuple[str, str, Converter, bool, Any]]:
        return [
            (f["name"], f".{f['name']}", self.compile(f["type"]), "default" in f, f.get("default"))
            for f in node["fields"]
        ]

    def _union(self, node: list[_Schema]) -> Converter:
        nullable = "null" in node
        branches = [self.compile(branch) for branch in node if branch != "null"]
        if len(branches) == 1:
            return _optional(nullable, branches[0])
        return _union(nullable, branches)


def _record(fields: list[tuple[str, str, Converter, bool, Any]]) -> Converter:
    known = frozenset(name for name, *_ in fields)

    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if not isinstance(value, dict):
            problems.append(f"{path_text(path)}: expected an object, got {describe(value)}")
            return None
        if not known.issuperset(value):
            for extra in sorted(set(value) - known):
                problems.append(f"{path_text(path)}.{extra}: unknown field")
        result: dict[str, Any] = {}
        for name, step, field_convert, has_default, default in fields:
            item = value.get(name, _MISSING)
            if item is not _MISSING:
                result[name] = field_convert(item, (path, step), problems)
            elif has_default:
                result[name] = default
            else:
                problems.append(f"{path_text(path)}{step}: required field is missing")
        return result

    return convert


def _optional(nullable: bool, branch: Converter) -> Converter:
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if value is None:
            if not nullable:
                problems.append(f"{path_text(path)}: must not be null")
            return None
        return branch(value, path, problems)

    return convert


def _union(nullable: bool, branches: list[Converter]) -> Converter:
    # the first branch that takes the value wins; if none does, the first one's problems tell
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if value is None:
            if not nullable:
                problems.append(f"{path_text(path)}: must not be null")
            return None
        first: list[str] = []
        for branch in branches:
            attempt: list[str] = []
            converted = branch(value, path, attempt)
            if not attempt:
                return converted
            first = first or attempt
        problems.extend(first)
        return None

    return convert


def _array(items: Converter) -> Converter:
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if not isinstance(value, list):
            problems.append(f"{path_text(path)}: expected a list, got {describe(value)}")
            return None
        return [items(v, (path, i), problems) for i, v in enumerate(value)]

    return convert


def _map(values: Converter) -> Converter:
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if not isinstance(value, dict):
            problems.append(f"{path_text(path)}: expected an object, got {describe(value)}")
            return None
        return {k: values(v, (path, (k,)), problems) for k, v in value.items()}

    return convert


def _enum(symbols: list[str]) -> Converter:
    listed = ", ".join(symbols)

    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if value not in symbols:
            problems.append(f"{path_text(path)}: {value!r} is not one of {listed}")
        return value

    return convert


def _scalar(kind: str) -> Converter:
    if kind in _INT_RANGE:
        return _integer(kind, *_INT_RANGE[kind])
    if kind == "string":
        return _typed(str, "a string")
    if kind == "boolean":
        return _typed(bool, "true or false")
    check = _CHECKS.get(kind)
    if check is None:
        return _unsupported(kind)

    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        try:
            return check(value)
        except _InvalidError as invalid:
            problems.append(f"{path_text(path)}: {invalid.problem}")
            return invalid.result

    return convert


def _integer(kind: str, low: int, high: int) -> Converter:
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(
                f"{path_text(path)}: expected an integer ({kind}), got {describe(value)}"
            )
        return value

    return convert


def _typed(expected: type, wanted: str) -> Converter:
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        if not isinstance(value, expected):
            problems.append(f"{path_text(path)}: expected {wanted}, got {describe(value)}")
        return value

    return convert


def _unsupported(kind: str) -> Converter:
    def convert(value: Any, path: Any, problems: list[str]) -> Any:
        problems.append(f"{path_text(path)}: unsupported Avro type {kind}")
        return None

    return convert


class _InvalidError(Exception):
    """A scalar that does not fit: the problem (without its path) and what to return anyway."""

    def __init__(self, problem: str, result: Any = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.result = result


def _null(value: Any) -> None:
    if value is not None:
        raise _InvalidError("expected null")


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _InvalidError(f"expected a number, got {describe(value)}", value)
    return float(value)


def _bytes(value: Any) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise _InvalidError(f"expected base64 text, got {describe(value)}") from None


def _instant(value: Any) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _InvalidError(
            f"expected an ISO 8601 instant with a zone, got {describe(value)}"
        ) from None
    if instant.tzinfo is None:
        raise _InvalidError(f"instant {value!r} has no zone; add Z or +07:00")
    return instant.astimezone(UTC)


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _InvalidError(f"expected a date YYYY-MM-DD, got {describe(value)}") from None


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "null": _null,
    "float": _number,
    "double": _number,
    "bytes": _bytes,
    "timestamp-millis": _instant,
    "timestamp-micros": _instant,
    "date": _date,
}
