"""Avro binary bodies read by closures compiled once per parsed schema.

``compile_reader`` walks a fastavro parsed schema once and returns a tree of closures, one per
schema node, each called as ``read(data, pos)`` on the ``bytes`` of a value: it returns the
node's value and the position after it. The values are those of fastavro's
``schemaless_reader(buffer, parsed, None)``: records as dicts in field order, enums as ``str``,
fixed and bytes as ``bytes``, and logical types through fastavro's own ``LOGICAL_READERS``.

The readers are strict where fastavro is lenient or undefined: a negative length or index, a
union or enum index out of range, a varint longer than 64 bits, an array or map block counting
more items than bytes are left, or a boolean byte other than 0 or 1 raises; so does reading
past the end (an ``IndexError``, a ``struct.error``, or a position past the end, which
``read_body`` refuses). The caller then reads the whole value with fastavro, so a body the
compiled reader does not take is fastavro's to read or refuse, with fastavro's own error; a
schema node it does not know raises ``UnsupportedError`` at compile time.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fastavro.logical_readers import LOGICAL_READERS

from schemas.schema_nodes import UnsupportedError, record_once, resolve_node

Reader = Callable[[bytes, int], tuple[Any, int]]
_Schema = Any  # a fastavro parsed schema node: str, list or dict
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def compile_reader(parsed: Mapping[str, Any]) -> Reader:
    """The reader of a parsed schema; raises ``UnsupportedError`` for a node it does not know."""
    return _Compiler(parsed.get("__named_schemas", {})).compile(parsed)


def read_body(reader: Reader, data: bytes, pos: int) -> Any:
    """The value whose body is ``data[pos:]``; raises unless it ends exactly at the end."""
    value, end = reader(data, pos)
    if end != len(data):
        raise UnsupportedError(f"body ends at {end} of {len(data)} bytes")
    return value


class _Compiler:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self._named = named
        self._records: dict[int, Reader] = {}  # by id of the record node, for recursion

    def compile(self, node: _Schema) -> Reader:
        node = resolve_node(node, self._named)
        if isinstance(node, list):
            return self._union(node)
        if isinstance(node, str):
            return _primitive(node)
        logical = f"{node['type']}-{node.get('logicalType')}"
        if logical in _INSTANTS:
            return _INSTANTS[logical]
        if logical in LOGICAL_READERS:
            # what fastavro does: read the base type, then convert it with the node
            return _converted(LOGICAL_READERS[logical], node, self._base(node))
        return self._base(node)

    def _base(self, node: dict[str, Any]) -> Reader:
        kind = node["type"]
        if kind == "record" or kind == "error":
            return record_once(self._records, node, lambda: self._record(node))
        if kind == "array":
            return _blocks(self.compile(node["items"]), None)
        if kind == "map":
            return _blocks(self.compile(node["values"]), _string)
        if kind == "enum":
            return _enum(node["symbols"])
        if kind == "fixed":
            return _fixed(node["size"])
        return _primitive(kind)

    def _record(self, node: dict[str, Any]) -> Reader:
        return _record([self._field(field) for field in node["fields"]])

    def _field(self, field: Mapping[str, Any]) -> tuple[str, bool, int, Reader]:
        # [null, X]: the record reads the tag, then X, itself (see _record)
        node = resolve_node(field["type"], self._named)
        optional = isinstance(node, list) and len(node) == 2 and node[0] == "null"
        if optional:
            node = resolve_node(node[1], self._named)
        kind = _INLINED.get(node, _CALL) if isinstance(node, str) else _CALL
        return field["name"], optional, kind, self.compile(node)

    def _union(self, node: list[_Schema]) -> Reader:
        return _union([self.compile(branch) for branch in node])


def _long(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), pos + 1
    n = byte & 0x7F
    shift = 7
    while True:
        pos += 1
        byte = data[pos]
        n |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift > 63:
            raise UnsupportedError("varint longer than 10 bytes")
    if n >> 64:
        raise UnsupportedError("varint beyond 64 bits")
    return (n >> 1) ^ -(n & 1), pos + 1


def _size(data: bytes, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if not byte & 0x81:  # one byte, non-negative: sizes up to 63
        return byte >> 1, pos + 1
    size, pos = _long(data, pos)
    if size < 0:
        raise UnsupportedError(f"negative size {size}")
    return size, pos


def _string(data: bytes, pos: int) -> tuple[Any, int]:
    size, pos = _size(data, pos)
    end = pos + size
    return data[pos:end].decode(), end  # a short slice leaves end past the data: refused


def _bytes(data: bytes, pos: int) -> tuple[Any, int]:
    size, pos = _size(data, pos)
    end = pos + size
    return data[pos:end], end


def _boolean(data: bytes, pos: int) -> tuple[Any, int]:
    byte = data[pos]
    if byte > 1:
        raise UnsupportedError(f"boolean byte {byte}")
    return byte == 1, pos + 1


def _null(data: bytes, pos: int) -> tuple[Any, int]:
    return None, pos


def _unpacked(fmt: str) -> Reader:
    unpack = struct.Struct(fmt).unpack_from
    width = struct.calcsize(fmt)

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        return unpack(data, pos)[0], pos + width

    return read


_PRIMITIVES: dict[str, Reader] = {
    "null": _null,
    "boolean": _boolean,
    "int": _long,  # fastavro reads an int as a long, without a range check
    "long": _long,
    "float": _unpacked("<f"),
    "double": _unpacked("<d"),
    "bytes": _bytes,
    "string": _string,
}


def _primitive(kind: str) -> Reader:
    if kind not in _PRIMITIVES:
        raise UnsupportedError(f"type {kind}")
    return _PRIMITIVES[kind]


# how a record reads a field: by calling its reader, or inline for the commonest kinds (most
# fields are strings, optional strings and small ints, and a call costs more than reading them)
_CALL, _STRING, _INTEGER = range(3)
_INLINED = {"string": _STRING, "int": _INTEGER, "long": _INTEGER}


def _record(fields: list[tuple[str, bool, int, Reader]]) -> Reader:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        record: dict[str, Any] = {}
        for name, optional, kind, read_field in fields:
            if optional:  # a union of null and one type, in that order
                tag = data[pos]
                pos += 1
                if tag == 0:
                    record[name] = None
                    continue
                if tag != 2:
                    raise UnsupportedError(f"union tag byte {tag}")
            if kind == _STRING:
                size = data[pos]
                if not size & 0x81:  # a one-byte size, up to 63 bytes
                    pos += 1
                    end = pos + (size >> 1)
                    record[name] = data[pos:end].decode()
                    pos = end
                    continue
            elif kind == _INTEGER:
                byte = data[pos]
                if byte < 0x80:
                    record[name] = (byte >> 1) ^ -(byte & 1)
                    pos += 1
                    continue
                second = data[pos + 1]  # counts and years: two or three bytes, read inline
                if second < 0x80:
                    n = (byte & 0x7F) | (second << 7)
                    record[name] = (n >> 1) ^ -(n & 1)
                    pos += 2
                    continue
                third = data[pos + 2]
                if third < 0x80:
                    n = (byte & 0x7F) | ((second & 0x7F) << 7) | (third << 14)
                    record[name] = (n >> 1) ^ -(n & 1)
                    pos += 3
                    continue
            record[name], pos = read_field(data, pos)
        return record, pos

    return read


def _index(data: bytes, pos: int, size: int) -> tuple[int, int]:
    """A union's branch or an enum's symbol, by its index: fastavro's Python indexing would
    take a negative one, so the compiled reader refuses it."""
    index, pos = _long(data, pos)
    if not 0 <= index < size:
        raise UnsupportedError(f"index {index} of {size}")
    return index, pos


def _union(branches: list[Reader]) -> Reader:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        index, pos = _index(data, pos, len(branches))
        return branches[index](data, pos)

    return read


def _millis(data: bytes, pos: int) -> tuple[Any, int]:
    millis, pos = _long(data, pos)
    return _EPOCH + timedelta(0, 0, 0, millis), pos  # fastavro's value, with one call less


def _micros(data: bytes, pos: int) -> tuple[Any, int]:
    micros, pos = _long(data, pos)
    return _EPOCH + timedelta(0, 0, micros), pos


_INSTANTS: dict[str, Reader] = {"long-timestamp-millis": _millis, "long-timestamp-micros": _micros}


def _converted(convert: Callable[..., Any], node: dict[str, Any], base: Reader) -> Reader:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        value, pos = base(data, pos)
        return convert(value, node, None), pos

    return read


def _blocks(items: Reader, keys: Reader | None) -> Reader:
    """An array's reader (no ``keys``) or a map's (``keys`` reads each key)."""

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        collected: Any = [] if keys is None else {}
        count, pos = _long(data, pos)
        while count:
            if count < 0:  # a negative count is followed by the block's size in bytes
                count = -count
                _, pos = _long(data, pos)
            if count > len(data) - pos:
                raise UnsupportedError(f"block of {count} items in {len(data) - pos} bytes")
            if keys is None:
                for _ in range(count):
                    item, pos = items(data, pos)
                    collected.append(item)
            else:
                for _ in range(count):
                    key, pos = keys(data, pos)
                    collected[key], pos = items(data, pos)
            count, pos = _long(data, pos)
        return collected, pos

    return read


def _enum(symbols: list[str]) -> Reader:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        index, pos = _index(data, pos, len(symbols))
        return symbols[index], pos

    return read


def _fixed(size: int) -> Reader:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        end = pos + size
        return data[pos:end], end

    return read
