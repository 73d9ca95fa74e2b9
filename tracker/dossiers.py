"""A dossier's tracked state (hồ sơ thủ tục hành chính) and the pure rules that update it.

The state keeps what the National Public Service Portal shows a citizen (procedure, agency,
status, dates, history) and the figures need (channel, service level, paid online), and no
personal data: owner, id numbers, phones and addresses are never read into it, so they never
reach the changelog, the API or the logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from tracker.errors import TrackerRecordError
from tracker.workdays import WorkingCalendar, local_date
from tracker.workdays import optional_millis as _ms

STATUS_LABELS: Mapping[int, str] = {
    1: "newly registered",
    2: "received",
    3: "refused",
    4: "processing",
    5: "supplement requested",
    6: "financial obligation requested",
    7: "withdrawal requested",
    8: "processing stopped",
    9: "processing finished",
    10: "result returned",
}
FINISHED = frozenset({9, 10})
CLOSED_UNFINISHED = frozenset({3, 8})  # refused or stopped: no longer awaited, never "finished"
CHANNELS: Mapping[int, str] = {1: "in_person", 2: "online", 3: "post"}
SERVICE_LEVELS = ("full_online", "partly_online", "offline")


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    CLOSED = "closed"  # refused or stopped


@dataclass(frozen=True, slots=True)
class StatusStep:
    status: int
    at: int  # UTC milliseconds


@dataclass(frozen=True, slots=True)
class DossierState:
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    channel: int
    service_level: str
    status: int
    received_at: int
    due_at: int | None
    finished_at: int | None
    returned_at: int | None
    changed_at: int
    paid_online: bool
    electronic_result: bool
    digitised: bool
    history: tuple[StatusStep, ...]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED and self.finish_time is not None

    @property
    def finish_time(self) -> int | None:
        return self.finished_at if self.finished_at is not None else self.returned_at

    @property
    def open(self) -> bool:
        """Still awaited by the citizen: neither finished nor refused nor stopped."""
        return self.status not in FINISHED and self.status not in CLOSED_UNFINISHED


def check_dossier_record(record: Mapping[str, Any]) -> None:
    """Raise ``TrackerRecordError`` for a decoded record whose codes the tracker cannot use."""
    problems = []
    if record["statusCode"] not in STATUS_LABELS:
        problems.append(f"statusCode {record['statusCode']} is not 1..10")
    if record["channel"] not in CHANNELS:
        problems.append(f"channel {record['channel']} is not 1, 2 or 3")
    if record["serviceLevel"] not in SERVICE_LEVELS:
        problems.append(f"serviceLevel {record['serviceLevel']!r} is not one of {SERVICE_LEVELS}")
    if not record["dossierCode"]:
        problems.append("dossierCode is empty")
    if problems:
        raise TrackerRecordError(
            f"dossier {record['dossierCode']!r}: " + "; ".join(problems),
            code="LGSP-TRACKER-RECORD",
        )


def apply_dossier_change(current: DossierState | None, record: Mapping[str, Any]) -> DossierState:
    """The state after one ``vn.gov.dossier.status`` record (v1 or v2, read as v2).

    A change already in the history (same status at the same instant: a replay) changes
    nothing. A change older than the current one is added to the history but does not move
    the current status back: the latest change wins, whatever order the events came in.
    """
    changed_at = _ms(record["changedAt"])
    assert changed_at is not None
    step = StatusStep(record["statusCode"], changed_at)
    if current is not None and step in current.history:
        return current
    history = tuple(sorted((*current.history, step) if current else (step,), key=_step_order))
    if current is not None and changed_at < current.changed_at:
        return replace(current, history=history)
    return DossierState(
        code=record["dossierCode"],
        procedure_code=record["procedureCode"],
        procedure_name=record["procedureName"],
        agency_code=record["receivingAgency"]["code"],
        agency_name=record["receivingAgency"]["name"],
        channel=record["channel"],
        service_level=record["serviceLevel"],
        status=record["statusCode"],
        received_at=_ms(record["receivedAt"]) or changed_at,
        due_at=_ms(record["dueAt"]) or (current.due_at if current else None),
        finished_at=_ms(record["finishedAt"]) or (current.finished_at if current else None),
        returned_at=_ms(record["returnedAt"]) or (current.returned_at if current else None),
        changed_at=changed_at,
        paid_online=bool(record.get("paidOnline")) or bool(current and current.paid_online),
        electronic_result=bool(record.get("electronicResult")),
        digitised=bool(record.get("digitised")),
        history=history,
    )


def _step_order(step: StatusStep) -> tuple[int, int]:
    return (step.at, step.status)


def timeliness(dossier: DossierState, as_of_ms: int) -> Timeliness:
    """On time = finished (status 9 or 10) no later than its due time (NgayHenTra); a dossier
    without a due time cannot be late. Open dossiers are overdue once past due at ``as_of``."""
    if dossier.finished:
        finish = dossier.finish_time
        assert finish is not None
        late = dossier.due_at is not None and finish > dossier.due_at
        return Timeliness.LATE if late else Timeliness.ON_TIME
    if not dossier.open:
        return Timeliness.CLOSED
    if dossier.due_at is not None and as_of_ms > dossier.due_at:
        return Timeliness.OVERDUE
    return Timeliness.IN_PROGRESS


def working_days_late(dossier: DossierState, calendar: WorkingCalendar, as_of_ms: int) -> int:
    """Working days past the due date (0 when on time or not due): finish date, or ``as_of``
    for an open dossier, against the due date, both as Vietnamese calendar dates."""
    if dossier.due_at is None:
        return 0
    end = dossier.finish_time if dossier.finished else as_of_ms
    if end is None or end <= dossier.due_at:
        return 0
    return max(0, calendar.working_days_between(local_date(dossier.due_at), local_date(end)))


def processing_working_days(dossier: DossierState, calendar: WorkingCalendar) -> int | None:
    """Working days from receipt to finish, for a finished dossier."""
    finish = dossier.finish_time
    if not dossier.finished or finish is None:
        return None
    return calendar.working_days_between(local_date(dossier.received_at), local_date(finish))
