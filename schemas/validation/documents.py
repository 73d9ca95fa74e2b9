"""Rules of official documents (QCVN 102:2016/BTTTT, edXML): ``document.sent`` (sender and
recipients from the directory, the DocumentId made of sender, date and number, dates in order,
business type) and ``document.status`` (edXML status codes, a reason for a refusal). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta, timezone
from typing import Any

from schemas.ids.directory import AgencyDirectory
from schemas.validation import codes as v
from schemas.validation.identities import agency_violation
from schemas.validation.tables import code_list
from schemas.validation.violation import Violation

VIETNAM = timezone(timedelta(hours=7))


def document_id(sender: str, promulgated: date, number: str, notation: str) -> str:
    """``<OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>`` (QCVN 102:2016 DocumentId)."""
    return f"{sender},{promulgated:%Y/%m/%d},{number}/{notation}"


def sent_violations(record: Mapping[str, Any], directory: AgencyDirectory) -> list[Violation]:
    found: list[Violation | None] = []
    sender = record["sender"]["code"]
    found.append(agency_violation(sender, "$.sender.code", directory))
    recipients = [r["code"] for r in record["recipients"]]
    if not recipients:
        found.append(Violation(v.RECIPIENTS, "$.recipients", "at least one recipient (To)"))
    seen: set[str] = set()
    for index, code in enumerate(recipients):
        found.append(agency_violation(code, f"$.recipients[{index}].code", directory))
        if code in seen:
            found.append(
                Violation(v.RECIPIENTS, f"$.recipients[{index}].code", f"{code} is listed twice")
            )
        seen.add(code)
    kinds = code_list("business-doc-type")
    if record["businessDocType"] not in kinds:
        found.append(
            Violation(
                v.BUSINESS_DOC_TYPE,
                "$.businessDocType",
                f"{record['businessDocType']} is not a BusinessDocType ({kinds.describe()})",
            )
        )
    promulgated: date = record["promulgationDate"]
    expected = document_id(sender, promulgated, record["codeNumber"], record["codeNotation"])
    if record["documentId"] != expected:
        found.append(
            Violation(
                v.DOCUMENT_ID,
                "$.documentId",
                f"is not <sender>,<promulgationDate>,<codeNumber>/<codeNotation> = {expected!r}",
            )
        )
    if record["sentAt"].astimezone(VIETNAM).date() < promulgated:
        found.append(Violation(v.DATE_ORDER, "$.sentAt", "is before the promulgationDate"))
    due = record.get("dueDate")
    if due is not None and due < promulgated:
        found.append(Violation(v.DATE_ORDER, "$.dueDate", "is before the promulgationDate"))
    return [problem for problem in found if problem is not None]


def status_violations(record: Mapping[str, Any], directory: AgencyDirectory) -> list[Violation]:
    found: list[Violation | None] = []
    codes = code_list("document-status")
    status = record["statusCode"]
    if status not in codes:
        found.append(
            Violation(
                v.DOCUMENT_STATUS,
                "$.statusCode",
                f"{status!r} is not an edXML status code ({codes.describe()})",
            )
        )
    elif status in code_list("document-status-reason") and not (record.get("description") or ""):
        found.append(Violation(v.STATUS_REASON, "$.description", f"status {status} must say why"))
    sender = record["documentSender"]
    found.append(agency_violation(sender, "$.documentSender", directory))
    found.append(agency_violation(record["from"]["code"], "$.from.code", directory))
    if record["documentId"].partition(",")[0] != sender:
        found.append(
            Violation(
                v.DOCUMENT_ID,
                "$.documentId",
                f"does not start with its documentSender {sender}",
            )
        )
    return [problem for problem in found if problem is not None]
