"""Dead letters in the console: the form's filters, one record decoded with personal data
masked, and redrive / purge through the same store and rules as ``lgsp dlq``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from bus.wireformat import WireFormatConfig, as_single_object
from gateway.ops.dlq import DeadLetter, DeadLetterFilter, DeadLetters
from lgsp.console.errors import ConsoleConflictError, ConsoleError, ConsoleNotFoundError
from schemas.codec import AvroCodec
from schemas.errors import LgspError
from schemas.ids.agency import AgencyCode
from schemas.ids.citizen import mask_citizen_id
from schemas.jsonform import to_json

VIETNAM = timezone(timedelta(hours=7))
# Field names of the contract's schemas that hold personal data (docs/contract.md).
PERSONAL_FIELDS = frozenset(
    {"idNumber", "fullName", "phone", "mobile", "email", "address", "birthDate", "dateOfBirth"}
)
# Records that describe a person (a dossier's owner, a citizen looked up): every text in them.
PERSONAL_RECORDS = frozenset({"owner", "citizen", "person", "applicant"})
FILTER_FIELDS = ("code", "agency", "event_type", "since", "until", "ce_id", "ref")


def parse_time(text: str, field: str) -> datetime:
    """ISO 8601 (a browser's datetime-local has no zone: it is Vietnam time, UTC+7)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ConsoleError(
            f"{field}: {text!r} is not a time like 2026-11-20T08:00 or 2026-11-20T08:00+07:00"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


@dataclass(frozen=True, slots=True)
class Selection:
    """The dead letters a form means: the CLI's filter, or one record by its ref."""

    filter: DeadLetterFilter
    ref: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        return (self.ref is None or letter.ref == self.ref) and self.filter.matches(letter)

    def as_form(self) -> dict[str, str]:
        f = self.filter
        values = {
            "code": f.code,
            "agency": f.agency,
            "event_type": f.event_type,
            "since": f.since.isoformat() if f.since else None,
            "until": f.until.isoformat() if f.until else None,
            "ce_id": f.ce_id,
            "ref": self.ref,
        }
        return {k: v for k, v in values.items() if v}


def parse_selection(form: Mapping[str, str], include_done: bool = False) -> Selection:
    """The form's filters, each checked; empty fields do not narrow."""
    given = {k: (form.get(k) or "").strip() for k in FILTER_FIELDS}
    agency = given["agency"] or None
    if agency is not None and not AgencyCode.is_valid(agency):
        raise ConsoleError(f"agency: {agency!r} is not an agency code like 000.00.00.H24")
    since = parse_time(given["since"], "since") if given["since"] else None
    until = parse_time(given["until"], "until") if given["until"] else None
    if since and until and since > until:
        raise ConsoleError("since is after until: nothing can match")
    selection = DeadLetterFilter(
        code=given["code"] or None,
        agency=agency,
        since=since,
        until=until,
        ce_id=given["ce_id"] or None,
        include_done=include_done,
        event_type=given["event_type"] or None,
    )
    return Selection(selection, given["ref"] or None)


def mask_personal(value: Any, *, inside_person: bool = False) -> Any:
    """A copy of a decoded record with every personal field masked (kept: 3 first, 2 last):
    the fields named in ``PERSONAL_FIELDS`` anywhere, and every text of a person's record."""
    if isinstance(value, list):
        return [mask_personal(v, inside_person=inside_person) for v in value]
    if isinstance(value, str) and inside_person:
        return mask_citizen_id(value)
    if not isinstance(value, dict):
        return value
    return {
        k: (
            mask_citizen_id(v)
            if k in PERSONAL_FIELDS and isinstance(v, str)
            else mask_personal(v, inside_person=inside_person or k in PERSONAL_RECORDS)
        )
        for k, v in value.items()
    }


async def decode(letter: DeadLetter, *, may_see_personal: bool, wire: WireFormatConfig) -> Any:
    """The letter's record as JSON (a Confluent frame read through ``wire``'s registry)."""
    codec = AvroCodec()
    try:
        value = await as_single_object(letter.value or b"", wire)
        record = to_json(codec.writer_of(value), codec.decode(value))
    except LgspError as error:
        return {"undecodable": f"[{error.code}] {error.message}", "bytes": len(letter.value or b"")}
    return record if may_see_personal else mask_personal(record)


class ConsoleDeadLetters:
    """The node's dead letters as the console reads and acts on them."""

    def __init__(self, store: DeadLetters) -> None:
        self.store = store

    async def select(self, selection: Selection) -> list[DeadLetter]:
        letters = await self.store.read(selection.filter)
        return [letter for letter in letters if selection.matches(letter)]

    async def waiting(self) -> int:
        return len(await self.store.read(DeadLetterFilter()))

    async def one(self, ref: str) -> DeadLetter:
        found = await self.select(
            Selection(DeadLetterFilter(include_done=True), ref.strip())
        ) or await self.select(Selection(DeadLetterFilter(include_done=True, ce_id=ref.strip())))
        if not found:
            raise ConsoleNotFoundError(f"no dead letter {ref!r} on node {self.store.node}")
        return found[0]

    async def to_act_on(self, selection: Selection) -> list[DeadLetter]:
        """The still-parked letters a redrive or purge would touch; a single ref already
        redriven or purged is a conflict the page explains."""
        if selection.ref is not None:
            letter = await self.one(selection.ref)
            if letter.state != "parked":
                raise ConsoleConflictError(
                    f"dead letter {letter.ref} was already {letter.state}: nothing to do"
                )
        return await self.select(
            replace(selection, filter=replace(selection.filter, include_done=False))
        )

    async def act(self, action: str, letters: list[DeadLetter]) -> int:
        if action == "redrive":
            return await self.store.redrive(letters)
        if action == "purge":
            return await self.store.purge(letters)
        raise ConsoleError(f"action {action!r} is not redrive or purge")
