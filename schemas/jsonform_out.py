"""Avro record -> plain JSON renderers, compiled once per parsed schema.

``compile_renderer`` walks a fastavro parsed schema once and returns a tree of closures, one per
schema node, each called as ``render(value)``. Named types are resolved at compile time (a
recursive record refers to itself through a forward reference), so a record is rendered without
looking its schema up again.

The output is that of the interpreted walk it replaced (tests/jsonform_reference.py), for any
value, not only for what fastavro decodes: ``None`` renders as ``None`` whatever the node; a union
with one non-null branch renders through that branch, any other union and every leaf through
``render_leaf``; a record field missing from the value renders as ``None``. A leaf whose value
is exactly a ``str``, ``int``, ``bool``, ``float`` or ``None`` is returned as it is, which is
what ``render_leaf`` would return for it: the check is on the value's type, not the schema's, so
a hand-built record holding a datetime in a string field still renders as before.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from schemas.schema_nodes import node_kind, record_once, resolve_node

Renderer = Callable[[Any], Any]
_Schema = Any  # a fastavro parsed schema node: str, list or dict
# the exact types render_leaf returns unchanged (a subclass could be a datetime, date or bytes)
_AS_IS = frozenset({str, int, bool, float, type(None)})


def compile_renderer(parsed: Mapping[str, Any]) -> Renderer:
    """The renderer of a parsed schema (its ``__named_schemas`` resolve named types)."""
    return _Compiler(parsed.get("__named_schemas", {})).compile(parsed)


def render_leaf(value: Any) -> Any:
    """Instants as ISO 8601 UTC text with milliseconds and ``Z``, dates, bytes as base64."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _leaf(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if type(value) is datetime and value.tzinfo is UTC:
        return _utc_text(value)
    return render_leaf(value)


def _utc_text(instant: datetime) -> str:
    # What render_leaf makes of a UTC instant (astimezone returns it as it is; isoformat pads the
    # year to 4 digits and ends in +00:00, the text's only "+"), at half the cost: every decoded
    # timestamp is a datetime in UTC, and isoformat with timespec was the sink's dearest call.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 (faster than an f-string)
        instant.year,
        instant.month,
        instant.day,
        instant.hour,
        instant.minute,
        instant.second,
        instant.microsecond // 1000,
    )


class _Compiler:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self._named = named
        self._records: dict[int, Renderer] = {}  # by id of the record node, for recursion

    def compile(self, node: _Schema) -> Renderer:
        node = resolve_node(node, self._named)
        kind = node_kind(node)
        if kind == "union":
            branches = [branch for branch in node if branch != "null"]
            return self.compile(branches[0]) if len(branches) == 1 else _leaf
        if kind == "record":
            return self._record(node)
        if kind == "array":
            return _array(self.compile(node["items"]))
        if kind == "map":
            return _map(self.compile(node["values"]))
        return _leaf

    def _record(self, node: dict[str, Any]) -> Renderer:
        return record_once(self._records, node, lambda: _record(self._fields(node)))

    def _fields(self, node: dict[str, Any]) -> list[tuple[str, Renderer, bool]]:
        # a leaf field (its renderer is _leaf) is rendered inline by the record's closure
        fields = [(f["name"], self.compile(f["type"])) for f in node["fields"]]
        return [(name, render, render is _leaf) for name, render in fields]


def _record(fields: list[tuple[str, Renderer, bool]]) -> Renderer:
    as_is = _AS_IS

    def render(value: Any) -> Any:
        if value is None:
            return None
        get = value.get
        result: dict[str, Any] = {}
        for name, render_field, leaf in fields:
            item = get(name)
            # leaves inline: most fields are strings and numbers, and a call costs more than them
            if leaf and type(item) in as_is:
                result[name] = item
            else:
                result[name] = render_field(item)
        return result

    return render


def _array(items: Renderer) -> Renderer:
    def render(value: Any) -> Any:
        return None if value is None else [items(v) for v in value]

    return render


def _map(values: Renderer) -> Renderer:
    def render(value: Any) -> Any:
        return None if value is None else {k: values(v) for k, v in value.items()}

    return render
