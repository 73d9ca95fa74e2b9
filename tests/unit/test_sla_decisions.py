"""The delivery SLA of sinks: the delay and on-time decisions, the per-connector setting, and
the metrics they feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from bus.yamlconfig import ConfigError
from connectors.config import DeliverySla
from connectors.metrics import ConnectorMetrics
from connectors.registry import load_connector_config
from connectors.sla import delivery_delay_s, sla_outcome

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
SINK = """\
kind: http-sink
name: dms
node: hanoi
agency: 000.01.02.H24
url: http://127.0.0.1:9/inbox
"""


def test_delay_runs_from_ce_time_to_acknowledgement_and_never_below_zero() -> None:
    """Seconds between ce_time and the acknowledgement; a sender clock ahead of ours gives 0."""
    assert delivery_delay_s(T0, T0 + timedelta(minutes=4, seconds=1.5)) == 241.5
    assert delivery_delay_s(T0 + timedelta(seconds=30), T0) == 0.0


def test_a_delivery_at_the_sla_is_on_time_and_after_it_late() -> None:
    """The SLA itself is on time; a millisecond past it is late."""
    assert sla_outcome(300.0, 300.0) == "on_time"
    assert sla_outcome(0.0, 300.0) == "on_time"
    assert sla_outcome(300.001, 300.0) == "late"


def test_the_sla_defaults_to_five_minutes_and_is_overridden_per_event_type(
    tmp_path: Path,
) -> None:
    """A sink file without `sla` gets 300 s; `sla.seconds` and `sla.by_event_type` override
    it, the latter for its type only."""
    path = tmp_path / "sink.yaml"
    path.write_text(SINK)
    assert load_connector_config(path).sla.for_type("vn.gov.dossier.status.v1") == 300.0  # type: ignore[attr-defined]
    path.write_text(
        SINK + "sla:\n  seconds: 900\n  by_event_type:\n    vn.gov.dossier.status.v1: 60\n"
    )
    sla: DeliverySla = load_connector_config(path).sla  # type: ignore[attr-defined]
    assert sla.for_type("vn.gov.dossier.status.v1") == 60.0
    assert sla.for_type("vn.gov.document.sent.v1") == 900.0


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("sla:\n  seconds: 0\n", "greater than 0"),
        ("sla:\n  by_event_type:\n    vn.gov.nothing.v1: 60\n", "vn.gov.nothing.v1"),
        ("sla:\n  by_event_type:\n    vn.gov.dossier.status.v1: -5\n", "above 0"),
        ("sla:\n  second: 60\n", "second"),
    ],
)
def test_a_bad_sla_is_refused_with_its_line(tmp_path: Path, block: str, problem: str) -> None:
    """A zero or negative SLA, an unknown event type or a misspelt key is a config error."""
    path = tmp_path / "sink.yaml"
    path.write_text(SINK + block)
    with pytest.raises(ConfigError) as caught:
        load_connector_config(path)
    assert caught.value.code == "LGSP-CONFIG-INVALID"
    assert problem in str(caught.value)
    assert re.search(r"line [678]: sla\.", str(caught.value))


def test_deliveries_are_counted_per_agency_and_type_with_both_outcomes_present() -> None:
    """Two on-time deliveries and one late: the counter, histogram and SLA gauge carry node,
    connector, agency and event type; the late series exists (0) after on-time ones alone."""
    registry = CollectorRegistry()
    metrics = ConnectorMetrics(registry, "dms")
    labels = {
        "node": "hanoi",
        "connector": "dms",
        "agency": "000.01.02.H24",
        "event_type": "vn.gov.dossier.status.v1",
    }
    metrics.delivered_in("hanoi", "000.01.02.H24", "vn.gov.dossier.status.v1", 2.0, 300.0)

    def value(name: str, **extra: str) -> float | None:
        return registry.get_sample_value(name, labels | extra)

    assert value("lgsp_connector_deliveries_total", outcome="late") == 0.0
    metrics.delivered_in("hanoi", "000.01.02.H24", "vn.gov.dossier.status.v1", 250.0, 300.0)
    metrics.delivered_in("hanoi", "000.01.02.H24", "vn.gov.dossier.status.v1", 7200.0, 300.0)
    assert value("lgsp_connector_deliveries_total", outcome="on_time") == 2.0
    assert value("lgsp_connector_deliveries_total", outcome="late") == 1.0
    assert value("lgsp_connector_delivery_seconds_count") == 3.0
    assert value("lgsp_connector_delivery_seconds_bucket", le="300.0") == 2.0
    assert value("lgsp_connector_delivery_seconds_bucket", le="3600.0") == 2.0
    assert value("lgsp_connector_delivery_seconds_bucket", le="14400.0") == 3.0
    assert value("lgsp_connector_delivery_sla_seconds") == 300.0
