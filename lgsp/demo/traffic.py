"""Realistic traffic across three nodes: ministries' documents to both provinces (directives
fanned out to every commune), status feedback back to the ministries in the order of the edXML
codes, one-stop-shop dossiers moving through their statuses towards the national portal,
citizen look-ups against the national population database, and a few bad records. Every record
is coherent: a document carries its own sender's number and notation and the date in its id, a
dossier keeps what it was filed with (``lgsp.demo.dossier_traffic``), and all keep the
standards' rules (``schemas.validation``) except the deliberately bad ones."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from bus.kafka import OutgoingRecord
from lgsp.demo.document_traffic import (
    FEEDBACK_NOTES,
    FEEDBACK_PATH,
    NOTATIONS,
    SUBJECTS,
    AwaitingFeedback,
)
from lgsp.demo.dossier_traffic import DossierLife, citizen, new_dossier, next_status
from lgsp.demo.nodes import DANANG, HANOI, MINISTRIES, NGSP, POPULATION_DB, PORTAL, PROVINCES
from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.ids.directory import AgencyDirectory
from schemas.jsonform import to_json
from schemas.topics import event_topic
from schemas.validation import document_id

VIETNAM = timezone(timedelta(hours=7))
BIRTH_PROVINCES = {HANOI: "01", DANANG: "48"}  # QĐ 124/2004 codes of the demo's provinces
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
    _open: list[DossierLife] = field(default_factory=list)
    _awaiting: list[AwaitingFeedback] = field(default_factory=list)
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
        if kind == "status":
            return self._status_feedback()
        maker = {"city-document": self._city_document, "lookup": self._lookup}[kind]
        return Published(province, kind, maker(province))

    def _event(
        self,
        role: str,
        subject: str,
        source: str,
        key: str,
        changes: dict[str, Any],
        recipients: list[str],
        correlation_id: str | None = None,
    ) -> OutgoingRecord:
        schema: SchemaVersion = self._catalog.get(subject)
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

    def _agency(self, code: str) -> dict[str, str]:
        return {"code": code, "name": self.directory.get(code).name}

    def _sent(self, role: str, sender: str, recipients: list[str]) -> OutgoingRecord:
        """A document of ``sender``: its own number and notation, promulgated today (in Viet
        Nam's time) and sent now, so its id carries the date it was sent."""
        self._serial += 1
        now = datetime.now(UTC)
        today = now.astimezone(VIETNAM).date()
        number = str(self._serial)
        notation = f"{NOTATIONS.get(sender, 'VP-UBND')}-{self._run}"  # unique across runs
        identifier = document_id(sender, today, number, notation)
        central = sender[-3] == "G"
        record = {
            "documentId": identifier,
            "businessDocType": 0,
            "businessDocReason": None,
            "sender": self._agency(sender),
            "recipients": [self._agency(code) for code in recipients],
            "codeNumber": number,
            "codeNotation": notation,
            "documentType": 1,
            "documentTypeName": "Công văn",
            "subject": self._random.choice(SUBJECTS),
            "content": None,
            "promulgationPlace": "Đà Nẵng" if sender.endswith("H15") else "Hà Nội",
            "promulgationDate": today,
            "signer": {
                "competence": "KT. BỘ TRƯỞNG" if central else "TM. ỦY BAN NHÂN DÂN",
                "position": "Thứ trưởng" if central else "Phó Chủ tịch",
                "fullName": self._random.choice(["Nguyễn Văn An", "Trần Quốc Bảo"]),
            },
            "dueDate": today + timedelta(days=15),
            "toPlaces": [],
            "attachments": [],
            "responseFor": [],
            "sentAt": now,
        }
        if sender in MINISTRIES and role == NGSP:  # the provinces' recipients answer
            waiting = dict.fromkeys(recipients, 0)
            self._awaiting.append(AwaitingFeedback(identifier, sender, waiting))
        return self._event(role, "document.sent", sender, identifier, record, recipients)

    def _ministry_document(self) -> OutgoingRecord:
        province = self._random.choice(list(PROVINCES))  # one province's units per document
        pool = [u for t in ("department", "district") for u in self._units_of(province, t)]
        return self._sent(NGSP, self._random.choice(MINISTRIES), self._random.sample(pool, 2))

    def _directive(self) -> OutgoingRecord:
        """A Government Office directive to both provinces, fanned out to every commune."""
        return self._sent(NGSP, PORTAL, list(PROVINCES.values()))

    def _city_document(self, province: str) -> OutgoingRecord:
        office = PROVINCES[province].replace("000.00.00.", "000.00.01.")
        district = self._random.choice(self._units_of(province, "district"))
        return self._sent(province, office, [district])

    def _status_feedback(self) -> Published:
        """One recipient's next status, in edXML order, on a ministry's document (a ministry
        document first when none awaits feedback)."""
        if not self._awaiting:
            return Published(NGSP, "document", self._ministry_document())
        document = self._random.choice(self._awaiting)
        recipient = self._random.choice(sorted(document.next_status))
        status = FEEDBACK_PATH[document.next_status[recipient]]
        document.next_status[recipient] += 1
        if document.next_status[recipient] == len(FEEDBACK_PATH):
            del document.next_status[recipient]
            if not document.next_status:
                self._awaiting.remove(document)
        feedback = {
            "documentId": document.document_id,
            "documentSender": document.sender,
            "from": self._agency(recipient),
            "statusCode": status,
            "description": FEEDBACK_NOTES[status],
            "staff": None,
            "statusAt": datetime.now(UTC),
        }
        role = HANOI if recipient.endswith("H24") else DANANG  # the recipient's own node
        record = self._event(
            role,
            "document.status",
            recipient,
            document.document_id,
            feedback,
            [document.sender],
        )
        return Published(role, "status", record)

    def _lookup(self, province: str) -> OutgoingRecord:
        asker = self._random.choice(self._units_of(province, "commune"))
        request_id = str(uuid.uuid4())
        self.lookup_ids.add(request_id)
        now = datetime.now(UTC)
        person = citizen(self._random, BIRTH_PROVINCES[province])
        requester = {
            "fullName": self._random.choice(["Phạm Thu Hà", "Vũ Thị Mai"]),
            "position": "Công chức tư pháp - hộ tịch",
            "agency": self._agency(asker),
        }
        changes = {
            "requestId": request_id,
            "subjectId": person["idNumber"],
            "dossierCode": None,
            "requester": requester,
            "requestedAt": now,
            "deadlineAt": now + timedelta(seconds=90),
        }
        return self._event(
            province,
            "lookup.request",
            asker,
            request_id,
            changes,
            [POPULATION_DB],
            correlation_id=request_id,
        )

    def _dossier_step(self) -> Published:
        if not self._open or (len(self._open) < 300 and self._random.random() < 0.3):
            self._serial += 1
            province = self._random.choice([HANOI, HANOI, DANANG])
            now = datetime.now(UTC)
            code = f"{PROVINCES[province][-3:]}.22-{now:%y%m%d}-{self._run}{self._serial:05d}"
            communes = self._units_of(province, "commune")
            commune = communes[self._serial % len(communes)]
            commune_ref = (commune, self.directory.get(commune).name)
            life = new_dossier(self._random, code, commune_ref, BIRTH_PROVINCES[province], now)
            self.dossier_due[code] = life.due_at
            self._open.append(life)
        life = self._random.choice(self._open)
        record = example_record(self._dossier_schema) | next_status(
            life, self._random, datetime.now(UTC)
        )
        if life.done:
            self._open.remove(life)
        if life.finished_at is not None:
            self.dossier_finished[life.code] = life.finished_at
        self.dossier_statuses.setdefault(life.code, []).append(record["statusCode"])
        post = DossierPost(life.commune, life.code, to_json(self._dossier_schema, record))
        return Published(HANOI if life.code.startswith("H24") else DANANG, "dossier", None, post)

    def _bad(self, province: str) -> OutgoingRecord:
        other = DANANG if province == HANOI else HANOI
        if self._random.random() < 0.5:  # another province's agency may not send here
            record = self._sent(
                province,
                PROVINCES[other],
                [self._random.choice(self._units_of(province, "department"))],
            )
        else:  # a connector bug: no ce_type header
            record = self._city_document(province)
            record = OutgoingRecord(
                record.topic,
                record.value,
                record.key,
                [(k, v) for k, v in record.headers if k != "ce_type"],
            )
        self.bad_ids.add(dict(record.headers)["ce_id"].decode())
        return record
