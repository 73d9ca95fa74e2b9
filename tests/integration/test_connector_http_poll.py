"""The HTTP polling source against a real broker and a real agency endpoint."""

from __future__ import annotations

import json

from bus.kafka import TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.checkpoints import CheckpointStore
from connectors.httppoll import HttpPollConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from schemas.envelope import Envelope
from schemas.parking import read_park_info
from schemas.topics import event_topic
from tests.connectorharness import (
    DOSSIER,
    WARD,
    AgencyApp,
    dossier_json,
    private_node,
    wait_for_records,
)


async def test_changes_are_published_and_a_misfit_is_parked_with_its_reasons(
    kafka_bootstrap: str,
) -> None:
    """Valid changes reach the dossier topic keyed by dossier code; a change that does not fit
    the schema is parked as JSON with every reason; the cursor after them is saved."""
    node = private_node()
    topic = str(event_topic(node, DOSSIER.event_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
    bad = dossier_json("H24.22-bad") | {"statusCode": "done"}
    del bad["procedureCode"]
    changes = [dossier_json("H24.22-a"), bad, dossier_json("H24.22-c")]
    async with AgencyApp(changes=changes).serve() as agency:
        config = HttpPollConfig.model_validate(
            {"name": "motcua", "node": node, "agency": WARD, "url": f"{agency.url}/changes",
             "subject": "dossier.status", "key_field": "dossierCode", "poll_interval_s": 0.1}
        )  # fmt: skip
        async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)):
            records = await wait_for_records(kafka_bootstrap, topic, 2)
            parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "motcua"), 1)
    assert [r.key for r in records] == [b"H24.22-a", b"H24.22-c"]
    assert {Envelope.from_headers(r.headers).source for r in records} == {WARD}
    info = read_park_info(parked[0].headers)
    assert info is not None and info.code == "LGSP-RECORD-INVALID"
    assert "$.statusCode" in info.reason and "$.procedureCode" in info.reason
    assert json.loads(parked[0].value or b"")["dossierCode"] == "H24.22-bad"
    assert await CheckpointStore(kafka_bootstrap, node, "motcua").load() == "3"
