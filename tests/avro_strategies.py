"""Hypothesis strategies that generate any record a fastavro-parsed Avro schema accepts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLIS = st.integers(min_value=-(10**12), max_value=10**13)


def records(parsed: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Records of a parsed schema (named types resolved through ``__named_schemas``)."""
    return _strategy(parsed, parsed.get("__named_schemas", {}), {})


def _strategy(
    node: Any, named: Mapping[str, Any], built: dict[int, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Any]:
    if isinstance(node, str) and node in named:
        node = named[node]
    if isinstance(node, list):
        return st.one_of([_strategy(branch, named, built) for branch in node])
    if isinstance(node, dict):
        logical = node.get("logicalType")
        if logical == "timestamp-millis":
            return _MILLIS.map(lambda ms: _EPOCH + timedelta(milliseconds=ms))
        if logical == "timestamp-micros":
            return _MILLIS.map(lambda ms: _EPOCH + timedelta(microseconds=ms * 997))
        if logical == "date":
            return st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
        if logical == "uuid":
            return st.uuids()
        kind = node["type"]
        if kind == "record":
            # deferred: a recursive record (a field of its own type) is drawn lazily, through
            # the one strategy built for it (by id of its node), not a new one at each depth
            if id(node) not in built:
                built[id(node)] = st.deferred(
                    lambda: st.fixed_dictionaries(
                        {f["name"]: _strategy(f["type"], named, built) for f in node["fields"]}
                    )
                )
            return built[id(node)]
        if kind == "fixed":
            return st.binary(min_size=node["size"], max_size=node["size"])
        if kind == "array":
            return st.lists(_strategy(node["items"], named, built), max_size=4)
        if kind == "map":
            return st.dictionaries(
                st.text(max_size=8), _strategy(node["values"], named, built), max_size=4
            )
        if kind == "enum":
            return st.sampled_from(node["symbols"])
        return _strategy(kind, named, built)
    return _PRIMITIVES[node]


_PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(min_value=-(2**31), max_value=2**31 - 1),
    "long": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "float": st.floats(width=32, allow_nan=False),
    "double": st.floats(allow_nan=False),
    "string": st.text(max_size=40),
    "bytes": st.binary(max_size=64),
}
