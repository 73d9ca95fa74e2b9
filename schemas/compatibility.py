"""Schema evolution checks: FULL_TRANSITIVE compatibility, immutable published versions, and
an example for every version.

FULL_TRANSITIVE: every version of a subject reads data written by every other version, in both
directions (checked with Apache Avro's own ``avro.compatibility``). Published versions are
pinned by fingerprint in ``published.json`` beside the schemas: changing one in place would
make records already on Kafka undecodable, so a change must be a new version file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from schemas.catalog import SchemaCatalog, SchemaVersion
from schemas.codec import AvroCodec
from schemas.errors import ContractError
from schemas.jsonform import from_json

LOCK_FILE = "published.json"


@dataclass(frozen=True)
class Finding:
    """One result of a check: ``error`` findings fail it."""

    severity: str  # "error" or "note"
    subject: str
    message: str


def check_folder(folder: Path, examples: Path | None = None) -> list[Finding]:
    """Run every check on the ``.avsc`` files of ``folder``."""
    catalog = SchemaCatalog.from_folder(folder)
    findings = check_full_transitive(catalog)
    findings += check_published(catalog, read_lock(folder))
    findings += check_examples(catalog, examples or folder.parent / "examples")
    return findings


def check_full_transitive(catalog: SchemaCatalog) -> list[Finding]:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    findings = []
    for subject in catalog.subjects():
        parsed = [
            (v, avro.schema.parse(json.dumps(v.definition))) for v in catalog.versions(subject)
        ]
        for reader, reader_schema in parsed:
            for writer, writer_schema in parsed:
                if reader is writer:
                    continue
                result = checker.get_compatibility(reader=reader_schema, writer=writer_schema)
                if result.compatibility is not SchemaCompatibilityType.compatible:
                    reasons = "; ".join(sorted(map(str, result.messages)))
                    where = ", ".join(sorted(map(str, result.locations)))
                    message = (
                        f"v{reader.version} cannot read data written with v{writer.version} "
                        f"(FULL_TRANSITIVE broken): {reasons} at {where}"
                    )
                    findings.append(Finding("error", subject, message))
    return findings


def read_lock(folder: Path) -> dict[str, str]:
    path = folder / LOCK_FILE
    return dict(json.loads(path.read_text())) if path.exists() else {}


def lock_key(schema: SchemaVersion) -> str:
    return f"{schema.subject}.v{schema.version}"


def check_published(catalog: SchemaCatalog, lock: dict[str, str]) -> list[Finding]:
    findings = []
    current = {lock_key(s): s for s in catalog}
    for key, pinned in sorted(lock.items()):
        schema = current.get(key)
        subject = key.rsplit(".v", 1)[0]
        if schema is None:
            findings.append(Finding("error", subject, f"published version {key} was removed"))
        elif schema.fingerprint.hex() != pinned:
            findings.append(
                Finding(
                    "error",
                    subject,
                    (
                        f"published version {key} was changed in place (fingerprint {pinned} "
                        f"-> {schema.fingerprint.hex()}); restore it, add the change as a new "
                        "version"
                    ),
                )
            )
    for key in sorted(set(current) - set(lock)):
        findings.append(
            Finding(
                "note",
                key.rsplit(".v", 1)[0],
                f"{key} is not published yet: `lgsp schemas lock` pins it",
            )
        )
    return findings


def check_examples(catalog: SchemaCatalog, examples: Path) -> list[Finding]:
    codec = AvroCodec(catalog)
    findings = []
    for schema in catalog:
        path = examples / f"{lock_key(schema)}.json"
        if not path.exists():
            findings.append(Finding("error", schema.subject, f"no example {path.name}"))
            continue
        try:
            record = from_json(schema, json.loads(path.read_text(encoding="utf-8")))
            if codec.decode(codec.encode(schema, record)) != record:
                findings.append(
                    Finding("error", schema.subject, f"{path.name} does not round-trip")
                )
        except ContractError as error:
            findings.append(Finding("error", schema.subject, f"{path.name}: {error}"))
    return findings


def write_lock(folder: Path) -> dict[str, str]:
    """Pin every version's fingerprint (keeping earlier pins, which check_published guards)."""
    catalog = SchemaCatalog.from_folder(folder)
    lock = read_lock(folder) | {lock_key(s): s.fingerprint.hex() for s in catalog}
    (folder / LOCK_FILE).write_text(json.dumps(dict(sorted(lock.items())), indent=2) + "\n")
    return lock
