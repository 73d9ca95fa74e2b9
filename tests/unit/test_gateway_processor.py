"""The gateway's per-record decisions, without a broker: route, dedup, retry, hold, park,
transform."""

from __future__ import annotations

from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from gateway.routing.records import Outcome
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.parking import read_park_info
from schemas.validation import VALIDATED_HEADER, ruleset_id
from tests.coherent import at_status
from tests.processorharness import Rec, hanoi_processor

MAIN = "lgsp.hanoi.dossier.status.v1"
PORTAL = "lgsp.hanoi.inbox.000-00-00-g22"
ROUTES = f"""
routes:
  - name: dossiers-to-portal
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H24]
    deliver: topic
    topic: {PORTAL}
    transform:
      schema_version: 1
      mask: [owner.idNumber, owner.phone]
      redact: [owner.address]
      enrich: true
      headers: {{lgsp-channel: portal}}
"""
CODEC = AvroCodec()


def _processor() -> RecordProcessor:
    return hanoi_processor(ROUTES)


def _dossier(offset: int, code: str = "H24.22-0001", status: int = 4, topic: str = MAIN) -> Rec:
    schema = bundled_catalog().get("dossier.status", 2)
    value = CODEC.encode(schema, at_status(example_record(schema), status) | {"dossierCode": code})
    envelope = Envelope.new(
        source="000.01.02.H24", type=schema.event_type, dataschema=schema.dataschema
    )
    return Rec(topic, 0, offset, code.encode(), value, tuple(envelope.to_headers()))


def _handle(
    processor: RecordProcessor, record: Rec, state: PartitionState, now: float, exists: bool = True
) -> Outcome:
    return processor.handle(record, state, now, lambda topic: exists)


def test_a_routed_dossier_is_converted_masked_enriched_and_marked() -> None:
    """v2 becomes v1 for the portal, the CCCD and phone are masked, the address dropped,
    agency names added; the ce_id is remembered for dedup."""
    processor, state = _processor(), PartitionState(3600)
    record = _dossier(0)
    outcome = _handle(processor, record, state, 1000.0)
    assert outcome.kind == "routed" and outcome.routes == ("dossiers-to-portal",)
    [out] = outcome.outputs
    headers = dict(out.headers)
    assert out.topic == PORTAL and out.key == record.key
    assert headers["ce_dataschema"] == b"urn:vn.gov.lgsp:schema:dossier.status:v1"
    assert headers["lgsp-channel"] == b"portal"
    assert headers["lgsp-source-name"] == "UBND phường Phúc Xá".encode()
    assert out.value is not None
    assert CODEC.writer_of(out.value) is bundled_catalog().get("dossier.status", 1)
    owner = CODEC.decode(out.value)["owner"]
    assert owner["idNumber"] == "001*******45" and owner["phone"] == "091*****78"
    assert owner["address"] is None and owner["name"] == "Lê Minh Châu"
    assert state.seen(dict(record.headers)["ce_id"].decode(), 1001.0)
    assert _handle(processor, record, state, 1001.0).kind == "duplicate"


def test_a_missing_destination_retries_then_holds_the_key_then_delivers_in_order() -> None:
    """First failure goes to the 30s tier; a later status of the same dossier is held behind it
    (due at once, but behind it in the tier); when due, both are delivered in order."""
    processor, state = _processor(), PartitionState(3600)
    first, second = _dossier(0, status=4), _dossier(1, status=9)
    retried = _handle(processor, first, state, 1000.0, exists=False)
    assert retried.kind == "retry" and retried.code == "LGSP-GW-DEST-MISSING"
    [parked] = retried.outputs
    info = read_park_info(parked.headers)
    assert parked.topic == MAIN + ".retry.30s" and parked.partition == 0
    assert info is not None and info.attempts == 1 and info.due_at is not None
    assert info.due_at.timestamp() == 1030.0 and info.original_offset == 0

    held = _handle(processor, second, state, 1001.0)
    assert held.kind == "held" and held.outputs[0].topic == MAIN + ".retry.30s"
    held_info = read_park_info(held.outputs[0].headers)
    assert held_info is not None and held_info.held_behind == dict(first.headers)["ce_id"].decode()

    tier_first = Rec(parked.topic, 0, 0, parked.key, parked.value, parked.headers)
    tier_second = Rec(
        parked.topic, 0, 1, held.outputs[0].key, held.outputs[0].value, held.outputs[0].headers
    )
    assert _handle(processor, tier_first, state, 1010.0).kind == "waiting"
    assert _handle(processor, tier_first, state, 1031.0).kind == "routed"
    assert state.hold_of(MAIN, first.key) is not None  # the held one still waits
    assert _handle(processor, tier_second, state, 1031.0).kind == "routed"
    assert state.hold_of(MAIN, first.key) is None


def test_a_record_failing_in_the_last_tier_is_dead_lettered() -> None:
    """After the 5m tier the record goes to the DLQ with attempts 2 and its first failure."""
    processor, state = _processor(), PartitionState(3600)
    record = _dossier(7)
    [in_30s] = _handle(processor, record, state, 1000.0, exists=False).outputs
    moved = _handle(
        processor,
        Rec(in_30s.topic, 0, 0, in_30s.key, in_30s.value, in_30s.headers),
        state,
        1031.0,
        exists=False,
    )
    [in_5m] = moved.outputs
    assert moved.kind == "retry" and in_5m.topic == MAIN + ".retry.5m"
    dead = _handle(
        processor,
        Rec(in_5m.topic, 0, 0, in_5m.key, in_5m.value, in_5m.headers),
        state,
        1400.0,
        exists=False,
    )
    info = read_park_info(dead.outputs[0].headers)
    assert dead.kind == "parked" and dead.outputs[0].topic == MAIN + ".dlq"
    assert info is not None and info.code == "LGSP-GW-RETRIES-EXHAUSTED" and info.attempts == 2
    assert info.first_failure.timestamp() == 1000.0 and info.original_offset == 7
    assert state.hold_of(MAIN, record.key) is None


def test_a_record_without_cloudevents_headers_is_dead_lettered_with_the_envelope_code() -> None:
    """Missing ce_ headers: straight to the DLQ (no retry can fix it), value kept."""
    processor, state = _processor(), PartitionState(3600)
    bare = Rec(MAIN, 0, 3, b"k", b"\xc3\x01garbage", (("content-type", b"application/avro"),))
    outcome = _handle(processor, bare, state, 1000.0)
    info = read_park_info(outcome.outputs[0].headers)
    assert outcome.kind == "parked" and info is not None and info.code == "LGSP-ENVELOPE-MISSING"
    assert outcome.outputs[0].value == bare.value


def test_a_value_the_transform_cannot_decode_is_dead_lettered() -> None:
    """A route that must decode meets corrupt bytes stamped as validated (so admission does not
    decode them): LGSP-GW-TRANSFORM, not a crash."""
    processor, state = _processor(), PartitionState(3600)
    good = _dossier(0)
    stamped = (*good.headers, (VALIDATED_HEADER, ruleset_id().encode()))
    corrupt = Rec(MAIN, 0, 0, good.key, (good.value or b"")[:20], stamped)
    outcome = _handle(processor, corrupt, state, 1000.0)
    info = read_park_info(outcome.outputs[0].headers)
    assert outcome.kind == "parked" and info is not None and info.code == "LGSP-GW-TRANSFORM"
    assert "LGSP-CODEC-CORRUPT" in info.reason


def test_dedup_forgets_ids_after_the_window() -> None:
    """An id routed longer ago than the window is routed again (and pruned from memory)."""
    state = PartitionState(dedup_window_s=60)
    state.mark_routed("a", 1000.0)
    assert state.seen("a", 1050.0) and not state.seen("a", 1061.0)
    assert state.prune(1061.0) == 1 and not state.routed


def test_an_unstamped_record_that_breaks_a_rule_is_parked_with_the_rule_code() -> None:
    """A dossier with status 99 published without the SDK's stamp is decoded, checked and
    parked with LGSP-VALID-DOSSIER-STATUS and its path, never routed."""
    processor, state = _processor(), PartitionState(3600)
    outcome = _handle(processor, _dossier(0, status=99), state, 1000.0)
    info = read_park_info(outcome.outputs[0].headers)
    assert outcome.kind == "parked" and info is not None
    assert info.code == "LGSP-VALID-DOSSIER-STATUS" and "$.statusCode" in info.reason
    assert outcome.outputs[0].topic.endswith(".dlq")


def test_a_stamped_record_is_routed_without_being_decoded() -> None:
    """A record stamped with the gateway's rule set is routed on its headers alone: admission
    decodes nothing (its counter stays at 0) even when the value would break a rule."""
    processor, state = _processor(), PartitionState(3600)
    record = _dossier(0, status=99)
    stamped = Rec(
        MAIN,
        0,
        0,
        record.key,
        record.value,
        (*record.headers, (VALIDATED_HEADER, ruleset_id().encode())),
    )
    outcome = _handle(processor, stamped, state, 1000.0)
    assert outcome.kind == "routed" and processor.admission.checked == 0


def test_a_record_stamped_with_other_rules_is_checked_again() -> None:
    """A stamp of another rule set (an SDK of older rules) does not count: the value is
    decoded and checked, and a coherent dossier is routed."""
    processor, state = _processor(), PartitionState(3600)
    record = _dossier(0, status=4)
    stale = Rec(
        MAIN, 0, 0, record.key, record.value, (*record.headers, (VALIDATED_HEADER, b"0.old"))
    )
    outcome = _handle(processor, stale, state, 1000.0)
    assert outcome.kind == "routed" and processor.admission.checked == 1
