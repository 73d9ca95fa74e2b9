"""Per-route transformations: schema version conversion, masking of personal data, header
mapping and enrichment.

Only ``schema_version``, ``mask`` and ``redact`` need the value decoded; header changes never
do, so a route without them keeps the hot path free of Avro work.

    transform:
      schema_version: 1                   # convert to the version the destination declares
      mask: [owner.idNumber, owner.phone]  # keep the first 3 and last 2 characters
      redact: [owner.address, owner.email] # set to null (nullable fields only)
      enrich: true                         # add agency names from the directory as headers
      headers: {lgsp-channel: portal}      # static headers to add
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.catalog import SchemaCatalog, SchemaVersion
from schemas.codec import AvroCodec
from schemas.ids.citizen import mask_citizen_id
from schemas.ids.directory import AgencyDirectory


class TransformSpec(BaseModel):
    """What a route does to a record on its way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int | None = Field(default=None, ge=1)
    mask: list[str] = Field(default_factory=list)
    redact: list[str] = Field(default_factory=list)
    enrich: bool = False
    headers: dict[str, str] = Field(default_factory=dict)

    @property
    def needs_value(self) -> bool:
        return self.schema_version is not None or bool(self.mask) or bool(self.redact)


def transform_value(
    value: bytes, spec: TransformSpec, codec: AvroCodec, catalog: SchemaCatalog
) -> tuple[bytes, SchemaVersion]:
    """Decode, convert and mask a value; return the new value and the schema it is written in."""
    writer = codec.writer_of(value)
    target = catalog.get(writer.subject, spec.schema_version) if spec.schema_version else writer
    record = codec.decode(value, reader=None if target is writer else target)
    for path in spec.mask:
        _apply(record, path.split("."), _mask_text)
    for path in spec.redact:
        _apply(record, path.split("."), lambda _: None)
    return codec.encode(target, record), target


def header_changes(
    spec: TransformSpec, directory: AgencyDirectory, source: str, recipients: Sequence[str]
) -> list[tuple[str, bytes]]:
    """Headers a route adds: static ones, and agency names when ``enrich`` is on."""
    added = [(name, value.encode()) for name, value in spec.headers.items()]
    if spec.enrich:
        source_agency = directory.find(source)
        if source_agency is not None:
            added.append(("lgsp-source-name", source_agency.name.encode()))
        names = [a.name for a in (directory.find(r) for r in recipients) if a is not None]
        if names:
            added.append(("lgsp-recipient-names", "; ".join(names).encode()))
    return added


def _mask_text(value: Any) -> Any:
    return mask_citizen_id(value) if isinstance(value, str) else value


def _apply(node: Any, path: list[str], change: Any) -> None:
    """Apply ``change`` to the field at ``path``, through nested records and arrays."""
    if isinstance(node, list):
        for item in node:
            _apply(item, path, change)
        return
    if not isinstance(node, dict) or path[0] not in node:
        return
    if len(path) == 1:
        node[path[0]] = change(node[path[0]])
    else:
        _apply(node[path[0]], path[1:], change)
