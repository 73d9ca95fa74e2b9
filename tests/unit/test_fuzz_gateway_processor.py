"""The gateway's per-record decision under hostile input, without a broker: whatever headers,
key and value a record carries, on its main topic or a retry tier, ``RecordProcessor.handle``
returns an outcome (parked with a code, routed, held...) and never raises. A raise would abort
the partition's transaction and replay the same record for ever."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from tests.gatewayharness import route_yaml, routes_yaml
from tests.processorharness import Rec, hanoi_processor

MAIN = "lgsp.hanoi.dossier.status.v1"
TOPICS = [MAIN, f"{MAIN}.retry.30s", f"{MAIN}.retry.5m"]
TRANSFORM = [
    "schema_version: 1",
    "mask: [owner.idNumber, owner.phone]",
    "redact: [owner.address]",
    "enrich: true",
]
DOCUMENTS = """  - name: documents
    types: [vn.gov.document.sent.v1]
    from: [any]
    deliver: recipients
"""
ROUTES = routes_yaml(
    route_yaml("dossiers-to-portal", "lgsp.hanoi.inbox.000-00-00-g22", transform=TRANSFORM),
    DOCUMENTS,
)
SCHEMA = bundled_catalog().get("dossier.status", 2)
VALUE = AvroCodec().encode(SCHEMA, example_record(SCHEMA))
HEADERS = Envelope.new(
    source="000.01.02.H24",
    type=SCHEMA.event_type,
    dataschema=SCHEMA.dataschema,
    recipients=["000.00.00.G22"],
).to_headers()
NAMES = [
    *sorted({name for name, _ in HEADERS}),
    "lgsp-park-code",
    "lgsp-attempts",
    "lgsp-due-at",
    "lgsp-first-failure",
    "lgsp-original-offset",
    "lgsp-held-behind",
]
VALUES = st.one_of(
    st.binary(max_size=24),
    st.sampled_from(
        [
            b"vn.gov.document.sent.v1",
            b"vn.gov.dossier.status.v9",
            b"000.00.00.G22",
            b"000.01.02.H24,000.00.00.G22",
            b"urn:vn.gov.lgsp:schema:dossier.status:v1",
            b"2026-11-20T02:12:30Z",
            b"1",
            b"LGSP-GW-DEST-MISSING",
            b"",
        ]
    ),
)


def _processor() -> RecordProcessor:
    return hanoi_processor(ROUTES, max_record_bytes=4096)


@st.composite
def hostile_records(draw: st.DrawFn) -> Rec:
    headers = list(HEADERS)
    for name, header in draw(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=4)):
        if draw(st.booleans()):
            headers = [(k, v) for k, v in headers if k != name]
        headers.append((name, header))
    value = draw(
        st.one_of(
            st.just(VALUE),
            st.none(),
            st.binary(max_size=64),
            st.binary(max_size=32).map(lambda b: VALUE[: len(VALUE) // 2] + b),
            st.just(VALUE + b"\x00" * 5000),
        )
    )
    return Rec(
        draw(st.sampled_from(TOPICS)),
        0,
        draw(st.integers(0, 10**6)),
        draw(st.one_of(st.none(), st.binary(max_size=8))),
        value,
        tuple(headers),
    )


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_records(), min_size=1, max_size=6), st.booleans())
def test_handle_returns_an_outcome_for_any_record(records: list[Rec], exists: bool) -> None:
    """Sequences of hostile records through one partition state: every one gets an outcome;
    parked ones carry an LGSP code."""
    processor, state = _processor(), PartitionState(3600)
    for record in records:
        outcome = processor.handle(record, state, 1_800_000_000.0, lambda topic: exists)
        assert outcome.kind in {"routed", "retry", "held", "parked", "duplicate", "waiting"}
        if outcome.kind == "parked":
            assert outcome.code is not None and outcome.code.startswith("LGSP-")


def test_a_hand_written_tier_record_behind_a_held_key_is_held_like_a_fresh_one() -> None:
    """Found by fuzzing: a record written by hand into a retry tier (no park headers) while
    its key waits in a later tier tripped an assertion; it is now taken as a fresh record and
    held behind its key's head."""
    processor, state = _processor(), PartitionState(3600)
    state.park_in_tier(MAIN, None, 1, "head-id")
    record = Rec(f"{MAIN}.retry.30s", 0, 7, None, VALUE, tuple(HEADERS))
    outcome = processor.handle(record, state, 1_800_000_000.0, lambda topic: True)
    assert outcome.kind == "held"
    assert outcome.outputs[0].topic == f"{MAIN}.retry.5m"
