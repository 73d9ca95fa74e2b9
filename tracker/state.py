"""The tracker's tables: dossiers and documents by id, in memory, and their changelog form.

Every change is written to a compacted changelog topic (key ``d:<dossier code>`` or
``m:<document id>``, value the whole state as compact JSON) in the same Kafka transaction as
the source offsets it came from; a restart reads the changelog back to rebuild the tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from tracker.documents import (
    DocumentState,
    RecipientStatus,
    apply_document_sent,
    apply_document_status,
)
from tracker.dossiers import DossierState, StatusStep, apply_dossier_change

DOSSIER_PREFIX = b"d:"
DOCUMENT_PREFIX = b"m:"


class TrackerState:
    """Dossiers and documents by id; ``latest_ms`` is the newest event time seen."""

    def __init__(self) -> None:
        self.dossiers: dict[str, DossierState] = {}
        self.documents: dict[str, DocumentState] = {}
        self.latest_ms = 0

    def apply_dossier(self, record: Mapping[str, Any]) -> bytes:
        code: str = record["dossierCode"]
        updated = apply_dossier_change(self.dossiers.get(code), record)
        self.dossiers[code] = updated
        self.latest_ms = max(self.latest_ms, updated.changed_at)
        return DOSSIER_PREFIX + code.encode()

    def apply_document_sent(self, record: Mapping[str, Any]) -> bytes:
        document_id: str = record["documentId"]
        updated = apply_document_sent(self.documents.get(document_id), record)
        self.documents[document_id] = updated
        self.latest_ms = max(self.latest_ms, updated.sent_at or 0)
        return DOCUMENT_PREFIX + document_id.encode()

    def apply_document_status(self, record: Mapping[str, Any]) -> bytes:
        document_id: str = record["documentId"]
        updated = apply_document_status(self.documents.get(document_id), record)
        self.documents[document_id] = updated
        return DOCUMENT_PREFIX + document_id.encode()

    def changelog_value(self, key: bytes) -> bytes:
        """The changelog value of the state stored under ``key``."""
        if key.startswith(DOSSIER_PREFIX):
            return encode_dossier(self.dossiers[key[2:].decode()])
        return encode_document(self.documents[key[2:].decode()])

    def restore(self, key: bytes, value: bytes | None) -> None:
        """Apply one changelog record (the last one of a key wins; None deletes)."""
        name = key[2:].decode()
        if key.startswith(DOSSIER_PREFIX):
            if value is None:
                self.dossiers.pop(name, None)
                return
            dossier = decode_dossier(value)
            self.dossiers[name] = dossier
            self.latest_ms = max(self.latest_ms, dossier.changed_at)
        elif key.startswith(DOCUMENT_PREFIX):
            if value is None:
                self.documents.pop(name, None)
                return
            document = decode_document(value)
            self.documents[name] = document
            self.latest_ms = max(self.latest_ms, document.sent_at or 0)

    def restore_all(self, records: Iterable[tuple[bytes | None, bytes | None]]) -> None:
        """Apply a changelog read in log order: only each key's last value is decoded (until
        compaction runs, a key can have many)."""
        latest: dict[bytes, bytes | None] = {}
        for key, value in records:
            if key is not None:
                latest[key] = value
        for key, value in latest.items():
            self.restore(key, value)

    def __len__(self) -> int:
        return len(self.dossiers) + len(self.documents)

    def iter_dossiers(self) -> Iterator[DossierState]:
        return iter(list(self.dossiers.values()))


def encode_dossier(d: DossierState) -> bytes:
    return json.dumps(
        [
            1,
            d.code,
            d.procedure_code,
            d.procedure_name,
            d.agency_code,
            d.agency_name,
            d.channel,
            d.service_level,
            d.status,
            d.received_at,
            d.due_at,
            d.finished_at,
            d.returned_at,
            d.changed_at,
            d.paid_online,
            d.electronic_result,
            d.digitised,
            [[s.status, s.at] for s in d.history],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def decode_dossier(value: bytes) -> DossierState:
    f = json.loads(value)
    history = tuple(StatusStep(status, at) for status, at in f[17])
    return DossierState(
        f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9],
        f[10], f[11], f[12], f[13], f[14], f[15], f[16], history,
    )  # fmt: skip


def encode_document(d: DocumentState) -> bytes:
    return json.dumps(
        [
            1,
            d.document_id,
            d.sender_code,
            d.sender_name,
            d.subject,
            d.code_number,
            d.code_notation,
            d.sent_at,
            d.due_date.isoformat() if d.due_date else None,
            [[r.code, r.name, r.state, r.status_code, r.at] for r in d.recipients],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def decode_document(value: bytes) -> DocumentState:
    f = json.loads(value)
    due = date.fromisoformat(f[8]) if f[8] else None
    recipients = tuple(RecipientStatus(*r) for r in f[9])
    return DocumentState(f[1], f[2], f[3], f[4], f[5], f[6], f[7], due, recipients)
