"""The generated traffic (the demo's and the tracker's) is coherent and keeps the standards'
rules: a dossier keeps what it was filed with and each date comes with its status, a document
carries its own sender's number and notation and the date of its id, status feedback follows
the edXML codes' order, and every record passes ``schemas.validation`` (the demo posts its
dossiers to the webhook, which refuses any that does not)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import yaml

from gateway.routing.table import RouteTable, RoutingTableSpec
from lgsp.demo.document_traffic import FEEDBACK_PATH, NOTATIONS
from lgsp.demo.dossier_traffic import DOSSIER_PATH
from lgsp.demo.nodes import ROLES, routes
from lgsp.demo.traffic import VIETNAM, Workload
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.ids import bundled_directory
from schemas.jsonform import from_json
from schemas.validation import document_id, violations
from tracker.traffic import TrafficSpec, generate_quarter, outgoing_records

CODEC = AvroCodec()
KEPT = ("procedureCode", "procedureName", "owner", "channel", "receivedAt", "summary", "dueAt")
FEEDBACK_ORDER = ["01", "02", "03", "04", "05", "06"]


def _demo_records(count: int) -> list[tuple[str, dict[str, Any]]]:
    """(subject, decoded record) of ``count`` demo records, webhook posts read as the webhook
    reads them; the deliberately bad ones left out."""
    workload = Workload(bundled_directory(), seed=11)
    dossier = bundled_catalog().get("dossier.status", 2)
    found = []
    for published in workload.next_records(count):
        if published.kind == "bad":
            continue
        if published.post is not None:
            found.append(("dossier.status", from_json(dossier, published.post.body)))
        else:
            assert published.record is not None
            value = published.record.value or b""
            found.append((CODEC.writer_of(value).subject, CODEC.decode(value)))
    return found


def _tracker_records() -> list[tuple[str, dict[str, Any]]]:
    events = generate_quarter(TrafficSpec(dossiers=400, documents=60, seed=3))
    return [
        (CODEC.writer_of(r.value or b"").subject, CODEC.decode(r.value or b""))
        for r in outgoing_records(events, "hanoi")
    ]


def _check_dossiers(records: Iterable[Mapping[str, Any]], *, path: tuple[int, ...] | None) -> int:
    lives: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        lives[record["dossierCode"]].append(record)
    for code, events in lives.items():
        first = events[0]
        for event in events[1:]:
            for name in KEPT:
                assert event[name] == first[name], (code, name)
        statuses = [e["statusCode"] for e in events]
        if path is not None:
            assert statuses == list(path[: len(statuses)]), (code, statuses)
        for event in events:
            assert (event["finishedAt"] is not None) <= (event["statusCode"] in (9, 10)), code
            assert (event["returnedAt"] is not None) <= (event["statusCode"] == 10), code
            if event["statusCode"] == 10:
                assert event["returnedAt"] is not None, code
        assert [e["changedAt"] for e in events] == sorted(e["changedAt"] for e in events)
    return len(lives)


def _check_documents(records: list[tuple[str, dict[str, Any]]], *, demo: bool) -> int:
    sent = {}
    for subject, record in records:
        if subject != "document.sent":
            continue
        sender = record["sender"]["code"]
        assert record["documentId"] == document_id(
            sender, record["promulgationDate"], record["codeNumber"], record["codeNotation"]
        )
        assert record["sentAt"].astimezone(VIETNAM).date() == record["promulgationDate"]
        if demo:
            assert record["codeNotation"].startswith(NOTATIONS.get(sender, "VP-UBND") + "-")
        sent[record["documentId"]] = record
    numbers = [(d["sender"]["code"], d["codeNumber"], d["codeNotation"]) for d in sent.values()]
    assert len(set(numbers)) == len(numbers)  # no two documents share a number
    feedback: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
    for subject, record in records:
        if subject == "document.status":
            document = sent[record["documentId"]]  # feedback on a document that was sent
            assert record["documentSender"] == document["sender"]["code"]
            assert record["from"]["code"] in {r["code"] for r in document["recipients"]}
            key = (record["documentId"], record["from"]["code"])
            feedback[key].append((record["statusAt"], record["statusCode"]))
    for key, statuses in feedback.items():
        codes = [code for _, code in sorted(statuses)]
        assert codes == sorted(codes, key=FEEDBACK_ORDER.index), (key, codes)
        assert len(set(codes)) == len(codes)
        if demo:
            assert codes == list(FEEDBACK_PATH[: len(codes)])
    return len(feedback)


def _broken(records: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [f"{subject}: {v}" for subject, record in records for v in violations(subject, record)]


def test_demo_traffic_is_coherent_and_keeps_every_rule() -> None:
    """3,000 demo records: dossiers keep their procedure, owner, channel, receipt, summary and
    due date and follow 1-2-4-9-10 with each date at its status; documents carry their own
    number, notation and date; feedback follows 01-03-04-05-06; none breaks a rule."""
    records = _demo_records(3000)
    assert _broken(records) == []
    dossiers = _check_dossiers((r for s, r in records if s == "dossier.status"), path=DOSSIER_PATH)
    assert dossiers > 100 and _check_documents(records, demo=True) > 10
    kinds = {subject for subject, _ in records}
    assert {"dossier.status", "document.sent", "document.status", "lookup.request"} <= kinds


def test_demo_bad_records_are_bad_only_in_their_envelope_or_route() -> None:
    """The demo's deliberately bad records (another province's sender, no ce_type) keep the
    standards' rules in their value: what the gateway refuses them for is their headers."""
    workload = Workload(bundled_directory(), seed=5, bad_share=1.0)
    for published in workload.next_records(40):
        assert published.kind == "bad" and published.record is not None
        value = published.record.value or b""
        assert violations(CODEC.writer_of(value).subject, CODEC.decode(value)) == []
        headers = published.record.headers
        if any(name == "ce_type" for name, _ in headers):
            envelope = Envelope.from_headers(headers)
            assert envelope.source in {"000.00.00.H24", "000.00.00.H15"}


def test_tracker_traffic_is_coherent_and_keeps_every_rule() -> None:
    """A tracker quarter (400 dossiers, 60 documents): the same coherence, and no record
    breaks a rule once encoded and decoded as the gateway reads it."""
    records = _tracker_records()
    assert _broken(records) == []
    assert _check_dossiers((r for s, r in records if s == "dossier.status"), path=None) == 400
    assert _check_documents(records, demo=False) > 60


def test_every_good_demo_record_has_a_route_on_the_node_it_is_published_on() -> None:
    """Status feedback is published on its recipient's own node, documents and look-ups where
    their routes are: none of the good records would be parked as LGSP-GW-NO-ROUTE."""
    directory = bundled_directory()
    tables = {
        role: RouteTable(
            RoutingTableSpec.model_validate(
                yaml.safe_load(routes(role)), context={"catalog": bundled_catalog()}
            ),
            role,
            directory,
        )
        for role in ROLES
    }
    unrouted = []
    for published in Workload(directory, seed=7).next_records(3000):
        if published.record is None or published.kind == "bad":
            continue
        envelope = Envelope.from_headers(published.record.headers)
        decision = tables[published.role].decide(
            envelope.type, envelope.source, envelope.recipients
        )
        if decision.park_code is not None:
            unrouted.append((published.role, published.kind, envelope.source, decision.park_code))
    assert unrouted == []
