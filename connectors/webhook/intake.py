"""Checking one webhook request, pure: who calls, what they send, whether they may. Every
refusal is a ``Refusal`` with an HTTP status, a stable code and every reason found."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.events import CheckedEvent, SourceEvent
from connectors.fieldpath import text_at, values_at
from connectors.webhook.config import CallingAgency, WebhookConfig, hash_api_key
from schemas.catalog import bundled_catalog
from schemas.errors import LgspError
from schemas.ids.directory import AgencyDirectory
from schemas.jsonform import from_json
from schemas.validation import MAX_JSON_DEPTH, Violation, json_depth_violation, violations
from schemas.validation.codes import JSON_DEPTH


@dataclass(frozen=True)
class Refusal(Exception):  # noqa: N818 (a refusal is an answer, not an error of ours)
    """A request the webhook answers with a 4xx."""

    status: int
    code: str
    message: str
    problems: list[str] = field(default_factory=list)
    path: str | None = None  # the field that broke the first rule, e.g. $.owner.idNumber
    violations: list[dict[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        first = self.problems[0].partition(":")[0] if self.problems else None
        return {
            "code": self.code,
            "message": self.message,
            "path": self.path or (first if first and first.startswith("$") else None),
            "problems": self.problems,
            "violations": self.violations,
        }


def authenticate(config: WebhookConfig, headers: Mapping[str, str]) -> CallingAgency:
    """The calling agency from its API key (``X-Api-Key`` or ``Authorization: Bearer``)."""
    key = headers.get("x-api-key")
    authorization = headers.get("authorization", "")
    if key is None and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    if not key:
        raise Refusal(401, "LGSP-CONN-WEBHOOK-UNAUTHENTICATED", "send the API key in X-Api-Key")
    digest = hash_api_key(key)
    for agency in config.agencies:
        if hmac.compare_digest(agency.key_sha256, digest):
            claimed = headers.get("x-agency-code")
            if claimed is not None and claimed != agency.code:
                raise Refusal(
                    403,
                    "LGSP-CONN-WEBHOOK-WRONG-AGENCY",
                    f"this API key belongs to {agency.code}; it cannot publish as {claimed}",
                )
            return agency
    raise Refusal(401, "LGSP-CONN-WEBHOOK-UNAUTHENTICATED", "unknown API key")


def check_subject(config: WebhookConfig, agency: CallingAgency, subject: str) -> None:
    if subject not in config.subjects:
        raise Refusal(
            404,
            "LGSP-CONN-WEBHOOK-UNKNOWN-SUBJECT",
            f"no subject {subject!r} here (known: {', '.join(sorted(config.subjects))})",
        )
    if agency.subjects and subject not in agency.subjects:
        raise Refusal(
            403,
            "LGSP-CONN-WEBHOOK-FORBIDDEN",
            f"agency {agency.code} may not publish {subject}",
        )


def check_content_type(content_type: str | None) -> None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise Refusal(
            415,
            "LGSP-CONN-WEBHOOK-CONTENT-TYPE",
            f"send Content-Type: application/json, not {content_type or 'nothing'}",
        )


def parse_body(body: bytes) -> Any:
    """The JSON body, or a 400: not JSON, or nested deeper than the bus reads."""
    try:
        data = json.loads(body)
    except RecursionError as error:  # deeper than Python's parser goes: a coded 400, not a 500
        raise _too_deep(Violation(JSON_DEPTH, "$", "JSON nested too deep to read")) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise Refusal(
            400, "LGSP-CONN-WEBHOOK-BAD-JSON", f"the body is not JSON: {error}"
        ) from error
    too_deep = json_depth_violation(data)
    if too_deep is not None:
        raise _too_deep(too_deep)
    return data


def parse_bulk(body: bytes, max_records: int) -> list[Any]:
    """A bulk body: a JSON array of at most ``max_records`` records (each checked later on
    its own), or a 400."""
    try:
        items = json.loads(body)
    except RecursionError as error:
        raise _too_deep(Violation(JSON_DEPTH, "$", "JSON nested too deep to read")) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise Refusal(
            400, "LGSP-CONN-WEBHOOK-BAD-JSON", f"the body is not JSON: {error}"
        ) from error
    if not isinstance(items, list):
        raise Refusal(400, "LGSP-CONN-WEBHOOK-NOT-A-LIST", "a bulk body is a JSON array of records")
    if len(items) > max_records:
        raise Refusal(
            413,
            "LGSP-CONN-WEBHOOK-TOO-MANY",
            f"{len(items)} records: a bulk request holds {max_records} at most",
        )
    return items


def check_depth(data: Any) -> Refusal | None:
    """A record nested deeper than the bus reads, as the 400 a single request would get."""
    too_deep = json_depth_violation(data)
    return None if too_deep is None else _too_deep(too_deep)


def _too_deep(violation: Violation) -> Refusal:
    return Refusal(
        400,
        violation.code,
        f"the body nests more than {MAX_JSON_DEPTH} levels",
        [str(violation)],
        path=violation.path,
        violations=[violation.as_json()],
    )


def to_event(
    config: WebhookConfig,
    agency: CallingAgency,
    subject: str,
    data: Any,
    *,
    idempotency_key: str | None,
    correlation_id: str | None,
    directory: AgencyDirectory | None = None,
) -> CheckedEvent:
    """The event to publish, converted and checked (``data`` is already depth-checked by
    ``parse_body`` or ``check_depth``), or a Refusal listing every problem (422; 403 if it
    speaks for another agency)."""
    rule = config.subjects[subject]
    problems: list[str] = []
    broken: list[Violation] = []
    schema = bundled_catalog().get(subject)
    record: dict[str, Any] = {}
    try:
        record = from_json(schema, data)
        broken = violations(subject, record, directory)
    except LgspError as error:
        problems.extend(getattr(error, "problems", [error.message]))
    if not isinstance(data, dict):
        raise Refusal(422, "LGSP-RECORD-INVALID", f"not a valid {subject} record", problems)
    key = text_at(data, rule.key_field)
    if key is None:
        problems.append(f"$.{rule.key_field}: the business id is missing")
    recipients = (
        [str(v) for v in values_at(data, rule.recipients_field or "")]
        if rule.recipients_field
        else []
    )
    if rule.agency_field is not None:
        sender = text_at(data, rule.agency_field)
        if sender != agency.code:
            raise Refusal(
                403,
                "LGSP-CONN-WEBHOOK-WRONG-AGENCY",
                f"$.{rule.agency_field} is {sender!r}: "
                f"agency {agency.code} publishes as itself only",
                problems,
            )
    if problems:
        raise Refusal(422, "LGSP-RECORD-INVALID", f"not a valid {subject} record", problems)
    if broken:
        raise Refusal(
            422,
            broken[0].code,
            f"{subject} record breaks the standards' rules",
            [str(v) for v in broken],
            path=broken[0].path,
            violations=[v.as_json() for v in broken],
        )
    assert key is not None
    event = SourceEvent(
        subject=subject,
        data=data,
        key=key,
        identity=f"{agency.code}/{idempotency_key}" if idempotency_key else None,
        recipients=recipients,
        correlation_id=correlation_id,
        source=agency.code,
    )
    return CheckedEvent(event, schema, record)
