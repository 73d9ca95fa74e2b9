"""A generated quarter of a province's dossier and document traffic, replayed into a tracker
process that is SIGKILLed in the middle and restarted: every figure then matches an independent
recomputation from the raw events, and no event was processed twice or skipped.

Volume: ``LGSP_TRACKER_REPLAY_DOSSIERS`` dossiers (default 10,000, about 58,000 events); the
full-size run is ``bench/tracker_bench.py``.
"""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka.errors import GroupCoordinatorNotAvailableError
from prometheus_client import CollectorRegistry

from bus.kafka import LogReader, topic_partitions
from bus.kafka.factory import PLAINTEXT, new_admin
from bus.settings import Settings
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from tests import trackerrecompute as recompute
from tracker.config import ApiConfig, TrackerConfig
from tracker.documents import RECIPIENT_STATES
from tracker.periods import parse_period
from tracker.replay import replay_quarter
from tracker.runner import run_tracker
from tracker.topics import report_topic, source_topics
from tracker.traffic import TrafficSpec

DOSSIERS = int(os.environ.get("LGSP_TRACKER_REPLAY_DOSSIERS", "10000"))


async def committed_total(bootstrap: str, group: str) -> int:
    admin = new_admin(bootstrap, PLAINTEXT)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except GroupCoordinatorNotAvailableError:
        return 0  # the group has not committed yet
    finally:
        await admin.close()
    return sum(max(0, meta.offset) for meta in offsets.values())


async def raw_events(bootstrap: str, node: str) -> dict[str, list[dict[str, Any]]]:
    """Every source record decoded, by event type, in log order per partition."""
    codec = AvroCodec(bundled_catalog())
    out: dict[str, list[dict[str, Any]]] = {}
    async with LogReader(bootstrap) as reader:
        for topic, event_type in source_topics(node).items():
            partitions = await topic_partitions(bootstrap, [topic])
            reader_schema = bundled_catalog().for_event_type(event_type)
            records = await reader.read(dict.fromkeys(partitions))
            out[event_type] = [codec.decode(r.value, reader=reader_schema) for r in records]
    return out


async def test_sigkill_mid_quarter_then_every_figure_matches(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Kill -9 mid-replay, restart: tables restored, remainder processed once, figures exact."""
    node = f"t{uuid.uuid4().hex[:8]}"
    config_file = tmp_path / "tracker.yaml"
    config_file.write_text(
        f"node: {node}\nagency: 000.00.00.H24\nclock: events\nmax_batch: 500\n"
        "api: {host: 127.0.0.1, port: 0}\n",
        encoding="utf-8",
    )
    spec = TrafficSpec(dossiers=DOSSIERS, documents=DOSSIERS // 10, seed=11)
    total = len(await replay_quarter(kafka_bootstrap, node, spec))

    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": kafka_bootstrap, "LGSP_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "lgsp", "tracker", "run", "--config", str(config_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    group = f"lgsp-tracker-{node}"
    try:
        deadline = time.monotonic() + 180
        while (done := await committed_total(kafka_bootstrap, group)) < total * 0.4:
            assert process.returncode is None, "the tracker stopped before it was killed"
            assert time.monotonic() < deadline, f"tracker too slow: {done}/{total}"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == -signal.SIGKILL
    committed_at_kill = await committed_total(kafka_bootstrap, group)
    assert 0 < committed_at_kill < total, "the kill must land in the middle of the replay"

    config = TrackerConfig(node=node, agency="000.00.00.H24", clock="events", api=ApiConfig(port=0))
    registry = CollectorRegistry()
    async with run_tracker(
        config, Settings(bootstrap_servers=kafka_bootstrap), registry
    ) as tracker:
        assert tracker.engine.restored_records > 0
        await tracker.wait_caught_up(timeout_s=300)
        processed_after_restart = sum(
            sample.value
            for metric in registry.collect()
            if metric.name == "lgsp_tracker_events"
            for sample in metric.samples
            if sample.name == "lgsp_tracker_events_total"
        )
        assert processed_after_restart == total - committed_at_kill
        as_of = tracker.now_ms()
        state = tracker.engine.state
        sent = await tracker.publish_report("2026Q3")
        figures = tracker.figures("agency")

    raw = await raw_events(kafka_bootstrap, node)
    dossiers = recompute.final_dossiers(raw["vn.gov.dossier.status.v1"])
    assert {code: d.status for code, d in state.dossiers.items()} == {
        code: d["statusCode"] for code, d in dossiers.items()
    }
    expected = recompute.per_agency(dossiers, as_of)
    assert set(figures) == set(expected)
    for agency, counts in figures.items():
        want = expected[agency]
        got = {
            "received": counts.received,
            "online": counts.online,
            "in_person": counts.in_person,
            "post": counts.post,
            "on_time": counts.on_time,
            "late": counts.late,
            "overdue": counts.overdue,
            "closed": counts.closed,
            "in_progress": counts.open - counts.overdue,
        }
        assert got == {name: want[name] for name in got}, agency

    documents = recompute.document_states(
        raw["vn.gov.document.sent.v1"], raw["vn.gov.document.status.v1"]
    )
    tracked = {
        doc_id: {r.code: r.status_code or "" for r in d.recipients}
        for doc_id, d in state.documents.items()
    }
    assert tracked == documents
    assert all(s in RECIPIENT_STATES or s == "" for d in documents.values() for s in d.values())

    quarter = parse_period("2026Q3")
    want_report = recompute.quarter_figures(dossiers, quarter.start_ms, quarter.end_ms)
    codec = AvroCodec(bundled_catalog())
    partitions = await topic_partitions(kafka_bootstrap, [report_topic(node)])
    async with LogReader(kafka_bootstrap) as reader:
        report_records = await reader.read(dict.fromkeys(partitions))
    reports = [codec.decode(r.value) for r in report_records]
    assert sent == len(reports) == len(want_report)
    for record in report_records:
        envelope = Envelope.from_headers(record.headers)
        assert envelope.type == "vn.gov.report.quarterly.v1"
        assert (envelope.source, envelope.recipients) == ("000.00.00.H24", ("000.00.00.G22",))
    for report in reports:
        fields = want_report[report["agency"]["code"]]
        assert {name: report[name] for name in fields} == fields, report["reportId"]

    out = tmp_path / "q3.csv"
    command = ["tracker", "report", "--config", str(config_file), "--quarter", "2026Q3"]
    report_process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "lgsp", *command, "--csv", str(out), "--no-publish"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(report_process.communicate(), 300)
    assert report_process.returncode == 0, stderr.decode()
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert {r["agency_code"]: int(r["received"]) for r in rows} == {
        code: f["dossiersReceived"] for code, f in want_report.items()
    }
