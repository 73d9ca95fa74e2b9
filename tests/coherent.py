"""Test records that keep the standards' rules when a test changes one field: a dossier moved to
another status drops the dates that status does not have, a renumbered document gets the id of
its new number (schemas/validation)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from schemas.validation import code_list, document_id


def at_status(record: Mapping[str, Any], status: int) -> dict[str, Any]:
    """``record`` (a dossier.status record or plain JSON) moved to ``status``."""
    changed = dict(record) | {"statusCode": status}
    if str(status) not in code_list("dossier-finished-at").meanings:
        changed["finishedAt"] = None
    if str(status) not in code_list("dossier-returned-at").meanings:
        changed["returnedAt"] = None
    if changed.get("previousStatusCode") is not None and changed["previousStatusCode"] >= status:
        changed["previousStatusCode"] = None
    return changed


def numbered_document(record: Mapping[str, Any], number: str) -> dict[str, Any]:
    """A ``document.sent`` record (or plain JSON) renumbered: ``number`` becomes its
    CodeNumber and its DocumentId is rebuilt from its own sender, date and notation."""
    promulgated = record["promulgationDate"]
    day = date.fromisoformat(promulgated) if isinstance(promulgated, str) else promulgated
    identifier = document_id(record["sender"]["code"], day, number, record["codeNotation"])
    return dict(record) | {"codeNumber": number, "documentId": identifier}


def status_of(record: Mapping[str, Any], token: str) -> dict[str, Any]:
    """A ``document.status`` record answering the document ``token`` of its documentSender."""
    identifier = f"{record['documentSender']},2026/11/20,{token}/VPCP-TTĐT"
    return dict(record) | {"documentId": identifier}
