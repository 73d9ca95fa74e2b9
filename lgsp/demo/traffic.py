"""Realistic traffic across three nodes: ministries' documents to both provinces (directives
fanned out to every commune), status feedback back to the ministries, one-stop-shop dossiers
moving through their statuses towards the national portal, citizen look-ups against the
national population database, and a few bad records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bus.kafka import OutgoingRecord
from lgsp.demo.nodes import DANANG, HANOI, MINISTRIES, NGSP, POPULATION_DB, PORTAL, PROVINCES
from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.ids.directory import AgencyDirectory
from schemas.jsonform import to_json
from schemas.topics import event_topic

DOSSIER_PATH = (1, 2, 4, 9, 10)  # newly registered, received, processing, finished, returned
PROCEDURES = [
    ("1.001612", "Đăng ký khai sinh"),
    ("1.000894", "Đăng ký kết hôn"),
    ("1.001193", "Chứng thực bản sao từ bản chính"),
]
# (share, kind): what an agency system publishes, in proportion
MIX = [
    (0.10, "document"),
    (0.02, "directive"),
    (0.05, "city-document"),
    (0.10, "status"),
    (0.08, "lookup"),
    (0.65, "dossier"),
]


@dataclass(frozen=True, slots=True)
class DossierPost:
    """A one-stop-shop system's request to its province's webhook: who posts, what."""

    agency: str
    dossier_code: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Published:
    role: str  # the node whose cluster the record is published on
    kind: str
    record: OutgoingRecord | None  # published directly on Kafka by an agency's connector
    post: DossierPost | None = None  # or posted to the province's webhook connector


@dataclass
class Workload:
    """Makes the next records to publish; remembers what each should become."""

    directory: AgencyDirectory
    seed: int = 7
    bad_share: float = 0.015
    dossier_statuses: dict[str, list[int]] = field(default_factory=dict)
    dossier_due: dict[str, datetime] = field(default_factory=dict)
    dossier_finished: dict[str, datetime] = field(default_factory=dict)
    bad_ids: set[str] = field(default_factory=set)
    published_ids: set[str] = field(default_factory=set)
    lookup_ids: set[str] = field(default_factory=set)
    _open: list[tuple[str, int]] = field(default_factory=list)
    _serial: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._run = uuid.uuid4().hex[:4].upper()  # dossier codes of two runs never collide
        self._codec = AvroCodec()
        self._catalog = bundled_catalog()
        self._dossier_schema = self._catalog.get("dossier.status", 2)
        self._units = {
            (role, tier): [str(a.code) for a in self.directory.descendants(code, tier=tier)]
            for role, code in PROVINCES.items()
            for tier in ("department", "district", "commune")
        }

    def next_records(self, count: int) -> Iterator[Published]:
        for _ in range(count):
            published = self._next()
            if published.record is not None:  # a webhook's records get their id when posted
                self.published_ids.add(dict(published.record.headers)["ce_id"].decode())
            yield published

    def _next(self) -> Published:
        province = self._random.choice([HANOI, HANOI, DANANG])  # Hà Nội is the busier
        if self._random.random() < self.bad_share:
            return Published(province, "bad", self._bad(province))
        roll, kind = self._random.random(), MIX[-1][1]
        for share, name in MIX:
            if roll < share:
                kind = name
                break
            roll -= share
        if kind == "document":
            return Published(NGSP, kind, self._ministry_document())
        if kind == "directive":
            return Published(NGSP, kind, self._directive())
        if kind == "dossier":
            return self._dossier_step()
        maker = {
            "city-document": self._city_document,
            "status": self._status_feedback,
            "lookup": self._lookup,
        }[kind]
        return Published(province, kind, maker(province))

    def _event(
        self,
        role: str,
        subject: str,
        source: str,
        key: str,
        changes: dict[str, Any],
        recipients: list[str],
        version: int | None = None,
        correlation_id: str | None = None,
    ) -> OutgoingRecord:
        schema: SchemaVersion = self._catalog.get(subject, version)
        record = example_record(schema) | changes
        envelope = Envelope.new(
            source=source,
            type=schema.event_type,
            subject=key,
            dataschema=schema.dataschema,
            recipients=recipients,
            correlation_id=correlation_id,
        )
        return OutgoingRecord(
            str(event_topic(role, schema.event_type)),
            self._codec.encode(schema, record),
            key.encode(),
            envelope.to_headers(),
        )

    def _units_of(self, province: str, tier: str) -> list[str]:
        return self._units[(province, tier)]

    def _document_id(self, organ: str) -> str:
        self._serial += 1
        return f"{organ},{datetime.now(UTC):%Y/%m/%d},{self._serial}/{self._run}"

    def _sent(self, role: str, sender: str, recipients: list[str]) -> OutgoingRecord:
        document_id = self._document_id(sender)
        return self._event(
            role,
            "document.sent",
            sender,
            document_id,
            {
                "documentId": document_id,
                "sender": {"code": sender, "name": self.directory.get(sender).name},
            },
            recipients,
        )

    def _ministry_document(self) -> OutgoingRecord:
        pool = [
            u for p in PROVINCES for t in ("department", "district") for u in self._units_of(p, t)
        ]
        return self._sent(NGSP, self._random.choice(MINISTRIES), self._random.sample(pool, 2))

    def _directive(self) -> OutgoingRecord:
        """A Government Office directive to both provinces, fanned out to every commune."""
        return self._sent(NGSP, PORTAL, list(PROVINCES.values()))

    def _city_document(self, province: str) -> OutgoingRecord:
        office = PROVINCES[province].replace("000.00.00.", "000.00.01.")
        district = self._random.choice(self._units_of(province, "district"))
        return self._sent(province, office, [district])

    def _status_feedback(self, province: str) -> OutgoingRecord:
        department = self._random.choice(self._units_of(province, "department"))
        ministry = self._random.choice(MINISTRIES)
        document_id = self._document_id(ministry)
        return self._event(
            province,
            "document.status",
            department,
            document_id,
            {
                "documentId": document_id,
                "statusCode": self._random.choice(["01", "03", "04", "05", "06"]),
            },
            [ministry],
        )

    def _lookup(self, province: str) -> OutgoingRecord:
        asker = self._random.choice(self._units_of(province, "commune"))
        request_id = str(uuid.uuid4())
        self.lookup_ids.add(request_id)
        now = datetime.now(UTC)
        return self._event(
            province,
            "lookup.request",
            asker,
            request_id,
            {
                "requestId": request_id,
                "requestedAt": now,
                "deadlineAt": now + timedelta(seconds=90),
            },
            [POPULATION_DB],
            correlation_id=request_id,
        )

    def _dossier_step(self) -> Published:
        if not self._open or (len(self._open) < 300 and self._random.random() < 0.3):
            self._serial += 1
            prefix = PROVINCES[self._random.choice([HANOI, HANOI, DANANG])][-3:]
            code = f"{prefix}.22-{datetime.now(UTC):%y%m%d}-{self._run}{self._serial:05d}"
            self._open.append((code, 0))
            late = self._random.random() < 0.12  # due already: it will finish late
            self.dossier_due[code] = datetime.now(UTC) + (
                timedelta(minutes=-5) if late else timedelta(days=3)
            )
        index = self._random.randrange(len(self._open))
        code, step = self._open[index]
        status = DOSSIER_PATH[step]
        if step + 1 < len(DOSSIER_PATH):
            self._open[index] = (code, step + 1)
        else:
            self._open.pop(index)
        self.dossier_statuses.setdefault(code, []).append(status)
        province_of_code = HANOI if code.startswith("H24") else DANANG
        communes = self._units_of(province_of_code, "commune")
        commune = communes[int(code[-5:]) % len(communes)]
        procedure, name = self._random.choice(PROCEDURES)
        if status == 9:
            self.dossier_finished[code] = datetime.now(UTC)
        record = example_record(self._dossier_schema) | {
            "dossierCode": code,
            "statusCode": status,
            "procedureCode": f"{procedure}.000.00.00.{code[:3]}",
            "procedureName": name,
            "receivingAgency": {"code": commune, "name": self.directory.get(commune).name},
            "channel": self._random.choice([1, 2, 2, 2]),
            "changedAt": datetime.now(UTC),
            "dueAt": self.dossier_due[code],
            "finishedAt": self.dossier_finished.get(code),
            "previousStatusCode": DOSSIER_PATH[step - 1] if step else None,
        }
        post = DossierPost(commune, code, to_json(self._dossier_schema, record))
        return Published(province_of_code, "dossier", None, post)

    def _bad(self, province: str) -> OutgoingRecord:
        other = DANANG if province == HANOI else HANOI
        if self._random.random() < 0.5:  # another province's agency may not send here
            record = self._sent(
                province,
                PROVINCES[other],
                [self._random.choice(self._units_of(province, "department"))],
            )
        else:  # a connector bug: no ce_type header
            record = self._status_feedback(province)
            record = OutgoingRecord(
                record.topic,
                record.value,
                record.key,
                [(k, v) for k, v in record.headers if k != "ce_type"],
            )
        self.bad_ids.add(dict(record.headers)["ce_id"].decode())
        return record
