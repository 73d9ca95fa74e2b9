"""Rules of look-ups, payments, quarterly reports and delivery receipts. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from schemas.ids.agency import AgencyCode
from schemas.ids.directory import AgencyDirectory
from schemas.validation import codes as v
from schemas.validation.identities import (
    agency_violation,
    citizen_id_violation,
    tax_code_violation,
)
from schemas.validation.tables import code_list
from schemas.validation.violation import Violation

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LOOKUP_RECORD = {"CITIZEN": "citizen", "ENTERPRISE": "enterprise", "LAND_PARCEL": "landParcel"}


def lookup_request_violations(
    record: Mapping[str, Any], directory: AgencyDirectory
) -> list[Violation]:
    found: list[Violation | None] = []
    kind, subject = record["kind"], record["subjectId"]
    if kind == "CITIZEN":
        found.append(citizen_id_violation(subject, "$.subjectId", record["requestedAt"].year))
    elif kind == "ENTERPRISE":
        found.append(tax_code_violation(subject, "$.subjectId"))
    elif kind not in _LOOKUP_RECORD:
        found.append(Violation(v.LOOKUP, "$.kind", f"{kind} names no national database"))
    found.append(
        agency_violation(
            record["requester"]["agency"]["code"], "$.requester.agency.code", directory
        )
    )
    if record["deadlineAt"] < record["requestedAt"]:
        found.append(Violation(v.DATE_ORDER, "$.deadlineAt", "is before requestedAt"))
    return [problem for problem in found if problem is not None]


def lookup_reply_violations(
    record: Mapping[str, Any], directory: AgencyDirectory
) -> list[Violation]:
    found: list[Violation | None] = [
        agency_violation(record["responder"]["code"], "$.responder.code", directory)
    ]
    present = [field for field in _LOOKUP_RECORD.values() if record.get(field) is not None]
    if record["outcome"] == "FOUND" and len(present) != 1:
        found.append(Violation(v.LOOKUP, "$.outcome", "FOUND carries exactly one record"))
    if record["outcome"] != "FOUND" and present:
        found.append(
            Violation(v.LOOKUP, f"$.{present[0]}", f"{record['outcome']} carries no record")
        )
    citizen = record.get("citizen")
    if citizen is not None:
        year = record["respondedAt"].year
        found.append(citizen_id_violation(citizen["idNumber"], "$.citizen.idNumber", year))
    enterprise = record.get("enterprise")
    if enterprise is not None and enterprise.get("taxCode") is not None:
        found.append(tax_code_violation(enterprise["taxCode"], "$.enterprise.taxCode"))
    return [problem for problem in found if problem is not None]


def payment_request_violations(
    record: Mapping[str, Any], directory: AgencyDirectory
) -> list[Violation]:
    found: list[Violation | None] = [
        agency_violation(record["agency"]["code"], "$.agency.code", directory)
    ]
    total = 0
    for index, fee in enumerate(record["fees"]):
        if fee["amountVnd"] < 0:
            found.append(Violation(v.AMOUNT, f"$.fees[{index}].amountVnd", "is negative"))
        total += fee["amountVnd"]
    if record["totalAmountVnd"] != total:
        found.append(
            Violation(
                v.AMOUNT,
                "$.totalAmountVnd",
                f"{record['totalAmountVnd']} is not the sum of the fees ({total})",
            )
        )
    if record["currency"] not in code_list("currency"):
        found.append(
            Violation(v.CURRENCY, "$.currency", f"{record['currency']!r} is not MaTienTe VND")
        )
    return [problem for problem in found if problem is not None]


def payment_result_violations(
    record: Mapping[str, Any], directory: AgencyDirectory
) -> list[Violation]:
    if record["amountVnd"] < 0:
        return [Violation(v.AMOUNT, "$.amountVnd", "is negative")]
    return []


def report_violations(record: Mapping[str, Any], directory: AgencyDirectory) -> list[Violation]:
    found: list[Violation | None] = [
        agency_violation(record["agency"]["code"], "$.agency.code", directory)
    ]
    if not 1 <= record["quarter"] <= 4:
        found.append(Violation(v.QUARTER, "$.quarter", f"{record['quarter']} is not 1 to 4"))
    for name, value in record.items():
        if name.startswith("dossiers") and value < 0:
            found.append(Violation(v.AMOUNT, f"$.{name}", "a count is not negative"))
    return [problem for problem in found if problem is not None]


def receipt_violations(record: Mapping[str, Any], directory: AgencyDirectory) -> list[Violation]:
    found = []
    for field in ("senderAgency", "recipientAgency"):
        if not AgencyCode.is_valid(record[field]):
            found.append(Violation(v.AGENCY, f"$.{field}", f"{record[field]!r} is no agency code"))
    if not _SHA256.match(record["valueSha256"]):
        found.append(Violation(v.DIGEST, "$.valueSha256", "is not 64 lower-case hex digits"))
    return found
