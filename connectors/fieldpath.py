"""Field paths into plain JSON, as connector files name them: ``dossierCode``,
``receivingAgency.code``, ``recipients[].code`` (``[]`` walks every item of a list)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\])?)*$")


def check_path(path: str) -> str:
    """Validate a path's syntax (for config validators)."""
    if not _PATH.match(path):
        raise ValueError(f"{path!r} is not a field path like a.b or items[].code")
    return path


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (none when a part is missing)."""
    found = [data]
    for part in path.split("."):
        each = part.endswith("[]")
        name = part.removesuffix("[]")
        step: list[Any] = []
        for value in found:
            if isinstance(value, Mapping) and name in value:
                inner = value[name]
                if each:
                    step.extend(inner if isinstance(inner, list) else [])
                else:
                    step.append(inner)
        found = step
    return found


def text_at(data: Any, path: str) -> str | None:
    """The one text (or number) at ``path``, as text; None if absent or not a scalar."""
    values = values_at(data, path)
    if len(values) != 1 or isinstance(values[0], dict | list) or values[0] is None:
        return None
    return str(values[0])
