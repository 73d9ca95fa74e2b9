"""The bundled example record of each schema version."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from schemas.catalog import SchemaVersion
from schemas.errors import SchemaError
from schemas.jsonform import from_json


def example_json(schema: SchemaVersion) -> dict[str, Any]:
    """The example as plain JSON, as an integrator would send it."""
    name = f"examples/{schema.subject}.v{schema.version}.json"
    resource = resources.files("schemas").joinpath(name)
    if not resource.is_file():
        raise SchemaError(
            f"no example for {schema.subject} v{schema.version}", code="LGSP-SCHEMA-UNKNOWN"
        )
    value = json.loads(resource.read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def example_record(schema: SchemaVersion) -> dict[str, Any]:
    """The example as a record ready for the codec."""
    return from_json(schema, example_json(schema))
