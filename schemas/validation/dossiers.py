"""Rules of ``dossier.status`` records (hồ sơ TTHC synchronised to the National Public Service
Portal, DVCQG): code lists, the owner's identity, the handling agency, and dates in order with
the statuses that set them. Pure; sources in docs/validation.md."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schemas.ids.directory import AgencyDirectory
from schemas.validation import codes as v
from schemas.validation.identities import agency_violation, subject_id_violation
from schemas.validation.tables import code_list
from schemas.validation.violation import Violation


def dossier_violations(record: Mapping[str, Any], directory: AgencyDirectory) -> list[Violation]:
    statuses = code_list("dossier-status")
    found: list[Violation | None] = []
    status = record["statusCode"]
    if status not in statuses:
        found.append(
            Violation(
                v.DOSSIER_STATUS,
                "$.statusCode",
                f"{status} is not a dossier status (TrangThaiHoSo {statuses.describe()})",
            )
        )
    previous = record.get("previousStatusCode")
    if previous is not None and previous not in statuses:
        found.append(
            Violation(
                v.DOSSIER_STATUS,
                "$.previousStatusCode",
                f"{previous} is not a dossier status ({statuses.describe()})",
            )
        )
    channels = code_list("channel")
    if record["channel"] not in channels:
        found.append(
            Violation(
                v.CHANNEL,
                "$.channel",
                f"{record['channel']} is not a channel (KenhThucHien {channels.describe()})",
            )
        )
    levels = code_list("service-level")
    if record["serviceLevel"] not in levels:
        found.append(
            Violation(
                v.SERVICE_LEVEL,
                "$.serviceLevel",
                f"{record['serviceLevel']!r} is not one of {levels.describe()}",
            )
        )
    found.extend(_owner(record["owner"], record["receivedAt"].year))
    found.append(
        agency_violation(record["receivingAgency"]["code"], "$.receivingAgency.code", directory)
    )
    found.extend(_dates(record, status))
    for index, fee in enumerate(record.get("fees") or ()):
        if fee["amountVnd"] < 0:
            found.append(Violation(v.AMOUNT, f"$.fees[{index}].amountVnd", "a fee is not negative"))
    return [problem for problem in found if problem is not None]


def _owner(owner: Mapping[str, Any], year: int) -> list[Violation | None]:
    kinds = code_list("owner-kind")
    if owner["kind"] not in kinds:
        return [
            Violation(
                v.OWNER_KIND,
                "$.owner.kind",
                f"{owner['kind']} is not an owner kind (LoaiDoiTuong {kinds.describe()})",
            )
        ]
    return [subject_id_violation(owner["kind"], owner.get("idNumber"), "$.owner.idNumber", year)]


def _dates(record: Mapping[str, Any], status: int) -> list[Violation | None]:
    received: datetime = record["receivedAt"]
    due: datetime | None = record.get("dueAt")
    finished: datetime | None = record.get("finishedAt")
    returned: datetime | None = record.get("returnedAt")
    found: list[Violation | None] = []
    for path, instant, after, label in (
        ("$.dueAt", due, received, "receivedAt"),
        ("$.finishedAt", finished, received, "receivedAt"),
        (
            "$.returnedAt",
            returned,
            finished or received,
            "finishedAt" if finished else "receivedAt",
        ),
    ):
        if instant is not None and instant < after:
            found.append(Violation(v.DATE_ORDER, path, f"is before {label}"))
    for path, instant, allowed in (
        ("$.finishedAt", finished, code_list("dossier-finished-at")),
        ("$.returnedAt", returned, code_list("dossier-returned-at")),
    ):
        if instant is not None and status not in allowed:
            found.append(
                Violation(
                    v.DATE_STATUS,
                    path,
                    f"is set while the status is {status}: only statuses {allowed.describe()} "
                    "have it",
                )
            )
    return found
