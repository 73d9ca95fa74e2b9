"""Avro binary bodies written by closures compiled once per parsed schema.

``compile_writer`` walks a fastavro parsed schema once and returns a tree of closures, one per
schema node, each called as ``write(buffer, value)`` to append the value's Avro binary encoding
to a ``bytearray``: the same bytes as fastavro's ``schemaless_writer``, without its per-datum
schema dispatch and union validation.

The writers are strict: each takes only the exact Python types fastavro's validation admits
(``str`` for a string, ``int`` within range for an int or long, ``float`` for a double, ``dict``
for a record or map, ``list`` for an array) and raises ``UnsupportedError`` for anything else, and a
union with more than one non-null branch always raises it. The caller then encodes the whole
record with fastavro, so a value the compiled writer does not take is fastavro's to accept or
refuse, with fastavro's own error. Being stricter than fastavro costs speed on odd records,
never correctness.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

from fastavro.logical_writers import LOGICAL_WRITERS

from schemas.schema_nodes import UnsupportedError, record_once, resolve_node

Writer = Callable[[bytearray, Any], None]
_Schema = Any  # a fastavro parsed schema node: str, list or dict
_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_MISSING = object()


def _zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_zigzag(n) for n in range(-64, 1024)]  # 1-2 byte varints, looked up


def varint(n: int) -> bytes:
    """The zig-zag varint of an int already known to lie in the long range."""
    return _SMALL[n + 64] if -64 <= n < 1024 else _zigzag(n)


def compile_writer(parsed: Mapping[str, Any]) -> Writer:
    """The writer of a parsed schema (its ``__named_schemas`` resolve named types)."""
    return _Compiler(parsed.get("__named_schemas", {})).compile(parsed)


def encode_body(writer: Writer, record: Any) -> bytes:
    """The Avro binary body of ``record``; raises ``UnsupportedError`` (or any error) on misfits."""
    buffer = bytearray()
    writer(buffer, record)
    return bytes(buffer)


class _Compiler:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self._named = named
        self._records: dict[int, Writer] = {}  # by id of the record node, for recursion

    def compile(self, node: _Schema) -> Writer:
        node = resolve_node(node, self._named)
        if isinstance(node, list):
            return self._union(node)
        if isinstance(node, str):
            return _primitive(node)
        kind = node["type"]
        logical = node.get("logicalType")
        if logical is not None:
            prepare = LOGICAL_WRITERS.get(f"{kind}-{logical}")
            if prepare is not None:
                return _prepared(prepare, node, self.compile(kind))
        if kind == "record" or kind == "error":
            return self._record(node)
        if kind == "array":
            return _array(self.compile(node["items"]))
        if kind == "map":
            return _map(self.compile(node["values"]))
        if kind == "enum":
            return _enum(node["symbols"])
        if kind == "fixed":
            return _fixed(node["size"])
        return _primitive(kind)

    def _record(self, node: dict[str, Any]) -> Writer:
        return record_once(
            self._records, node, lambda: _record([self._field(f) for f in node["fields"]])
        )

    def _field(self, field: Mapping[str, Any]) -> tuple[str, Writer, Any]:
        # fastavro writes a missing field's default, or None when its type names null
        # (``"null" in type``, as fastavro tests it), and refuses it otherwise
        if "default" in field:
            absent = field["default"]
        elif "null" in field["type"]:
            absent = None
        else:
            absent = _MISSING
        return field["name"], self.compile(field["type"]), absent

    def _union(self, node: list[_Schema]) -> Writer:
        others = [index for index, branch in enumerate(node) if branch != "null"]
        if len(others) != 1 or len(node) > 2:
            return _unsupported(f"union {node}")  # fastavro validates branch by branch
        index = others[0]
        if len(node) == 1:
            return _tagged(varint(index), self.compile(node[index]))
        return _optional(varint(1 - index), varint(index), self.compile(node[index]))


def _record(fields: list[tuple[str, Writer, Any]]) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not dict:
            raise UnsupportedError(f"record {type(value).__name__}")
        for name, field_write, absent in fields:
            try:
                item = value[name]
            except KeyError:
                if absent is _MISSING:
                    raise UnsupportedError(f"no value and no default for {name}") from None
                item = absent
            field_write(buffer, item)

    return write


def _optional(null: bytes, tag: bytes, branch: Writer) -> Writer:
    if branch is _string:  # the commonest union, [null, string], in one call
        return _optional_string(null, tag)

    def write(buffer: bytearray, value: Any) -> None:
        if value is None:
            buffer += null
        else:
            buffer += tag
            branch(buffer, value)

    return write


def _optional_string(null: bytes, tag: bytes) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        if value is None:
            buffer += null
            return
        if type(value) is not str:
            raise UnsupportedError(f"string {type(value).__name__}")
        data = value.encode()
        size = len(data)
        buffer += tag
        buffer += _SMALL[size + 64] if size < 1024 else _zigzag(size)
        buffer += data

    return write


def _tagged(tag: bytes, branch: Writer) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        buffer += tag
        branch(buffer, value)

    return write


def _prepared(prepare: Callable[[Any, Any], Any], node: Any, base: Writer) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        base(buffer, prepare(value, node))

    return write


def _array(items: Writer) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not list:
            raise UnsupportedError(f"array {type(value).__name__}")
        if value:
            buffer += varint(len(value))
            for item in value:
                items(buffer, item)
        buffer += b"\x00"

    return write


def _map(values: Writer) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not dict:
            raise UnsupportedError(f"map {type(value).__name__}")
        if value:
            buffer += varint(len(value))
            for key, item in value.items():
                _string(buffer, key)
                values(buffer, item)
        buffer += b"\x00"

    return write


def _enum(symbols: list[str]) -> Writer:
    indexes = {symbol: varint(index) for index, symbol in enumerate(symbols)}

    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not str or value not in indexes:
            raise UnsupportedError(f"enum value {value!r}")
        buffer += indexes[value]

    return write


def _fixed(size: int) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not bytes or len(value) != size:
            raise UnsupportedError(f"fixed({size}) value")
        buffer += value

    return write


def _integer(low: int, high: int) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not int or not low <= value <= high:
            raise UnsupportedError(f"integer {value!r}")
        if -64 <= value < 1024:
            buffer += _SMALL[value + 64]
            return
        value = (value << 1) ^ (value >> 63)
        while value > 0x7F:
            buffer.append((value & 0x7F) | 0x80)
            value >>= 7
        buffer.append(value)

    return write


def _string(buffer: bytearray, value: Any) -> None:
    if type(value) is not str:
        raise UnsupportedError(f"string {type(value).__name__}")
    data = value.encode()
    size = len(data)
    buffer += _SMALL[size + 64] if size < 1024 else _zigzag(size)
    buffer += data


def _bytes(buffer: bytearray, value: Any) -> None:
    if type(value) is not bytes:
        raise UnsupportedError(f"bytes {type(value).__name__}")
    buffer += varint(len(value))
    buffer += value


def _boolean(buffer: bytearray, value: Any) -> None:
    if type(value) is not bool:
        raise UnsupportedError(f"boolean {type(value).__name__}")
    buffer += b"\x01" if value else b"\x00"


def _null(buffer: bytearray, value: Any) -> None:
    if value is not None:
        raise UnsupportedError(f"null {type(value).__name__}")


def _packed(fmt: str) -> Writer:
    pack = struct.Struct(fmt).pack

    def write(buffer: bytearray, value: Any) -> None:
        if type(value) is not float:
            raise UnsupportedError(f"{fmt} {type(value).__name__}")
        buffer += pack(value)

    return write


def _unsupported(what: str) -> Writer:
    def write(buffer: bytearray, value: Any) -> None:
        raise UnsupportedError(what)

    return write


def _primitive(kind: str) -> Writer:
    if kind in _RANGES:
        return _integer(*_RANGES[kind])
    simple = {"string": _string, "bytes": _bytes, "boolean": _boolean, "null": _null}
    if kind in simple:
        return simple[kind]
    if kind == "double":
        return _packed("<d")
    return _unsupported(f"type {kind}")  # float (fastavro narrows to 32 bits its own way)
