"""Property tests of the standards' rules: generated valid records of every subject pass (as
plain JSON through the webhook's path and after an Avro round trip, the gateway's path), and
each generated breakage is refused with its own code and path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.examples import example_record
from schemas.ids import bundled_directory
from schemas.ids.provinces import provinces
from schemas.ids.taxcode import check_digit
from schemas.jsonform import from_json, to_json
from schemas.validation import document_id, violations
from schemas.validation.shapes import _fits, values_at
from schemas.validation.tables import TextLimit, parse_path
from tests.avro_strategies import records

CATALOG = bundled_catalog()
CODEC = AvroCodec()
AGENCIES = sorted(str(a.code) for a in bundled_directory())
PROVINCES = sorted(provinces())
Record = dict[str, Any]
Breakage = tuple[str, str, Callable[[Record], Record]]  # expected code, path, how to break
FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def citizen_ids(draw: st.DrawFn, born_by: int = 2025) -> str:
    """A CCCD: province of birth registration, sex/century digit, birth year, 6 digits."""
    year = draw(st.integers(1900, born_by))
    sex = draw(st.integers(0, 1))
    digit = (year - 1900) // 100 * 2 + sex
    serial = draw(st.integers(0, 999_999))
    return f"0{draw(st.sampled_from(PROVINCES))}{digit}{year % 100:02d}{serial:06d}"


@st.composite
def tax_codes(draw: st.DrawFn) -> str:
    """A tax code with its check digit; a third of them a branch, in either spelling."""
    nine = draw(st.text("0123456789", min_size=9, max_size=9).filter(lambda n: check_digit(n) < 10))
    base = nine + str(check_digit(nine))
    branch = draw(st.sampled_from(["", "-001", "-017", "002"]))
    return base + branch


INSTANTS = st.integers(0, 3 * 365 * 86400).map(
    lambda s: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
)
HOURS = st.integers(0, 30 * 24).map(lambda h: timedelta(hours=h))


@st.composite
def dossiers(draw: st.DrawFn, version: int) -> Record:
    record = example_record(CATALOG.get("dossier.status", version))
    status = draw(st.integers(1, 10))
    received = draw(INSTANTS)
    kind = draw(st.sampled_from([1, 2]))
    finished = received + draw(HOURS) if status in (9, 10) and draw(st.booleans()) else None
    returned = (finished or received) + draw(HOURS) if status == 10 else None
    record |= {
        "statusCode": status,
        "previousStatusCode": draw(st.none() | st.integers(1, 10)),
        "channel": draw(st.sampled_from([1, 2, 3])),
        "serviceLevel": draw(st.sampled_from(["full_online", "partly_online", "offline"])),
        "receivedAt": received,
        "dueAt": draw(st.none() | HOURS.map(lambda h: received + h)),
        "finishedAt": finished,
        "returnedAt": returned,
        "changedAt": returned or finished or received,
        "receivingAgency": {"code": draw(st.sampled_from(AGENCIES)), "name": "UBND"},
        "summary": draw(st.none() | st.text(max_size=40)),
    }
    record["owner"] = record["owner"] | {
        "kind": kind,
        "idNumber": draw(citizen_ids(received.year) if kind == 1 else tax_codes()),
    }
    return record


@st.composite
def documents_sent(draw: st.DrawFn) -> Record:
    record = example_record(CATALOG.get("document.sent"))
    sender, *recipients = draw(
        st.lists(st.sampled_from(AGENCIES), min_size=2, max_size=5, unique=True)
    )
    promulgated = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    number = str(draw(st.integers(1, 99999)))
    notation = draw(st.sampled_from(["VPCP-TTĐT", "BNV-VP", "UBND-KGVX", "STP-HCTP"]))
    sent = datetime(promulgated.year, promulgated.month, promulgated.day, 2, tzinfo=UTC)
    return record | {
        "documentId": document_id(sender, promulgated, number, notation),
        "businessDocType": draw(st.integers(0, 3)),
        "sender": {"code": sender, "name": "Cơ quan gửi"},
        "recipients": [{"code": code, "name": "Cơ quan nhận"} for code in recipients],
        "codeNumber": number,
        "codeNotation": notation,
        "subject": draw(st.text(min_size=1, max_size=500)),
        "content": draw(st.none() | st.text(max_size=500)),
        "promulgationDate": promulgated,
        "dueDate": draw(st.none() | st.integers(0, 60).map(lambda d: promulgated + timedelta(d))),
        "sentAt": sent + draw(HOURS),
    }


@st.composite
def document_statuses(draw: st.DrawFn) -> Record:
    record = example_record(CATALOG.get("document.status"))
    sender, recipient = draw(
        st.lists(st.sampled_from(AGENCIES), min_size=2, max_size=2, unique=True)
    )
    status = draw(st.sampled_from(["01", "02", "03", "04", "05", "06", "13", "15", "16"]))
    return record | {
        "documentId": f"{sender},2026/11/20,{draw(st.integers(1, 9999))}/VP",
        "documentSender": sender,
        "from": {"code": recipient, "name": "Cơ quan nhận"},
        "statusCode": status,
        "description": draw(st.text(min_size=1, max_size=200)),
    }


@st.composite
def lookup_requests(draw: st.DrawFn) -> Record:
    record = example_record(CATALOG.get("lookup.request"))
    kind = draw(st.sampled_from(["CITIZEN", "ENTERPRISE", "LAND_PARCEL"]))
    requested = draw(INSTANTS)
    subject = {
        # born no later than the request's year: a CCCD of a later birth is refused
        "CITIZEN": citizen_ids(requested.year),
        "ENTERPRISE": tax_codes(),
        "LAND_PARCEL": st.just("27358-12-345"),
    }
    requester = record["requester"] | {
        "agency": {"code": draw(st.sampled_from(AGENCIES)), "name": "x"}
    }
    return record | {
        "kind": kind,
        "subjectId": draw(subject[kind]),
        "requestedAt": requested,
        "deadlineAt": requested + timedelta(seconds=draw(st.integers(0, 600))),
        "requester": requester,
    }


@st.composite
def lookup_replies(draw: st.DrawFn) -> Record:
    record = example_record(CATALOG.get("lookup.reply"))
    outcome = draw(st.sampled_from(["FOUND", "NOT_FOUND", "DENIED", "ERROR"]))
    citizen = record["citizen"] | {"idNumber": draw(citizen_ids())}
    return record | {
        "outcome": outcome,
        "citizen": citizen if outcome == "FOUND" else None,
        "responder": {"code": draw(st.sampled_from(AGENCIES)), "name": "CSDL"},
    }


@st.composite
def payment_requests(draw: st.DrawFn) -> Record:
    record = example_record(CATALOG.get("payment.request"))
    amounts = draw(st.lists(st.integers(0, 10_000_000), min_size=1, max_size=4))
    fees = [{"code": f"LP-{i}", "name": "Lệ phí", "amountVnd": a} for i, a in enumerate(amounts)]
    agency = {"code": draw(st.sampled_from(AGENCIES)), "name": "UBND"}
    return record | {"fees": fees, "totalAmountVnd": sum(amounts), "agency": agency}


@st.composite
def payment_results(draw: st.DrawFn) -> Record:
    return example_record(CATALOG.get("payment.result")) | {
        "amountVnd": draw(st.integers(0, 10**9))
    }


@st.composite
def reports(draw: st.DrawFn) -> Record:
    record = example_record(CATALOG.get("report.quarterly"))
    agency = {"code": draw(st.sampled_from(AGENCIES)), "name": "UBND"}
    return record | {"quarter": draw(st.integers(1, 4)), "agency": agency}


@st.composite
def receipts(draw: st.DrawFn) -> Record:
    sender, recipient = draw(st.lists(st.sampled_from(AGENCIES), min_size=2, max_size=2))
    digest = draw(st.binary(min_size=32, max_size=32)).hex()
    return example_record(CATALOG.get("delivery.receipt")) | {
        "senderAgency": sender,
        "recipientAgency": recipient,
        "valueSha256": digest,
    }


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _set(**changes: Any) -> Callable[[Record], Record]:
    return lambda record: record | changes


def _owner(**changes: Any) -> Callable[[Record], Record]:
    return lambda record: record | {"owner": record["owner"] | changes}


DOSSIER_BREAKAGES: list[Breakage] = [
    (
        "LGSP-VALID-DOSSIER-STATUS",
        "$.statusCode",
        _set(statusCode=99, finishedAt=None, returnedAt=None),
    ),
    ("LGSP-VALID-DOSSIER-STATUS", "$.previousStatusCode", _set(previousStatusCode=0)),
    ("LGSP-VALID-CHANNEL", "$.channel", _set(channel=4)),
    ("LGSP-VALID-SERVICE-LEVEL", "$.serviceLevel", _set(serviceLevel="level_4")),
    ("LGSP-VALID-OWNER-KIND", "$.owner.kind", _owner(kind=3)),
    ("LGSP-ID-CCCD", "$.owner.idNumber", _owner(kind=1, idNumber="00119001234")),
    ("LGSP-ID-CCCD", "$.owner.idNumber", _owner(kind=1, idNumber="099190012345")),
    ("LGSP-ID-CCCD", "$.owner.idNumber", _owner(kind=1, idNumber="001490012345")),
    ("LGSP-VALID-OWNER-ID", "$.owner.idNumber", _owner(kind=1, idNumber=None)),
    ("LGSP-ID-TAX", "$.owner.idNumber", _owner(kind=2, idNumber="0100109107")),
    ("LGSP-ID-TAX", "$.owner.idNumber", _owner(kind=2, idNumber="001190012345")),
    (
        "LGSP-ID-UNKNOWN-AGENCY",
        "$.receivingAgency.code",
        _set(receivingAgency={"code": "000.00.00.H99", "name": "?"}),
    ),
    (
        "LGSP-ID-AGENCY",
        "$.receivingAgency.code",
        _set(receivingAgency={"code": "H24", "name": "?"}),
    ),
    (
        "LGSP-VALID-DATE-ORDER",
        "$.dueAt",
        lambda r: r | {"dueAt": r["receivedAt"] - timedelta(hours=1)},
    ),
    (
        "LGSP-VALID-DATE-STATUS",
        "$.finishedAt",
        lambda r: r | {"statusCode": 4, "finishedAt": r["receivedAt"], "returnedAt": None},
    ),
    (
        "LGSP-VALID-DATE-STATUS",
        "$.returnedAt",
        lambda r: r | {"statusCode": 1, "finishedAt": None, "returnedAt": r["receivedAt"]},
    ),
    ("LGSP-VALID-TOO-LONG", "$.summary", _set(summary="x" * 1001)),
]
SENT_BREAKAGES: list[Breakage] = [
    ("LGSP-VALID-TOO-LONG", "$.subject", _set(subject="V/v " * 126)),
    ("LGSP-VALID-TOO-LONG", "$.content", _set(content="c" * 501)),
    (
        "LGSP-ID-UNKNOWN-AGENCY",
        "$.recipients[0].code",
        lambda r: (
            r | {"recipients": [{"code": "000.00.00.G99", "name": "?"}, *r["recipients"][1:]]}
        ),
    ),
    (
        "LGSP-VALID-RECIPIENTS",
        "$.recipients[1].code",
        lambda r: r | {"recipients": [r["recipients"][0]] * 2},
    ),
    ("LGSP-VALID-RECIPIENTS", "$.recipients", _set(recipients=[])),
    ("LGSP-VALID-BUSINESS-DOC-TYPE", "$.businessDocType", _set(businessDocType=7)),
    ("LGSP-VALID-DOCUMENT-ID", "$.documentId", lambda r: r | {"codeNumber": r["codeNumber"] + "0"}),
    (
        "LGSP-VALID-DATE-ORDER",
        "$.sentAt",
        lambda r: r | {"sentAt": _midnight(r["promulgationDate"]) - timedelta(hours=8)},
    ),
]
STATUS_BREAKAGES: list[Breakage] = [
    ("LGSP-VALID-DOCUMENT-STATUS", "$.statusCode", _set(statusCode="07")),
    ("LGSP-VALID-DOCUMENT-STATUS", "$.statusCode", _set(statusCode="1")),
    ("LGSP-VALID-STATUS-REASON", "$.description", _set(statusCode="02", description=None)),
    (
        "LGSP-ID-UNKNOWN-AGENCY",
        "$.from.code",
        _set(**{"from": {"code": "000.00.00.H98", "name": "?"}}),
    ),
    (
        "LGSP-VALID-DOCUMENT-ID",
        "$.documentId",
        lambda r: r | {"documentId": "000.00.00.G98" + r["documentId"][13:]},
    ),
    ("LGSP-VALID-TOO-LONG", "$.description", _set(description="d" * 501)),
]
LOOKUP_BREAKAGES: list[Breakage] = [
    ("LGSP-ID-CCCD", "$.subjectId", _set(kind="CITIZEN", subjectId="0100109106")),
    ("LGSP-ID-TAX", "$.subjectId", _set(kind="ENTERPRISE", subjectId="0100109107")),
    ("LGSP-VALID-LOOKUP", "$.kind", _set(kind="UNKNOWN")),
    (
        "LGSP-VALID-DATE-ORDER",
        "$.deadlineAt",
        lambda r: r | {"deadlineAt": r["requestedAt"] - timedelta(seconds=1)},
    ),
]
REPLY_BREAKAGES: list[Breakage] = [
    ("LGSP-VALID-LOOKUP", "$.outcome", _set(outcome="FOUND", citizen=None)),
    (
        "LGSP-VALID-LOOKUP",
        "$.citizen",
        lambda r: (
            r
            | {
                "outcome": "NOT_FOUND",
                "citizen": example_record(CATALOG.get("lookup.reply"))["citizen"],
            }
        ),
    ),
    (
        "LGSP-ID-UNKNOWN-AGENCY",
        "$.responder.code",
        _set(responder={"code": "000.00.00.G97", "name": "?"}),
    ),
]
PAYMENT_BREAKAGES: list[Breakage] = [
    (
        "LGSP-VALID-AMOUNT",
        "$.totalAmountVnd",
        lambda r: r | {"totalAmountVnd": r["totalAmountVnd"] + 1},
    ),
    ("LGSP-VALID-CURRENCY", "$.currency", _set(currency="USD")),
    (
        "LGSP-VALID-AMOUNT",
        "$.fees[0].amountVnd",
        lambda r: r | {"fees": [r["fees"][0] | {"amountVnd": -5}]},
    ),
]
RESULT_BREAKAGES: list[Breakage] = [("LGSP-VALID-AMOUNT", "$.amountVnd", _set(amountVnd=-1))]
REPORT_BREAKAGES: list[Breakage] = [
    ("LGSP-VALID-QUARTER", "$.quarter", _set(quarter=5)),
    ("LGSP-VALID-AMOUNT", "$.dossiersLate", _set(dossiersLate=-1)),
]
RECEIPT_BREAKAGES: list[Breakage] = [
    ("LGSP-VALID-DIGEST", "$.valueSha256", _set(valueSha256="ABC")),
    ("LGSP-ID-AGENCY", "$.senderAgency", _set(senderAgency="G22")),
]
# (subject, version, valid records, breakages)
SUBJECTS: list[tuple[str, int, st.SearchStrategy[Record], list[Breakage]]] = [
    ("dossier.status", 1, dossiers(1), DOSSIER_BREAKAGES),
    ("dossier.status", 2, dossiers(2), DOSSIER_BREAKAGES),
    ("document.sent", 1, documents_sent(), SENT_BREAKAGES),
    ("document.status", 1, document_statuses(), STATUS_BREAKAGES),
    ("lookup.request", 1, lookup_requests(), LOOKUP_BREAKAGES),
    ("lookup.reply", 1, lookup_replies(), REPLY_BREAKAGES),
    ("payment.request", 1, payment_requests(), PAYMENT_BREAKAGES),
    ("payment.result", 1, payment_results(), RESULT_BREAKAGES),
    ("report.quarterly", 1, reports(), REPORT_BREAKAGES),
    ("delivery.receipt", 1, receipts(), RECEIPT_BREAKAGES),
]
CASES = [
    pytest.param(subject, version, valid, breakage, id=f"{subject}.v{version}:{breakage[1]}#{n}")
    for subject, version, valid, breakages in SUBJECTS
    for n, breakage in enumerate(breakages)
]


def _both_paths(subject: str, version: int, record: Record) -> list[tuple[str, str]]:
    """Violations (code, path) as the webhook sees the record (plain JSON) and as the gateway
    does (decoded Avro); the two must agree."""
    schema = CATALOG.get(subject, version)
    as_json = [
        (v.code, v.path) for v in violations(subject, from_json(schema, to_json(schema, record)))
    ]
    decoded = CODEC.decode(CODEC.encode(schema, record))
    assert [(v.code, v.path) for v in violations(subject, decoded)] == as_json
    return as_json


@pytest.mark.parametrize(("subject", "version", "valid", "breakage"), CASES)
@FAST
@given(data=st.data())
def test_generated_valid_records_pass_and_each_breakage_is_refused_with_its_code(
    subject: str,
    version: int,
    valid: st.SearchStrategy[Record],
    breakage: Breakage,
    data: st.DataObject,
) -> None:
    """For every subject: a generated valid record has no violation on either path (plain
    JSON, decoded Avro), and the same record broken one way has a violation with that
    breakage's code and path on both."""
    record = data.draw(valid)
    code, path, breaking = breakage
    assert _both_paths(subject, version, record) == []
    assert (code, path) in _both_paths(subject, version, breaking(record))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(CATALOG)).flatmap(lambda s: st.tuples(st.just(s), records(s.parsed))))
def test_the_rules_never_raise_on_any_record_that_fits_its_schema(case: Any) -> None:
    """Arbitrary schema-valid records (random codes, dates, text) get a list of violations,
    never an exception: a raise in the gateway would stall its partition."""
    schema, record = case
    found = violations(schema.subject, record)
    assert all(v.code.startswith("LGSP-") and v.path.startswith("$") for v in found)


_JSONISH = st.recursive(
    st.none() | st.integers() | st.text(alphabet="xy", max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "items", "name"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    record=_JSONISH,
    path=st.sampled_from(["$.a", "$.a.b", "$.items[].name", "$.a[].b[]", "$.items[].a.name"]),
    max_chars=st.integers(0, 6),
)
@example(record={"a": "xyz"}, path="$.a", max_chars=3)
@example(record={"a": "xyz"}, path="$.a", max_chars=2)
@example(record={"items": [{"name": "x"}, {"name": "xyz"}]}, path="$.items[].name", max_chars=2)
@example(record={"a": [{"b": ["x", "xyz"]}]}, path="$.a[].b[]", max_chars=2)
def test_the_quick_length_walk_agrees_with_the_walk_that_names_paths(
    record: Any, path: str, max_chars: int
) -> None:
    """``_fits`` (no paths built) says a record fits exactly when ``values_at`` finds no text
    longer than the limit, on any JSON shape (wrong types, nulls, lists where fields are)."""
    limit = TextLimit("x", path, max_chars, "test", parse_path(path))
    too_long = [
        w for w, v in values_at(record, limit.steps) if isinstance(v, str) and len(v) > max_chars
    ]
    assert _fits(record, limit) is (not too_long)
