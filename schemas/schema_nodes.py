"""Parsed schema nodes as the per-schema compilers read them (jsonform's two, Avro's two).

A fastavro parsed schema node is a type name (``str``), a union (``list``) or a definition
(``dict``); a named type appears once as its definition, then by name. Each compiler turns a
node into a closure once; these are the steps they share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

Compiled = TypeVar("Compiled", bound=Callable[..., Any])


class UnsupportedError(Exception):
    """A value, body or schema node a compiled Avro writer or reader does not take: fastavro
    encodes or decodes the record instead."""


def resolve_node(node: Any, named: Mapping[str, Any]) -> Any:
    """A named type's definition for its name; any other node as it is."""
    return named.get(node, node) if isinstance(node, str) else node


def node_kind(node: Any) -> str:
    """``union``, ``record``, ``array``..., a logical type, or a primitive type name."""
    if isinstance(node, list):
        return "union"
    if isinstance(node, dict):
        return str(node.get("logicalType") or node["type"])
    return str(node)


def record_once(
    compiled: dict[int, Any], record: Mapping[str, Any], build: Callable[[], Compiled]
) -> Compiled:
    """The closure of a record node, built once (``compiled`` is by id of the node).

    While it is built, a field of the record that refers back to it (a recursive type) gets a
    forward reference that calls the closure once it exists.
    """
    known = compiled.get(id(record))
    if known is not None:
        return known  # type: ignore[no-any-return]
    built: list[Compiled] = []
    compiled[id(record)] = lambda *args: built[0](*args)
    built.append(build())
    compiled[id(record)] = built[0]
    return built[0]
