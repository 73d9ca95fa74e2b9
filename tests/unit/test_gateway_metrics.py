"""The gateway's per-batch counting: every outcome of a committed batch lands in its series,
under the right labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from gateway.metrics import GatewayMetrics
from gateway.routing.records import Outcome, OutcomeKind

TYPE, OTHER = "vn.gov.dossier.status.v1", "vn.gov.payment.result.v1"
WARD, MINISTRY = "000.01.02.H24", "000.00.00.G12"


def _totals(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "node"))): s.value
        for m in registry.collect()
        for s in m.samples
        if s.name.endswith("_total") and s.value
    }


def test_a_batch_counts_each_outcome_by_kind_route_type_and_source() -> None:
    """Records in by event type and the source's level-1 agency; routed ones out per route
    (a record of two routes counts on both); the others under their kind (and code); every
    routed one with a ce_time in the end-to-end histogram."""
    registry = CollectorRegistry()
    metrics = GatewayMetrics(registry, "hanoi")
    sent = datetime.now(UTC) - timedelta(seconds=3)
    routed = Outcome(OutcomeKind.ROUTED, event_type=TYPE, source=WARD, routes=("portal",),
                     sent_at=sent)  # fmt: skip
    outcomes = [
        routed,
        routed,
        routed._replace(routes=("portal", "archive"), source=MINISTRY),
        Outcome(OutcomeKind.ROUTED, event_type=OTHER, source=WARD, routes=("pay",)),
        Outcome(OutcomeKind.PARKED, code="LGSP-X", event_type=TYPE, source=WARD),
        Outcome(OutcomeKind.RETRY, code="LGSP-Y", event_type=TYPE, source=WARD),
        Outcome(OutcomeKind.DUPLICATE, event_type=TYPE, source=WARD),
        Outcome(OutcomeKind.HELD, event_type=OTHER, source=MINISTRY),
    ]
    metrics.count(outcomes, 0.01)
    province = "000.00.00.H24"  # the ward's level-1 agency

    def records_in(event_type: str, source: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        labels = (("event_type", event_type), ("source", source), ("stage", "main"))
        return ("lgsp_gateway_records_in_total", labels)

    assert _totals(registry) == {
        records_in(TYPE, province): 5,
        records_in(TYPE, MINISTRY): 1,
        records_in(OTHER, province): 1,
        records_in(OTHER, MINISTRY): 1,
        ("lgsp_gateway_records_out_total", (("event_type", TYPE), ("route", "portal"))): 3,
        ("lgsp_gateway_records_out_total", (("event_type", TYPE), ("route", "archive"))): 1,
        ("lgsp_gateway_records_out_total", (("event_type", OTHER), ("route", "pay"))): 1,
        ("lgsp_gateway_parked_total", (("code", "LGSP-X"), ("event_type", TYPE))): 1,
        ("lgsp_gateway_retries_total", (("code", "LGSP-Y"), ("event_type", TYPE))): 1,
        ("lgsp_gateway_duplicates_total", (("event_type", TYPE),)): 1,
        ("lgsp_gateway_held_total", (("event_type", OTHER),)): 1,
    }  # fmt: skip
    labels = {"node": "hanoi", "event_type": TYPE}
    assert registry.get_sample_value("lgsp_gateway_end_to_end_seconds_count", labels) == 3
    total = registry.get_sample_value("lgsp_gateway_end_to_end_seconds_sum", labels)
    assert total is not None and 9 <= total < 12
