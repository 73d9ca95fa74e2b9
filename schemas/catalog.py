"""The schema catalog: every Avro schema of the contract, parsed once, found by subject,
version, event type or fingerprint.

A schema file is named ``<subject>.v<version>.avsc`` (``dossier.status.v2.avsc``). All versions
of a subject are FULL_TRANSITIVE compatible, so they share one CloudEvents type
``vn.gov.<subject>.v1``; the exact version travels in ``ce_dataschema``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint, to_parsing_canonical_form

from schemas.errors import SchemaError

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
EVENT_TYPE_PREFIX = "vn.gov."
EVENT_TYPE_MAJOR = 1
DATASCHEMA_PREFIX = "urn:vn.gov.lgsp:schema:"
_FILE_NAME = re.compile(
    r"^(?P<subject>[a-z][a-z0-9]*(?:\.[a-z][a-z0-9]*)+)\.v(?P<version>[1-9]\d*)\.avsc$"
)


@dataclass(frozen=True)
class SchemaVersion:
    """One version of one subject, parsed once; ``header`` is its single-object prefix."""

    subject: str
    version: int
    definition: Mapping[str, Any] = field(repr=False)
    parsed: dict[str, Any] = field(repr=False, compare=False)
    fingerprint: bytes
    source: str = ""
    header: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The single-object prefix (C3 01 + 8-byte little-endian CRC-64-AVRO), built once
        # because every encode writes it.
        object.__setattr__(self, "header", SINGLE_OBJECT_MAGIC + self.fingerprint)

    @property
    def full_name(self) -> str:
        return f"{self.definition.get('namespace', '')}.{self.definition['name']}".lstrip(".")

    @property
    def event_type(self) -> str:
        """CloudEvents type, e.g. ``vn.gov.dossier.status.v1``."""
        return f"{EVENT_TYPE_PREFIX}{self.subject}.v{EVENT_TYPE_MAJOR}"

    @property
    def dataschema(self) -> str:
        """CloudEvents dataschema URI naming this exact version."""
        return f"{DATASCHEMA_PREFIX}{self.subject}:v{self.version}"

    @property
    def canonical_form(self) -> str:
        return str(to_parsing_canonical_form(dict(self.definition)))


def load_schema(
    definition: Mapping[str, Any], subject: str, version: int, source: str = ""
) -> SchemaVersion:
    """Parse a schema definition once and compute its fingerprint."""
    try:
        # fastavro annotates what it parses: hand it a private copy of the definition
        parsed = parse_schema(json.loads(json.dumps(definition)))
        if not isinstance(parsed, dict):
            raise TypeError("a top-level schema must be a record")
        canonical = to_parsing_canonical_form(json.loads(json.dumps(definition)))
    except Exception as error:
        raise SchemaError(
            f"schema {subject} v{version} ({source or 'inline'}) is not valid Avro: {error}",
            code="LGSP-SCHEMA-INVALID",
        ) from error
    return SchemaVersion(
        subject=subject,
        version=version,
        definition=definition,
        parsed=parsed,
        fingerprint=bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")),
        source=source,
    )


def load_schema_file(path: Path) -> SchemaVersion:
    """Load ``<subject>.v<version>.avsc``."""
    match = _FILE_NAME.match(path.name)
    if not match:
        raise SchemaError(
            f"{path.name}: schema files are named <subject>.v<version>.avsc, "
            "e.g. dossier.status.v2.avsc",
            code="LGSP-SCHEMA-INVALID",
        )
    definition = json.loads(path.read_text(encoding="utf-8"))
    return load_schema(definition, match["subject"], int(match["version"]), source=str(path))


class SchemaCatalog:
    """All known schema versions, indexed for the codec and the tools."""

    def __init__(self, schemas: Iterable[SchemaVersion]) -> None:
        self._by_key: dict[tuple[str, int], SchemaVersion] = {}
        self._by_header: dict[bytes, SchemaVersion] = {}
        for schema in schemas:
            key = (schema.subject, schema.version)
            if key in self._by_key:
                raise SchemaError(
                    f"schema {schema.subject} v{schema.version} is defined twice",
                    code="LGSP-SCHEMA-INVALID",
                )
            self._by_key[key] = schema
            self._by_header.setdefault(schema.header, schema)

    @classmethod
    def from_folder(cls, folder: Path) -> SchemaCatalog:
        return cls(load_schema_file(path) for path in sorted(folder.glob("*.avsc")))

    def subjects(self) -> list[str]:
        return sorted({subject for subject, _ in self._by_key})

    def versions(self, subject: str) -> list[SchemaVersion]:
        return [s for (subj, _), s in sorted(self._by_key.items()) if subj == subject]

    def get(self, subject: str, version: int | None = None) -> SchemaVersion:
        """A subject's given version, or its latest one."""
        versions = self.versions(subject)
        if not versions:
            raise SchemaError(
                f"unknown schema subject {subject!r} (known: {', '.join(self.subjects())})",
                code="LGSP-SCHEMA-UNKNOWN",
            )
        if version is None:
            return versions[-1]
        found = self._by_key.get((subject, version))
        if found is None:
            known = ", ".join(f"v{s.version}" for s in versions)
            raise SchemaError(
                f"no schema {subject} v{version} (known versions: {known})",
                code="LGSP-SCHEMA-UNKNOWN",
            )
        return found

    def for_event_type(self, event_type: str) -> SchemaVersion:
        """Latest schema of the subject named by a CloudEvents type."""
        prefix, suffix = EVENT_TYPE_PREFIX, f".v{EVENT_TYPE_MAJOR}"
        if not (event_type.startswith(prefix) and event_type.endswith(suffix)):
            raise SchemaError(f"unknown event type {event_type!r}", code="LGSP-SCHEMA-UNKNOWN")
        return self.get(event_type[len(prefix) : -len(suffix)])

    def for_dataschema(self, dataschema: str) -> SchemaVersion:
        """The exact schema version named by a ``ce_dataschema`` URI."""
        subject, _, version = dataschema.removeprefix(DATASCHEMA_PREFIX).rpartition(":v")
        valid = version.isascii() and version.isdigit()  # isdigit alone accepts '²'
        if not dataschema.startswith(DATASCHEMA_PREFIX) or not valid:
            raise SchemaError(f"unknown dataschema {dataschema!r}", code="LGSP-SCHEMA-UNKNOWN")
        return self.get(subject, int(version))

    @property
    def headers(self) -> Mapping[bytes, SchemaVersion]:
        """Schemas by single-object header (magic + fingerprint): the codec's hot-path index."""
        return self._by_header

    def __iter__(self) -> Any:
        return iter(s for _, s in sorted(self._by_key.items()))

    def __len__(self) -> int:
        return len(self._by_key)


def bundled_schema_folder() -> Path:
    """Folder of the contract's own .avsc files."""
    return Path(str(resources.files("schemas").joinpath("avro")))


@cache
def bundled_catalog() -> SchemaCatalog:
    """The contract's schemas, loaded on first use and shared by the whole process."""
    return SchemaCatalog.from_folder(bundled_schema_folder())
