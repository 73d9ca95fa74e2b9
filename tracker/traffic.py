"""Synthetic but realistic traffic of one province for one quarter: dossiers of its one-stop
shops (status sequences, channels, working-day deadlines, some late, refused, withdrawn or still
open) and official documents sent to many recipients with their status feedback. Deterministic
for a seed. The demo, the tests and the benchmark replay it; nothing here is a fixture of a
test's expected figures (those are recomputed from the events themselves).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bus.kafka import OutgoingRecord
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.ids.directory import bundled_directory
from schemas.ids.provinces import provinces
from schemas.topics import event_topic
from tracker.errors import TrackerConfigError
from tracker.periods import parse_period
from tracker.topics import DOCUMENT_SENT, DOCUMENT_STATUS, DOSSIER_STATUS
from tracker.traffic_cast import (
    FEEDBACK_NOTES,
    PROCEDURES,
    citizen,
    handling_step,
    promulgation_place,
)
from tracker.workdays import VIETNAM, WorkingCalendar, load_calendar, local_date, millis_of


@dataclass(frozen=True, slots=True)
class TrafficSpec:
    province: str = "H24"  # level-1 code of the province (000.00.00.<province>)
    quarter: str = "2026Q3"
    dossiers: int = 20_000
    documents: int = 2_000
    seed: int = 8
    v1_share: float = 0.3  # agencies whose systems still write dossier.status v1


@dataclass(frozen=True, slots=True)
class TrafficEvent:
    event_type: str
    key: str
    source: str  # agency code of the sender (ce_source)
    record: dict[str, Any]  # Avro record (timestamps as UTC milliseconds)
    at: int  # when it happens, UTC milliseconds
    schema_version: int


def generate_quarter(
    spec: TrafficSpec, calendar: WorkingCalendar | None = None
) -> list[TrafficEvent]:
    """The quarter's events in time order (a dossier's events in the order they were made)."""
    calendar = calendar or load_calendar()
    rng = random.Random(spec.seed)
    province = f"000.00.00.{spec.province}"
    directory = bundled_directory()
    units = directory.descendants(province)
    if not units:
        raise TrackerConfigError(
            f"the agency directory has no units under {province} to generate traffic for "
            "(the bundled directory has units under H24, H15 and H29)"
        )
    v1_units = {str(a.code) for a in units if rng.random() < spec.v1_share}
    birth_province = next((p.code for p in provinces().values() if p.agency_code == province), "01")
    period = parse_period(spec.quarter)
    days = [
        d
        for d in _dates(local_date(period.start_ms), local_date(period.end_ms - 1))
        if calendar.is_working_day(d)
    ]
    events: list[TrafficEvent] = []
    sequence: dict[tuple[str, str], int] = {}
    for _ in range(spec.dossiers):
        number, name, working_days, level, tier = rng.choice(PROCEDURES)
        handlers = [a for a in units if a.tier == tier] or units
        agency = rng.choice(handlers)
        day = rng.choice(days)
        stamp = day.strftime("%y%m%d")
        seq = sequence[(str(agency.code), stamp)] = sequence.get((str(agency.code), stamp), 0) + 1
        code = f"{spec.province}.{str(agency.code)[4:6]}{str(agency.code)[7:9]}-{stamp}-{seq:04d}"
        received = _at(day, rng.uniform(7.5, 16.5))
        due = _at(calendar.add_working_days(day, working_days), 17.0)
        online_share = {"full_online": 0.7, "partly_online": 0.35, "offline": 0.0}[level]
        channel = 2 if rng.random() < online_share else (3 if rng.random() < 0.03 else 1)
        version = 1 if str(agency.code) in v1_units else 2
        base: dict[str, Any] = {
            "dossierCode": code,
            "procedureCode": f"{number}.{province}",
            "procedureName": name,
            "fieldCode": None,
            "receivingAgency": {"code": str(agency.code), "name": agency.name},
            "owner": citizen(rng, birth_province),
            "summary": name,
            "channel": channel,
            "serviceLevel": level,
            "receivedAt": received,
            "dueAt": due,
            "finishedAt": None,
            "returnedAt": None,
            "fees": [],
            "paidOnline": channel == 2 and rng.random() < 0.4,
        }
        if version == 2:
            base |= {"electronicResult": channel == 2, "digitised": rng.random() < 0.6}
        for status, at, extra in _lifecycle(rng, calendar, received, due, channel, working_days):
            step = handling_step(rng)
            record = base | extra | {"statusCode": status, "changedAt": at, "step": step}
            base = base | extra
            events.append(TrafficEvent(DOSSIER_STATUS, code, str(agency.code), record, at, version))
    events += _documents(spec, rng, units, days, calendar)
    events.sort(key=lambda e: e.at)
    return events


def _lifecycle(
    rng: random.Random,
    calendar: WorkingCalendar,
    received: int,
    due: int,
    channel: int,
    working_days: int,
) -> list[tuple[int, int, dict[str, Any]]]:
    """(status, time, fields set) of one dossier: registered (online), received, processing,
    maybe a supplement request, then finished and returned, refused, withdrawn, or still open."""
    minute = 60_000
    steps: list[tuple[int, int, dict[str, Any]]] = []
    now = received
    if channel == 2:
        steps.append((1, now, {}))
        now += rng.randint(5, 240) * minute
    steps.append((2, now, {}))
    fate = rng.random()
    if fate < 0.03:
        return [*steps, (3, now + rng.randint(10, 600) * minute, {})]
    now += rng.randint(10, 180) * minute
    steps.append((4, now, {}))
    if rng.random() < 0.12:
        now += rng.randint(1, 2) * 24 * 60 * minute
        steps.append((5, now, {}))
        now += rng.randint(1, 3) * 24 * 60 * minute
        steps.append((4, now, {}))
    if fate < 0.05:
        now += rng.randint(60, 2000) * minute
        return [*steps, (7, now, {}), (8, now + rng.randint(30, 600) * minute, {})]
    if fate < 0.10:
        return steps  # still being processed at the end of the replay
    # most finish before the due time; some one to five working days late
    if rng.random() < 0.88:
        finished = received + int((due - received) * rng.uniform(0.2, 0.98))
    else:
        late_day = calendar.add_working_days(local_date(due), rng.randint(1, 5))
        finished = _at(late_day, rng.uniform(8, 16.5))
    finished = max(finished, now + minute)
    steps.append((9, finished, {"finishedAt": finished}))
    returned = finished + rng.randint(10, 24 * 60) * minute
    steps.append((10, returned, {"finishedAt": finished, "returnedAt": returned}))
    return steps


def _documents(
    spec: TrafficSpec,
    rng: random.Random,
    units: Sequence[Any],
    days: Sequence[Any],
    calendar: WorkingCalendar,
) -> list[TrafficEvent]:
    events = []
    codes = {0: "Công văn", 1: "Quyết định", 2: "Thông báo"}
    for number in range(1, spec.documents + 1):
        sender = rng.choice(units)
        others = [u for u in units if u.code != sender.code]
        if not others:
            break
        recipients = rng.sample(others, min(len(others), rng.randint(1, 4)))
        day = rng.choice(days)
        sent = _at(day, rng.uniform(7.5, 16.5))
        due_date = calendar.add_working_days(day, rng.randint(3, 10))
        kind = rng.randrange(3)
        document_id = f"{sender.code},{day:%Y/%m/%d},{number}/{spec.province}-VP"
        record = {
            "documentId": document_id,
            "businessDocType": 0,
            "businessDocReason": None,
            "sender": {"code": str(sender.code), "name": sender.name},
            "recipients": [{"code": str(r.code), "name": r.name} for r in recipients],
            "codeNumber": str(number),
            "codeNotation": f"{spec.province}-VP",
            "documentType": kind + 1,
            "documentTypeName": codes[kind],
            "subject": f"Về việc triển khai nhiệm vụ số {number}",
            "content": None,
            "promulgationPlace": promulgation_place(f"000.00.00.{spec.province}"),
            "promulgationDate": day,
            "signer": {"competence": "KT. CHỦ TỊCH", "position": "Phó Chủ tịch", "fullName": "X"},
            "priority": 0,
            "dueDate": due_date,
            "steeringType": None,
            "toPlaces": [],
            "attachments": [],
            "responseFor": [],
            "sentAt": sent,
        }
        events.append(TrafficEvent(DOCUMENT_SENT, document_id, str(sender.code), record, sent, 1))
        for recipient in recipients:
            at = sent
            path = ["01", "03", "04", "05", "06"] if rng.random() > 0.05 else ["01", "02"]
            for status in path[: rng.randint(1, len(path))] if rng.random() < 0.2 else path:
                at += rng.randint(10, 3 * 24 * 60) * 60_000
                feedback = {
                    "documentId": document_id,
                    "documentSender": str(sender.code),
                    "from": {"code": str(recipient.code), "name": recipient.name},
                    "statusCode": status,
                    "description": FEEDBACK_NOTES.get(status),
                    "staff": None,
                    "statusAt": at,
                }
                events.append(
                    TrafficEvent(DOCUMENT_STATUS, document_id, str(recipient.code), feedback, at, 1)
                )
    return events


def outgoing_records(events: Iterable[TrafficEvent], node: str) -> list[OutgoingRecord]:
    """The events as the connectors publish them on ``node``'s event topics."""
    catalog = bundled_catalog()
    codec = AvroCodec(catalog)
    out = []
    schemas: dict[tuple[str, int], Any] = {}
    for event in events:
        wanted = (event.event_type, event.schema_version)
        schema = schemas.get(wanted)
        if schema is None:
            subject = event.event_type[len("vn.gov.") : -len(".v1")]
            schema = schemas[wanted] = catalog.get(subject, event.schema_version)
        envelope = Envelope.new(
            source=event.source,
            type=event.event_type,
            dataschema=schema.dataschema,
            subject=event.key,
        )
        record = event.record
        if event.event_type == DOSSIER_STATUS and event.schema_version == 1:
            record = {k: v for k, v in record.items() if k not in ("electronicResult", "digitised")}
        out.append(
            OutgoingRecord(
                topic=str(event_topic(node, event.event_type)),
                key=event.key.encode(),
                value=codec.encode(schema, record),
                headers=envelope.to_headers(),
            )
        )
    return out


def _dates(first: Any, last: Any) -> Iterable[Any]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _at(day: Any, hour: float) -> int:
    return millis_of(datetime.combine(day, time(), VIETNAM) + timedelta(hours=hour))
