"""What is compiled from a schema version (a writer, a reader, a JSON converter), made once.

Each record looks its schema's compiled code up here instead of walking the schema; the
codec and the JSON forms share this one cache shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from schemas.catalog import SchemaVersion

_Compiled = TypeVar("_Compiled")


class PerSchema(Generic[_Compiled]):
    """``compile(schema)`` made once per schema version and kept for the next record.

    Keyed by the version's identity (versions are immutable and the catalog holds one object
    per version); each entry holds its schema, so its id cannot be reused while it is kept.
    Beyond ``size`` versions the oldest entry is dropped and compiled again if it comes back.
    """

    def __init__(self, compile: Callable[[SchemaVersion], _Compiled], size: int = 256) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self._compile = compile
        self._size = size
        self._entries: dict[int, tuple[SchemaVersion, _Compiled]] = {}

    def __call__(self, schema: SchemaVersion) -> _Compiled:
        entry = self._entries.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        compiled = self._compile(schema)
        if len(self._entries) >= self._size:
            self._entries.pop(next(iter(self._entries)), None)
        self._entries[id(schema)] = (schema, compiled)
        return compiled

    def __len__(self) -> int:
        return len(self._entries)
