"""Realistic traffic of a provincial node (Hà Nội): ministry documents, city documents to
wards, status feedback to ministries, one-stop-shop dossiers moving through their statuses,
citizen look-ups, and a few bad records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bus.kafka import OutgoingRecord
from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.ids.directory import AgencyDirectory
from schemas.topics import event_topic

MINISTRIES = ["000.00.00.G22", "000.00.00.G12", "000.00.00.G09"]
CITY_OFFICE = "000.00.01.H24"
POPULATION_DB = "000.00.00.G01"
DOSSIER_PATH = (1, 2, 4, 9, 10)  # newly registered, received, processing, finished, returned
PROCEDURES = [
    ("1.001612.000.00.00.H24", "Đăng ký khai sinh"),
    ("1.000894.000.00.00.H24", "Đăng ký kết hôn"),
    ("1.001193.000.00.00.H24", "Chứng thực bản sao từ bản chính"),
]


@dataclass
class Workload:
    """Makes the next records to publish; remembers each dossier's status order."""

    node: str
    directory: AgencyDirectory
    seed: int = 7
    bad_share: float = 0.015
    dossier_statuses: dict[str, list[int]] = field(default_factory=dict)
    bad_ids: set[str] = field(default_factory=set)
    published_ids: set[str] = field(default_factory=set)
    _open: list[tuple[str, int]] = field(default_factory=list)
    _serial: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._run = uuid.uuid4().hex[:4].upper()  # dossier codes of two runs never collide
        self._codec = AvroCodec()
        self._catalog = bundled_catalog()
        self._departments = [
            str(a.code) for a in self.directory.descendants("000.00.00.H24", tier="department")
        ]
        self._districts = [
            str(a.code) for a in self.directory.descendants("000.00.00.H24", tier="district")
        ]
        self._communes = [
            str(a.code) for a in self.directory.descendants("000.00.00.H24", tier="commune")
        ]

    def next_records(self, count: int) -> Iterator[tuple[str, OutgoingRecord]]:
        """``count`` records as (kind, record), in a realistic mix."""
        for _ in range(count):
            kind, record = self._next()
            self.published_ids.add(dict(record.headers)["ce_id"].decode())
            yield kind, record

    def _next(self) -> tuple[str, OutgoingRecord]:
        roll = self._random.random()
        if roll < self.bad_share:
            return "bad", self._bad()
        if roll < 0.15:
            return "document", self._ministry_document()
        if roll < 0.22:
            return "document", self._city_document()
        if roll < 0.30:
            return "status", self._status_feedback()
        if roll < 0.38:
            return "lookup", self._lookup()
        return "dossier", self._dossier_step()

    def _event(
        self,
        subject: str,
        source: str,
        key: str,
        changes: dict[str, Any],
        recipients: list[str] | None = None,
        version: int | None = None,
    ) -> OutgoingRecord:
        schema: SchemaVersion = self._catalog.get(subject, version)
        record = example_record(schema) | changes
        envelope = Envelope.new(
            source=source,
            type=schema.event_type,
            subject=key,
            dataschema=schema.dataschema,
            recipients=recipients or [],
        )
        return OutgoingRecord(
            str(event_topic(self.node, schema.event_type)),
            self._codec.encode(schema, record),
            key.encode(),
            envelope.to_headers(),
        )

    def _document_id(self, organ: str) -> str:
        self._serial += 1
        return f"{organ},{datetime.now(UTC):%Y/%m/%d},{self._serial}/DEMO"

    def _ministry_document(self) -> OutgoingRecord:
        sender = self._random.choice(MINISTRIES)
        recipients = self._random.sample(self._departments + self._districts, 2)
        document_id = self._document_id(sender)
        return self._event(
            "document.sent",
            sender,
            document_id,
            {
                "documentId": document_id,
                "sender": {"code": sender, "name": self.directory.get(sender).name},
            },
            recipients,
        )

    def _city_document(self) -> OutgoingRecord:
        district = self._random.choice(self._districts)
        document_id = self._document_id(CITY_OFFICE)
        return self._event(
            "document.sent", CITY_OFFICE, document_id, {"documentId": document_id}, [district]
        )

    def _status_feedback(self) -> OutgoingRecord:
        department = self._random.choice(self._departments)
        ministry = self._random.choice(MINISTRIES)
        return self._event(
            "document.status",
            department,
            self._document_id(ministry),
            {"statusCode": self._random.choice(["01", "03", "04", "05", "06"])},
            [ministry],
        )

    def _lookup(self) -> OutgoingRecord:
        commune = self._random.choice(self._communes)
        request_id = str(uuid.uuid4())
        return self._event(
            "lookup.request", commune, request_id, {"requestId": request_id}, [POPULATION_DB]
        )

    def _dossier_step(self) -> OutgoingRecord:
        if not self._open or (len(self._open) < 200 and self._random.random() < 0.3):
            self._serial += 1
            self._open.append(
                (f"H24.22-{datetime.now(UTC):%y%m%d}-{self._run}{self._serial:05d}", 0)
            )
        index = self._random.randrange(len(self._open))
        code, step = self._open[index]
        status = DOSSIER_PATH[step]
        if step + 1 < len(DOSSIER_PATH):
            self._open[index] = (code, step + 1)
        else:
            self._open.pop(index)
        self.dossier_statuses.setdefault(code, []).append(status)
        commune = self._communes[int(code[-5:]) % len(self._communes)]
        procedure, name = self._random.choice(PROCEDURES)
        now = datetime.now(UTC)
        return self._event(
            "dossier.status",
            commune,
            code,
            {
                "dossierCode": code,
                "statusCode": status,
                "procedureCode": procedure,
                "procedureName": name,
                "receivingAgency": {"code": commune, "name": self.directory.get(commune).name},
                "channel": self._random.choice([1, 2, 2, 2]),
                "changedAt": now,
                "dueAt": now + timedelta(days=3),
                "previousStatusCode": DOSSIER_PATH[step - 1] if step else None,
            },
            version=2,
        )

    def _bad(self) -> OutgoingRecord:
        if self._random.random() < 0.5:  # a province not allowed to send documents here
            record = self._event(
                "document.sent",
                "000.00.00.H15",
                self._document_id("000.00.00.H15"),
                {},
                [self._random.choice(self._departments)],
            )
        else:  # a connector bug: no ce_type header
            record = self._ministry_document()
            record = OutgoingRecord(
                record.topic,
                record.value,
                record.key,
                [(k, v) for k, v in record.headers if k != "ce_type"],
            )
        self.bad_ids.add(dict(record.headers)["ce_id"].decode())
        return record
