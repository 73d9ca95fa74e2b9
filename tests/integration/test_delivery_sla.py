"""The delivery SLA of a sink on the real broker: an HTTP sink delivers to an agency system on
loopback, records with an old ce_time are counted late and fresh ones on time, and a real
Prometheus scraping the sink reads the same figures and evaluates the SLA rules on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from bus.kafka import TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from schemas.topics import inbox_topic
from tests.connectorharness import WARD, AgencyApp, private_node, publish_dossiers
from tests.prometheusharness import query, query_until, running_prometheus, values

DOSSIER_TYPE = "vn.gov.dossier.status.v1"


def _count(result: list[dict[str, Any]], outcome: str, expected: float) -> bool:
    return values(result, "outcome").get(outcome) == expected


async def test_old_records_are_late_fresh_ones_on_time_and_prometheus_alerts_on_the_agency(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """With a 60 s SLA and 900 s for dossier statuses: fresh and 10-minute-old dossiers are on
    time, 2-hour-old ones late; the sink's registry and a real Prometheus scraping it agree
    (10 on time, 3 late, p95 between 2 and 4 hours), and LgspDeliverySlaBreached goes pending
    for the agency."""
    node = private_node()
    inbox = inbox_topic(node, WARD)
    await ensure_topics(kafka_bootstrap, [TopicSpec(inbox, 2)])
    registry = CollectorRegistry()
    now = datetime.now(UTC)
    config = HttpSinkConfig.model_validate(
        {
            "name": "dms",
            "node": node,
            "agency": WARD,
            "bootstrap_servers": kafka_bootstrap,
            "url": "http://127.0.0.1:9/inbox",  # replaced below, once the agency app listens
            "metrics_port": 0,
            "sla": {"seconds": 60, "by_event_type": {DOSSIER_TYPE: 900}},
        }
    )
    labels = f'node="{node}", agency="{WARD}", event_type="{DOSSIER_TYPE}", connector="dms"'
    outcomes = f"sum by (outcome) (lgsp_connector_deliveries_total{{{labels}}})"
    async with AgencyApp().serve() as agency:
        config = config.model_copy(update={"url": f"{agency.url}/inbox"})
        async with run_connector(config, Settings(), registry=registry) as running:
            target = f"127.0.0.1:{running.metrics_port}"
            async with running_prometheus(tmp_path, {"lgsp-connector": [target]}) as client:
                # one delivery first, scraped, so Prometheus sees the counters grow from it
                await publish_dossiers(kafka_bootstrap, inbox, ["H24.22-first"])
                first = await query_until(client, outcomes, lambda r: _count(r, "on_time", 1))
                fresh = await publish_dossiers(
                    kafka_bootstrap, inbox, [f"H24.22-new-{i}" for i in range(5)]
                )
                recent = await publish_dossiers(
                    kafka_bootstrap,
                    inbox,
                    [f"H24.22-10min-{i}" for i in range(4)],
                    time=now - timedelta(minutes=10),
                )
                old = await publish_dossiers(
                    kafka_bootstrap,
                    inbox,
                    [f"H24.22-2h-{i}" for i in range(3)],
                    time=now - timedelta(hours=2),
                )
                scraped = await query_until(client, outcomes, lambda r: _count(r, "late", 3))
                p95 = await query(
                    client,
                    "histogram_quantile(0.95, sum by (le) "
                    f"(lgsp_connector_delivery_seconds_bucket{{{labels}}}))",
                )
                alert = f'ALERTS{{alertname="LgspDeliverySlaBreached", agency="{WARD}"}}'
                pending = await query_until(client, alert, bool)
                late_ratio = await query(
                    client,
                    "node_agency_connector:lgsp_connector_deliveries_late:ratio_rate30m"
                    f'{{node="{node}", agency="{WARD}"}}',
                )
    assert values(first, "outcome") == {"on_time": 1.0, "late": 0.0}
    assert set(agency.received) >= {*fresh, *recent, *old}
    assert values(scraped, "outcome") == {"on_time": 10.0, "late": 3.0}

    def sample(name: str, **extra: str) -> float | None:
        base = {"node": node, "connector": "dms", "agency": WARD, "event_type": DOSSIER_TYPE}
        return registry.get_sample_value(name, base | extra)

    assert sample("lgsp_connector_deliveries_total", outcome="on_time") == 10
    assert sample("lgsp_connector_deliveries_total", outcome="late") == 3
    assert sample("lgsp_connector_delivery_seconds_count") == 13
    assert sample("lgsp_connector_delivery_seconds_bucket", le="60.0") == 6  # the fresh ones
    assert sample("lgsp_connector_delivery_seconds_bucket", le="900.0") == 10
    assert sample("lgsp_connector_delivery_seconds_bucket", le="7200.0") == 10
    assert sample("lgsp_connector_delivery_sla_seconds") == 900
    assert 7200 < float(p95[0]["value"][1]) <= 14400
    assert pending and pending[0]["metric"]["alertstate"] == "pending"
    assert (pending[0]["metric"]["connector"], pending[0]["metric"]["node"]) == ("dms", node)
    # 3 of the 12 deliveries Prometheus saw happen were late: far above the 5% threshold
    assert late_ratio and 0.05 < float(late_ratio[0]["value"][1]) < 1
