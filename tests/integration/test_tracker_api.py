"""A tracker running in-process against the real broker: the look-up API answers what the
portal shows (and no personal data), lists filter, errors carry stable codes, a malformed
event is parked with its reason while tracking goes on, and gauges are exported."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import httpx
from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord, topic_partitions
from bus.settings import Settings
from schemas.envelope import Envelope
from schemas.parking import read_park_info
from tests import trackerrecompute as recompute
from tracker.config import ApiConfig, TrackerConfig
from tracker.periods import parse_period
from tracker.runner import run_tracker
from tracker.topics import DOSSIER_STATUS, tracker_topic
from tracker.traffic import TrafficSpec, generate_quarter, outgoing_records
from tracker.workdays import local_date


def node_name() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


async def test_lookup_api_lists_errors_parking_and_metrics(kafka_bootstrap: str) -> None:
    """Dossier and document look-ups, filtered lists, 404/422 codes, a parked bad record."""
    node = node_name()
    events = generate_quarter(TrafficSpec(dossiers=300, documents=40, seed=3))
    records = outgoing_records(events, node)
    bad = OutgoingRecord(
        topic=f"lgsp.{node}.dossier.status.v1",
        key=b"H24.bad",
        value=b"not avro",
        headers=Envelope.new(source="000.00.12.H24", type=DOSSIER_STATUS).to_headers(),
    )
    config = TrackerConfig(node=node, clock="events", api=ApiConfig(port=0), max_batch=200)
    registry = CollectorRegistry()
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    async with run_tracker(config, settings, registry) as tracker:
        async with KafkaPublisher(kafka_bootstrap) as publisher:
            for record in [bad, *records]:
                await publisher.enqueue(record)
            await publisher.flush()
        await tracker.wait_caught_up(timeout_s=120)
        tracker.engine.metrics.refresh(tracker.engine.state, tracker.now_ms())
        dossier_event = next(e for e in events if e.event_type == DOSSIER_STATUS)
        document_event = next(e for e in events if e.event_type == "vn.gov.document.sent.v1")
        async with httpx.AsyncClient(base_url=tracker.api_url, timeout=30) as client:
            found = await client.get(f"/dossiers/{dossier_event.key}")
            assert found.status_code == 200
            body = found.json()
            assert body["agency_code"] == dossier_event.source
            assert body["history"] and body["status_label"]
            owner = dossier_event.record["owner"]
            assert owner["idNumber"] not in found.text and owner["phone"] not in found.text

            missing = await client.get("/dossiers/H24.0000-000000-0000")
            assert missing.status_code == 404
            assert missing.json()["code"] == "LGSP-TRACKER-NOT-FOUND"
            for bad_query in (
                "/dossiers?period=2026Q9",
                "/dossiers?status=x",
                "/figures?group_by=x",
            ):
                refused = await client.get(bad_query)
                assert refused.status_code == 422, bad_query
                assert refused.json()["code"] == "LGSP-TRACKER-QUERY"

            agency = dossier_event.source
            listed = (await client.get("/dossiers", params={"agency": agency, "limit": 5})).json()
            expected = sum(
                1 for d in tracker.engine.state.dossiers.values() if d.agency_code == agency
            )
            assert listed["total"] == expected and len(listed["items"]) == min(5, expected)
            overdue = (
                await client.get("/dossiers", params={"overdue": "true", "limit": 1000})
            ).json()
            as_of = tracker.now_ms()
            final = recompute.final_dossiers(
                e.record for e in events if e.event_type == DOSSIER_STATUS
            )
            want_overdue = sorted(
                code for code, d in final.items() if recompute.outcome(d, as_of) == "overdue"
            )
            assert want_overdue, "the generated quarter has overdue dossiers"
            assert sorted(item["dossier_code"] for item in overdue["items"]) == want_overdue
            july = parse_period("2026-07")
            in_july = (await client.get("/dossiers", params={"period": "2026-07"})).json()
            assert in_july["total"] == sum(
                1 for d in final.values() if july.contains(d["receivedAt"])
            )

            document = await client.get(f"/documents/{quote(document_event.key, safe='')}")
            assert document.status_code == 200
            codes = {r["agency_code"] for r in document.json()["recipients"]}
            assert codes == {r["code"] for r in document_event.record["recipients"]}
            late_docs = (
                await client.get("/documents", params={"overdue": "true", "limit": 1000})
            ).json()
            documents = recompute.document_states(
                (e.record for e in events if e.event_type == "vn.gov.document.sent.v1"),
                (e.record for e in events if e.event_type == "vn.gov.document.status.v1"),
            )
            due = {
                e.key: e.record["dueDate"]
                for e in events
                if e.event_type == "vn.gov.document.sent.v1"
            }
            today = local_date(as_of)
            want_late = sorted(
                doc_id
                for doc_id, recipients in documents.items()
                if due[doc_id] < today
                and any(s not in ("06", "02", "15") for s in recipients.values())
            )
            assert want_late, "the generated quarter has overdue documents"
            assert sorted(d["document_id"] for d in late_docs["items"]) == want_late

            figures = (await client.get("/figures", params={"group_by": "channel"})).json()
            assert sum(g["received"] for g in figures["groups"].values()) == len(
                tracker.engine.state.dossiers
            )
            report = await client.get("/reports/2026Q3", params={"format": "csv"})
            assert report.text.startswith("report_id,agency_code")
            metrics = (await client.get("/metrics")).text
            assert f'lgsp_tracker_backlog_dossiers{{agency="{agency}"}}' in metrics
            assert 'lgsp_tracker_events_total{outcome="parked"' in metrics
            assert (await client.get("/openapi.json")).json()["info"]["title"] == "LGSP tracker"

    parked_topic = tracker_topic(node, "parked")
    async with LogReader(kafka_bootstrap) as reader:
        parked = await reader.read(
            dict.fromkeys(await topic_partitions(kafka_bootstrap, [parked_topic]))
        )
    assert [r.key for r in parked] == [b"H24.bad"]
    info = read_park_info(parked[0].headers)
    assert info is not None and info.code.startswith("LGSP-CODEC")
