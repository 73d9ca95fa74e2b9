"""The CloudEvents envelope of every record: Kafka protocol binding, binary content mode.

Attributes travel as ``ce_<name>`` headers (UTF-8), the data content type as ``content-type``,
the Avro value as the record value. Our extensions (lower-case alphanumerics, as CloudEvents
requires) are ``recipients`` (comma-separated agency codes), ``correlationid``, ``traceparent``
(W3C trace context, per the CloudEvents distributed-tracing extension), ``attempt`` and
``signature``. The gateway routes on these headers alone, without decoding the value.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from schemas.errors import EnvelopeError
from schemas.ids.agency import AgencyCode

SPECVERSION = "1.0"
CONTENT_TYPE = "application/avro"
Headers = Sequence[tuple[str, bytes]]

_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")
_KNOWN = frozenset(
    {
        *_REQUIRED,
        "ce_dataschema",
        "ce_subject",
        "ce_recipients",
        "ce_correlationid",
        "ce_traceparent",
        "ce_attempt",
        "ce_signature",
        "content-type",
    }
)


@dataclass(frozen=True, slots=True)
class Envelope:
    """CloudEvents attributes of one record plus the bus's extensions."""

    id: str
    source: str
    type: str
    time: datetime
    dataschema: str | None = None
    subject: str | None = None
    recipients: tuple[str, ...] = ()
    correlation_id: str | None = None
    traceparent: str | None = None
    attempt: int = 0
    signature: str | None = None
    content_type: str = CONTENT_TYPE
    extensions: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def new(
        *,
        source: str,
        type: str,
        subject: str | None = None,
        dataschema: str | None = None,
        recipients: Sequence[str] = (),
        correlation_id: str | None = None,
        traceparent: str | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        """A fresh envelope: new id, current time, new trace unless one is continued.

        The time is cut to milliseconds, the precision ``ce_time`` carries, so an envelope
        equals itself after a trip through headers.
        """
        instant = time or datetime.now(UTC)
        return Envelope(
            id=str(uuid.uuid4()),
            source=source,
            type=type,
            time=instant.replace(microsecond=instant.microsecond // 1000 * 1000),
            dataschema=dataschema,
            subject=subject,
            recipients=tuple(recipients),
            correlation_id=correlation_id,
            traceparent=traceparent or new_traceparent(),
        )

    @property
    def trace_id(self) -> str | None:
        """The 32-hex-digit trace id inside ``traceparent``."""
        return self.traceparent.split("-")[1] if self.traceparent else None

    def retried(self) -> Envelope:
        """The same event, one attempt later."""
        return replace(self, attempt=self.attempt + 1)

    def to_headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers in binary content mode."""
        headers = [
            ("ce_specversion", SPECVERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", format_time(self.time).encode()),
            ("content-type", self.content_type.encode()),
        ]
        optional = (
            ("ce_dataschema", self.dataschema),
            ("ce_subject", self.subject),
            ("ce_recipients", ",".join(self.recipients) if self.recipients else None),
            ("ce_correlationid", self.correlation_id),
            ("ce_traceparent", self.traceparent),
            ("ce_attempt", str(self.attempt) if self.attempt else None),
            ("ce_signature", self.signature),
        )
        headers += [(name, value.encode()) for name, value in optional if value is not None]
        headers += [(f"ce_{name}", value.encode()) for name, value in self.extensions.items()]
        return headers

    @staticmethod
    def from_headers(headers: Headers) -> Envelope:
        """Parse and validate headers; any problem raises an ``EnvelopeError`` with its code."""
        values = _decode(headers)
        missing = [name for name in _REQUIRED if not values.get(name)]
        if missing:
            raise EnvelopeError(
                f"missing CloudEvents headers: {', '.join(missing)}", code="LGSP-ENVELOPE-MISSING"
            )
        if values["ce_specversion"] != SPECVERSION:
            raise EnvelopeError(
                f"ce_specversion {values['ce_specversion']!r} is not 1.0",
                code="LGSP-ENVELOPE-INVALID",
            )
        content_type = values.get("content-type", CONTENT_TYPE)
        if content_type.split(";")[0].strip() != CONTENT_TYPE:
            raise EnvelopeError(
                f"content-type {content_type!r}: the bus carries {CONTENT_TYPE} values only",
                code="LGSP-ENVELOPE-CONTENT-TYPE",
            )
        return Envelope(
            id=values["ce_id"],
            source=_agency(values["ce_source"], "ce_source"),
            type=values["ce_type"],
            time=parse_time(values["ce_time"]),
            dataschema=values.get("ce_dataschema"),
            subject=values.get("ce_subject"),
            recipients=_recipients(values.get("ce_recipients")),
            correlation_id=values.get("ce_correlationid"),
            traceparent=_traceparent(values.get("ce_traceparent")),
            attempt=_attempt(values.get("ce_attempt")),
            signature=values.get("ce_signature"),
            content_type=content_type,
            extensions={
                k[3:]: v for k, v in values.items() if k.startswith("ce_") and k not in _KNOWN
            },
        )


def header_value(headers: Headers, name: str) -> str | None:
    """One header as text, without parsing the rest (for the routing hot path)."""
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", errors="strict")
    return None


def format_time(instant: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. 2026-11-20T02:12:30.125Z."""
    if instant.tzinfo is None:
        raise EnvelopeError("ce_time must carry a time zone", code="LGSP-ENVELOPE-INVALID")
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise EnvelopeError(
            f"ce_time {text!r} is not an RFC 3339 time with a zone", code="LGSP-ENVELOPE-INVALID"
        )
    return instant


def new_traceparent() -> str:
    """A W3C traceparent starting a new trace: version 00, random ids, sampled."""
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def _decode(headers: Headers) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, raw in headers:
        name = key.lower()
        if not (name.startswith("ce_") or name == "content-type"):
            continue  # other headers (ours or the platform's) are not CloudEvents attributes
        if name in values:
            raise EnvelopeError(f"header {name} appears twice", code="LGSP-ENVELOPE-DUPLICATE")
        try:
            values[name] = bytes(raw).decode("utf-8")
        except (UnicodeDecodeError, TypeError) as error:
            raise EnvelopeError(
                f"header {name} is not UTF-8 text", code="LGSP-ENVELOPE-INVALID"
            ) from error
    return values


def _agency(text: str, header: str) -> str:
    if not AgencyCode.is_valid(text):
        raise EnvelopeError(
            f"{header} {text!r} is not an agency code (LLL.KK.NN.Xnn)", code="LGSP-ENVELOPE-INVALID"
        )
    return text


def _recipients(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    codes = tuple(code.strip() for code in text.split(","))
    for code in codes:
        _agency(code, "ce_recipients entry")
    if len(set(codes)) != len(codes):
        raise EnvelopeError("ce_recipients lists an agency twice", code="LGSP-ENVELOPE-INVALID")
    return codes


def _traceparent(text: str | None) -> str | None:
    if text is None:
        return None
    parts = text.split("-")
    if (
        len(parts) != 4
        or [len(p) for p in parts] != [2, 32, 16, 2]
        or not all(c in "0123456789abcdef" for c in "".join(parts))
    ):
        raise EnvelopeError(
            f"ce_traceparent {text!r} is not a W3C traceparent", code="LGSP-ENVELOPE-INVALID"
        )
    return text


def _attempt(text: str | None) -> int:
    if text is None:
        return 0
    if not text.isdigit():
        raise EnvelopeError(
            f"ce_attempt {text!r} is not a non-negative integer", code="LGSP-ENVELOPE-INVALID"
        )
    return int(text)
