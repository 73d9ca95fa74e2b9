"""The quarterly online public-service report (báo cáo dịch vụ công trực tuyến, inputs of the
QĐ 766/QĐ-TTg indicators): one ``vn.gov.report.quarterly.v1`` record per agency, and its CSV.

Definitions, per agency and quarter (local dates, Asia/Ho_Chi_Minh):
- received: dossiers received (NgayTiepNhan) in the quarter, split by channel; of them,
  synchronised (every dossier the bus carries reached the portal) and paid online;
- finished: dossiers whose processing finished (status 9 or 10, NgayKetThucXuLy, else NgayTra)
  in the quarter, whenever received; on time if finished no later than due (NgayHenTra);
- procedures full / partly online: distinct procedures of that service level with a dossier
  received in the quarter;
- average processing days: working days from receipt to finish of the finished dossiers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tracker.dossiers import (
    CHANNELS,
    DossierState,
    Timeliness,
    processing_working_days,
    timeliness,
)
from tracker.periods import Period
from tracker.workdays import WorkingCalendar


@dataclass(slots=True)
class _ProcedureTally:
    received: int = 0
    online: int = 0
    on_time: int = 0
    late: int = 0


@dataclass(slots=True)
class _AgencyTally:
    name: str
    received: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS.values(), 0))
    by_level: dict[str, int] = field(default_factory=dict)
    paid_online: int = 0
    finished: int = 0
    on_time: int = 0
    late: int = 0
    working_days: int = 0
    full_online: set[str] = field(default_factory=set)
    partly_online: set[str] = field(default_factory=set)
    procedures: dict[str, _ProcedureTally] = field(default_factory=dict)


def quarter_report(
    dossiers: Iterable[DossierState],
    quarter: Period,
    calendar: WorkingCalendar,
    generated_at_ms: int,
) -> list[dict[str, Any]]:
    """One ``OnlineServiceReport`` record per agency with dossiers in the quarter."""
    tallies: dict[str, _AgencyTally] = {}
    for dossier in dossiers:
        received = quarter.contains(dossier.received_at)
        finished = dossier.finished and quarter.contains(dossier.finish_time)
        if not (received or finished):
            continue
        tally = tallies.get(dossier.agency_code)
        if tally is None:
            tally = tallies[dossier.agency_code] = _AgencyTally(dossier.agency_name)
        procedure = tally.procedures.get(dossier.procedure_code)
        if procedure is None:
            procedure = tally.procedures[dossier.procedure_code] = _ProcedureTally()
        if received:
            channel = CHANNELS[dossier.channel]
            tally.received += 1
            tally.by_channel[channel] += 1
            tally.by_level[dossier.service_level] = tally.by_level.get(dossier.service_level, 0) + 1
            tally.paid_online += dossier.paid_online
            procedure.received += 1
            procedure.online += channel == "online"
            if dossier.service_level == "full_online":
                tally.full_online.add(dossier.procedure_code)
            elif dossier.service_level == "partly_online":
                tally.partly_online.add(dossier.procedure_code)
        if finished:
            on_time = timeliness(dossier, generated_at_ms) is Timeliness.ON_TIME
            tally.finished += 1
            tally.on_time += on_time
            tally.late += not on_time
            procedure.on_time += on_time
            procedure.late += not on_time
            tally.working_days += processing_working_days(dossier, calendar) or 0
    return [
        _record(code, tally, quarter, generated_at_ms) for code, tally in sorted(tallies.items())
    ]


def _record(
    code: str, tally: _AgencyTally, quarter: Period, generated_at_ms: int
) -> dict[str, Any]:
    return {
        "reportId": f"{code}:{quarter.year}Q{quarter.quarter}",
        "agency": {"code": code, "name": tally.name},
        "year": quarter.year,
        "quarter": quarter.quarter,
        "dossiersReceived": tally.received,
        "dossiersOnline": tally.by_channel["online"],
        "dossiersInPerson": tally.by_channel["in_person"],
        "dossiersByPost": tally.by_channel["post"],
        "dossiersFinished": tally.finished,
        "dossiersOnTime": tally.on_time,
        "dossiersLate": tally.late,
        "dossiersSynchronised": tally.received,
        "dossiersPaidOnline": tally.paid_online,
        "proceduresFullOnline": len(tally.full_online),
        "proceduresPartlyOnline": len(tally.partly_online),
        "averageProcessingDays": round(tally.working_days / tally.finished, 2)
        if tally.finished
        else 0.0,
        "byProcedure": [
            {
                "procedureCode": procedure_code,
                "received": p.received,
                "online": p.online,
                "onTime": p.on_time,
                "late": p.late,
            }
            for procedure_code, p in sorted(tally.procedures.items())
        ],
        "generatedAt": generated_at_ms,
        # not in the Avro record (the schema has no field for it): the CSV's service-level columns
        "_byServiceLevel": dict(sorted(tally.by_level.items())),
    }


CSV_COLUMNS = (
    "report_id",
    "agency_code",
    "agency_name",
    "year",
    "quarter",
    "received",
    "online",
    "in_person",
    "by_post",
    "online_share",
    "finished",
    "on_time",
    "late",
    "on_time_share",
    "synchronised",
    "paid_online",
    "dossiers_full_online",
    "dossiers_partly_online",
    "dossiers_offline",
    "procedures_full_online",
    "procedures_partly_online",
    "average_processing_working_days",
)


def report_csv(records: Iterable[dict[str, Any]]) -> str:
    """The report as CSV, one row per agency, shares as fractions with 4 decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        levels = r.get("_byServiceLevel", {})
        writer.writerow(
            [
                r["reportId"],
                r["agency"]["code"],
                r["agency"]["name"],
                r["year"],
                r["quarter"],
                r["dossiersReceived"],
                r["dossiersOnline"],
                r["dossiersInPerson"],
                r["dossiersByPost"],
                _share(r["dossiersOnline"], r["dossiersReceived"]),
                r["dossiersFinished"],
                r["dossiersOnTime"],
                r["dossiersLate"],
                _share(r["dossiersOnTime"], r["dossiersFinished"]),
                r["dossiersSynchronised"],
                r["dossiersPaidOnline"],
                levels.get("full_online", 0),
                levels.get("partly_online", 0),
                levels.get("offline", 0),
                r["proceduresFullOnline"],
                r["proceduresPartlyOnline"],
                r["averageProcessingDays"],
            ]
        )
    return out.getvalue()


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else ""


def avro_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record without its CSV-only keys, ready for the codec."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
