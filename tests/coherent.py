"""Test records that keep the standards' rules when a test changes one field: a dossier moved to
another status drops the dates that status does not have (schemas/validation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.validation import code_list


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
