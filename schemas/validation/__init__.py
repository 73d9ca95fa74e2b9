"""What the national standards define, checked on every record that enters the bus.

``violations(subject, record)`` runs the rules of a subject on a record that already fits its
schema (as ``from_json`` or the codec return it) and lists what it breaks, each ``Violation``
with a stable code and the field's path; ``check`` raises them as one ``ValidationError``.
The code lists and text limits are data (``schemas/data/codes.csv``,
``schemas/data/field-limits.csv``), the rest pure functions; docs/validation.md gives every
rule with its source. ``ruleset_id()`` names the rule set a record was checked against: the
SDK stamps it in the ``lgsp-validated`` header, and the gateway decodes and checks only
records without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schemas.ids.directory import AgencyDirectory, bundled_directory
from schemas.validation.documents import document_id, sent_violations, status_violations
from schemas.validation.dossiers import dossier_violations
from schemas.validation.exchanges import (
    lookup_reply_violations,
    lookup_request_violations,
    payment_request_violations,
    payment_result_violations,
    receipt_violations,
    report_violations,
)
from schemas.validation.shapes import MAX_JSON_DEPTH, json_depth_violation, length_violations
from schemas.validation.tables import code_list, ruleset_id
from schemas.validation.violation import ValidationError, Violation

VALIDATED_HEADER = "lgsp-validated"

Rules = Callable[[Mapping[str, Any], AgencyDirectory], list[Violation]]
RULES: Mapping[str, Rules] = {
    "dossier.status": dossier_violations,
    "document.sent": sent_violations,
    "document.status": status_violations,
    "lookup.request": lookup_request_violations,
    "lookup.reply": lookup_reply_violations,
    "payment.request": payment_request_violations,
    "payment.result": payment_result_violations,
    "report.quarterly": report_violations,
    "delivery.receipt": receipt_violations,
}


def violations(
    subject: str, record: Mapping[str, Any], directory: AgencyDirectory | None = None
) -> list[Violation]:
    """Every rule ``record`` (of ``subject``, fitting its schema) breaks; [] when none."""
    found = length_violations(subject, record)
    rules = RULES.get(subject)
    if rules is not None:
        found.extend(rules(record, directory or bundled_directory()))
    return found


def check(
    subject: str, record: Mapping[str, Any], directory: AgencyDirectory | None = None
) -> None:
    """Raise ``ValidationError`` with every violation, if any."""
    found = violations(subject, record, directory)
    if found:
        raise ValidationError(subject, found)


__all__ = [
    "MAX_JSON_DEPTH",
    "RULES",
    "VALIDATED_HEADER",
    "ValidationError",
    "Violation",
    "check",
    "code_list",
    "document_id",
    "json_depth_violation",
    "ruleset_id",
    "violations",
]
