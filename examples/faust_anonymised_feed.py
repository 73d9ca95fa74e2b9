"""An integrator's faust-streaming agent on the bus: an anonymised feed of dossier statuses.

It reads every ``dossier.status`` event of a node (any schema version, read as v1), masks
the owner's personal data, and sends each to a statistics office's inbox as a new bus record:
single-object Avro, fresh CloudEvents headers naming the office as recipient and the original
event as ``ce_correlationid``, the trace continued. Run it like any faust app:

    LGSP_BOOTSTRAP_SERVERS=127.0.0.1:9092 LGSP_FAUST_NODE=hanoi \\
    LGSP_FAUST_RECIPIENT=000.00.13.H24 faust -A examples.faust_anonymised_feed worker

(tests/integration/test_faust_agent.py runs it on the real broker.)
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import faust

from bus.faust import AvroValue, envelope_of, event_topic_of, headers_of, inbox_of
from schemas.catalog import bundled_catalog
from schemas.envelope import Envelope
from schemas.personal import mask_personal

NODE = os.environ.get("LGSP_FAUST_NODE", "hanoi")
RECIPIENT = os.environ.get("LGSP_FAUST_RECIPIENT", "000.00.13.H24")
DOSSIER_STATUS = "vn.gov.dossier.status.v1"
V1 = bundled_catalog().get("dossier.status", 1)

app = faust.App(
    f"lgsp-anonymised-feed-{NODE}",
    broker=f"kafka://{os.environ.get('LGSP_BOOTSTRAP_SERVERS', '127.0.0.1:9092')}",
    web_enabled=False,
    store="memory://",
    topic_partitions=3,
)
statuses = event_topic_of(app, NODE, DOSSIER_STATUS, version=1)
feed = inbox_of(app, NODE, RECIPIENT)


def anonymised(received: Envelope, record: dict[str, Any]) -> tuple[Envelope, AvroValue]:
    """The feed's record for one status: the same dossier, owner masked, addressed to the
    office, correlated with the event it came from."""
    envelope = Envelope.new(
        source=received.source,
        type=DOSSIER_STATUS,
        dataschema=V1.dataschema,
        recipients=(RECIPIENT,),
        correlation_id=received.id,
        traceparent=received.traceparent,
    )
    return envelope, AvroValue(V1, mask_personal(record))


@app.agent(statuses)
async def anonymise(stream: Any) -> AsyncIterator[None]:
    async for event in stream.events():
        envelope, value = anonymised(envelope_of(event.headers), event.value)
        await feed.send(key=event.key, value=value, headers=headers_of(envelope))
        yield None
