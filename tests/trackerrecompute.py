"""An independent recomputation of the tracker's figures from raw dossier events, written
without the tracker's code (its own holiday parsing, its own rules, straight from DOMAIN.md),
so that the tracker's results can be checked against it."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ICT = timezone(timedelta(hours=7))
HOLIDAYS = Path(__file__).resolve().parent.parent / "tracker" / "data" / "holidays.csv"


def _ms(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    assert isinstance(value, datetime)
    return int(value.timestamp() * 1000)


def _day(millis: int) -> date:
    return datetime.fromtimestamp(millis / 1000, UTC).astimezone(ICT).date()


def _calendar() -> tuple[set[date], set[date]]:
    rows = [r for r in HOLIDAYS.read_text(encoding="utf-8").splitlines() if not r.startswith("#")]
    off: set[date] = set()
    worked: set[date] = set()
    for row in csv.DictReader(rows):
        (worked if row["kind"] == "makeup" else off).add(date.fromisoformat(row["date"]))
    return off, worked


def working_days(start: int, end: int) -> int:
    off, worked = _calendar()
    first, last = _day(start), _day(end)
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += day in worked or (day.weekday() < 5 and day not in off)
        day += timedelta(days=1)
    return count


def final_dossiers(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each dossier's latest event (by change time), with finish/return times carried over."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        code = record["dossierCode"]
        held = latest.get(code)
        if held is None or _ms(record["changedAt"]) >= _ms(held["changedAt"]):  # type: ignore[operator]
            merged = dict(record)
            for field in ("finishedAt", "returnedAt", "dueAt"):
                if merged.get(field) is None and held is not None:
                    merged[field] = held.get(field)
            latest[code] = merged
    return latest


def outcome(d: Mapping[str, Any], as_of: int) -> str:
    finish = _ms(d.get("finishedAt")) or _ms(d.get("returnedAt"))
    due = _ms(d.get("dueAt"))
    if d["statusCode"] in (9, 10) and finish is not None:
        return "late" if due is not None and finish > due else "on_time"
    if d["statusCode"] in (3, 8):
        return "closed"
    return "overdue" if due is not None and as_of > due else "in_progress"


def per_agency(dossiers: Mapping[str, Mapping[str, Any]], as_of: int) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for d in dossiers.values():
        c = counts[d["receivingAgency"]["code"]]
        c["received"] += 1
        c[{1: "in_person", 2: "online", 3: "post"}[d["channel"]]] += 1
        c[outcome(d, as_of)] += 1
    return dict(counts)


FIELDS = (
    "dossiersReceived",
    "dossiersOnline",
    "dossiersInPerson",
    "dossiersByPost",
    "dossiersPaidOnline",
    "dossiersFinished",
    "dossiersOnTime",
    "dossiersLate",
)


def quarter_figures(
    dossiers: Mapping[str, Mapping[str, Any]], start: int, end: int
) -> dict[str, dict[str, Any]]:
    """Per agency: the report's fields recomputed from the final dossiers."""

    def fresh() -> dict[str, Any]:
        tally: dict[str, Any] = dict.fromkeys(FIELDS, 0)
        return tally | {"full": set(), "partly": set(), "days": 0}

    out: dict[str, dict[str, Any]] = defaultdict(fresh)
    for d in dossiers.values():
        agency = out[d["receivingAgency"]["code"]]
        received = _ms(d["receivedAt"])
        assert received is not None
        if start <= received < end:
            agency["dossiersReceived"] += 1
            agency[
                {1: "dossiersInPerson", 2: "dossiersOnline", 3: "dossiersByPost"}[d["channel"]]
            ] += 1
            agency["dossiersPaidOnline"] += bool(d.get("paidOnline"))
            if d["serviceLevel"] == "full_online":
                agency["full"].add(d["procedureCode"])
            elif d["serviceLevel"] == "partly_online":
                agency["partly"].add(d["procedureCode"])
        result = outcome(d, end)
        finish = _ms(d.get("finishedAt")) or _ms(d.get("returnedAt"))
        if result in ("on_time", "late") and finish is not None and start <= finish < end:
            agency["dossiersFinished"] += 1
            agency["dossiersOnTime" if result == "on_time" else "dossiersLate"] += 1
            agency["days"] += working_days(received, finish)
    return {
        code: {
            **{name: a[name] for name in FIELDS},
            "proceduresFullOnline": len(a["full"]),
            "proceduresPartlyOnline": len(a["partly"]),
            "averageProcessingDays": round(a["days"] / a["dossiersFinished"], 2)
            if a["dossiersFinished"]
            else 0.0,
        }
        for code, a in out.items()
    }


def document_states(
    sent: Iterable[Mapping[str, Any]], statuses: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, str]]:
    """Document id -> recipient code -> its latest edXML status code ('' if none yet)."""
    docs: dict[str, dict[str, str]] = {}
    times: dict[tuple[str, str], int] = {}
    for record in sent:
        docs.setdefault(record["documentId"], {}).update(
            {r["code"]: "" for r in record["recipients"]}
        )
    for record in statuses:
        key = (record["documentId"], record["from"]["code"])
        at = _ms(record["statusAt"])
        assert at is not None
        if at >= times.get(key, -1):
            times[key] = at
            docs.setdefault(record["documentId"], {})[record["from"]["code"]] = record["statusCode"]
    return docs
