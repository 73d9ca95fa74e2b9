"""An official document's tracked state: each recipient's latest processing status (edXML
status feedback), and the pure rules that update it and decide what is overdue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from tracker.errors import TrackerRecordError
from tracker.workdays import local_date, optional_millis

# edXML StatusCode -> the state a recipient is in once it reports that code
RECIPIENT_STATES: Mapping[str, str] = {
    "01": "received",
    "02": "rejected",
    "03": "accepted",
    "04": "assigned",
    "05": "processing",
    "06": "done",
    "13": "recall_requested",
    "15": "recalled",
    "16": "recall_refused",
}
NOT_AWAITED = frozenset({"done", "rejected", "recalled"})
PENDING = "sent"  # no status reported yet


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    code: str
    name: str
    state: str
    status_code: str | None
    at: int | None  # UTC milliseconds of the status, None while pending


@dataclass(frozen=True, slots=True)
class DocumentState:
    document_id: str
    sender_code: str
    sender_name: str
    subject: str
    code_number: str
    code_notation: str
    sent_at: int | None  # None until the sent event is seen (a status may come first)
    due_date: date | None
    recipients: tuple[RecipientStatus, ...]

    @property
    def known(self) -> bool:
        return self.sent_at is not None


def _to_date(value: date | int | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromordinal(date(1970, 1, 1).toordinal() + value)


def apply_document_sent(current: DocumentState | None, record: Mapping[str, Any]) -> DocumentState:
    """The state after a ``vn.gov.document.sent`` record: recipients not heard from are
    pending; statuses that arrived before the document are kept."""
    heard = {r.code: r for r in current.recipients} if current else {}
    recipients = [
        heard.pop(agency["code"])
        if agency["code"] in heard
        else RecipientStatus(agency["code"], agency["name"], PENDING, None, None)
        for agency in record["recipients"]
    ]
    recipients.extend(heard.values())
    return DocumentState(
        document_id=record["documentId"],
        sender_code=record["sender"]["code"],
        sender_name=record["sender"]["name"],
        subject=record["subject"],
        code_number=record["codeNumber"],
        code_notation=record["codeNotation"],
        sent_at=optional_millis(record["sentAt"]),
        due_date=_to_date(record.get("dueDate")),
        recipients=tuple(recipients),
    )


def apply_document_status(
    current: DocumentState | None, record: Mapping[str, Any]
) -> DocumentState:
    """The state after one recipient's status feedback; a status older than the one held for
    that recipient does not move it back."""
    state = RECIPIENT_STATES.get(record["statusCode"])
    if state is None:
        raise TrackerRecordError(
            f"document {record['documentId']!r}: status code {record['statusCode']!r} is not "
            f"one of {', '.join(RECIPIENT_STATES)}"
        )
    at = optional_millis(record["statusAt"])
    assert at is not None  # statusAt is required by the schema
    frm = record["from"]
    update = RecipientStatus(frm["code"], frm["name"], state, record["statusCode"], at)
    if current is None:
        current = DocumentState(
            record["documentId"], record["documentSender"], "", "", "", "", None, None, ()
        )
    recipients = list(current.recipients)
    for index, held in enumerate(recipients):
        if held.code == update.code:
            if held.at is not None and at < held.at:
                return current
            recipients[index] = replace(update, name=held.name or update.name)
            break
    else:
        recipients.append(update)
    return replace(current, recipients=tuple(recipients))


def overdue_recipients(document: DocumentState, as_of_ms: int) -> list[RecipientStatus]:
    """Recipients still expected to act after the document's due date has passed."""
    if document.due_date is None or local_date(as_of_ms) <= document.due_date:
        return []
    return [r for r in document.recipients if r.state not in NOT_AWAITED]
