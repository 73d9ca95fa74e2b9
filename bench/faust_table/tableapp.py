"""The tracker's dossier table written the faust-streaming way: one agent (concurrency 1) over
the dossier topic, decoding each record and storing the dossier's state in a changelog-backed
table co-partitioned with the source, in-memory store. Run by bench/faust_table_bench.py as
``faust -A tableapp worker``, for docs/decisions/0002-tracker-package.md."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import faust

from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from tracker.dossiers import apply_dossier_change
from tracker.state import decode_dossier, encode_dossier

app = faust.App(
    f"lgsp-faust-table-{os.environ['LGSP_BENCH_SOURCE'][-6:]}",
    broker=f"kafka://{os.environ['LGSP_BENCH_BOOTSTRAP']}",
    value_serializer="raw",
    key_serializer="raw",
    processing_guarantee=os.environ.get("LGSP_BENCH_GUARANTEE", "exactly_once"),
    topic_partitions=3,
    web_enabled=False,
    store="memory://",
    stream_processing_concurrency=1,
    broker_commit_every=2000,
)
source = app.topic(os.environ["LGSP_BENCH_SOURCE"], value_type=bytes, key_type=bytes, partitions=3)
dossiers = app.Table("dossiers", partitions=3, key_type=bytes, value_type=bytes)
catalog = bundled_catalog()
codec = AvroCodec(catalog)
reader = catalog.for_event_type("vn.gov.dossier.status.v1")


@app.agent(source, concurrency=1)
async def track(stream: Any) -> AsyncIterator[None]:
    async for event in stream.events():
        record = codec.decode(event.value, reader=reader)
        held = dossiers.get(event.key)
        state = apply_dossier_change(decode_dossier(held) if held else None, record)
        dossiers[event.key] = encode_dossier(state)
        yield None
