"""Rules that apply to any record: text lengths (as data, per subject) and the nesting depth
of a JSON value. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schemas.validation import codes as v
from schemas.validation.tables import TextLimit, text_limits
from schemas.validation.violation import Violation

# JSON nested deeper than this is refused before it is read: the deepest record of the contract
# nests 4 levels; Python's own parsers fail near 1,000 (RecursionError). Source: bus.
MAX_JSON_DEPTH = 32


def values_at(record: Any, steps: tuple[tuple[str, bool], ...]) -> Iterator[tuple[str, Any]]:
    """The values at a limit's parsed path (``$.recipients[].name``) with their concrete
    paths."""
    found: list[tuple[str, Any]] = [("$", record)]
    for name, many in steps:
        step: list[tuple[str, Any]] = []
        for where, value in found:
            if name:
                if not isinstance(value, dict) or value.get(name) is None:
                    continue
                where, value = f"{where}.{name}", value[name]
            if many:
                if isinstance(value, list):
                    step.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
            else:
                step.append((where, value))
        found = step
    yield from found


def _fits(record: Any, limit: TextLimit) -> bool:
    """Whether every text at the limit's path fits: the walk of ``values_at`` without the
    concrete paths, which only a text that does not fit needs (every ingress asks)."""
    found = [record]
    for name, many in limit.steps:
        step: list[Any] = []
        for value in found:
            if name:
                if not isinstance(value, dict):
                    continue
                value = value.get(name)
                if value is None:
                    continue
            if not many:
                step.append(value)
            elif isinstance(value, list):
                step.extend(value)
        found = step
    most = limit.max_chars
    return not any(isinstance(value, str) and len(value) > most for value in found)


def length_violations(subject: str, record: Any) -> list[Violation]:
    problems = []
    for limit in text_limits().get(subject, ()):
        if len(limit.steps) == 1 and not limit.steps[0][1]:  # a top-level field: no walk
            value = record.get(limit.steps[0][0]) if isinstance(record, dict) else None
            if isinstance(value, str) and len(value) > limit.max_chars:
                problems.append(_too_long(limit, limit.path, value))
            continue
        if _fits(record, limit):
            continue
        for where, value in values_at(record, limit.steps):
            if isinstance(value, str) and len(value) > limit.max_chars:
                problems.append(_too_long(limit, where, value))
    return problems


def _too_long(limit: TextLimit, where: str, value: str) -> Violation:
    return Violation(
        v.TOO_LONG,
        where,
        f"{len(value)} characters, more than the {limit.max_chars} allowed ({limit.source})",
    )


def json_depth_violation(value: Any, limit: int = MAX_JSON_DEPTH) -> Violation | None:
    """The first place a parsed JSON value nests deeper than ``limit`` (iterative: it never
    recurses, whatever the depth)."""
    if not _deeper_than(value, limit):  # every ingress asks: no paths built for a fit record
        return None
    stack: list[tuple[Any, int, str]] = [(value, 0, "$")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limit:
                return Violation(v.JSON_DEPTH, where, f"JSON nested more than {limit} levels deep")
            if isinstance(node, dict):
                stack.extend((child, depth + 1, f"{where}.{key}") for key, child in node.items())
            else:
                stack.extend((child, depth + 1, f"{where}[{i}]") for i, child in enumerate(node))
    return None


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether any dict or list in ``value`` sits ``limit`` levels deep (iterative)."""
    level: list[Any] = [value]
    for _ in range(limit):
        children: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                children.extend(c for c in node.values() if isinstance(c, dict | list))
            elif isinstance(node, list):
                children.extend(c for c in node if isinstance(c, dict | list))
        if not children:
            return False
        level = children
    return any(isinstance(node, dict | list) for node in level)
