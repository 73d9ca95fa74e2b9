"""The standards' rules at every ingress, against a real broker: an HTTP-polled change and a
dropped edXML document that break a rule are parked with the rule's code, and a record
published without the SDK's stamp that breaks one is parked by the gateway, never routed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bus.kafka import TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.edxml.source import EdxmlSourceConfig
from connectors.edxml.writing import format_edxml
from connectors.httppoll import HttpPollConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from schemas.catalog import bundled_catalog
from schemas.examples import example_json, example_record
from schemas.parking import read_park_info
from schemas.topics import event_topic
from schemas.validation import VALIDATED_HEADER, ruleset_id
from tests import gatewayharness as gh
from tests.connectorharness import (
    CODEC,
    DOCUMENT,
    DOSSIER,
    WARD,
    AgencyApp,
    dossier_json,
    private_node,
    wait_for_records,
)

OFFICE = "000.00.00.H24"


def _park_codes(records: list[object]) -> dict[str, str]:
    """Parked records' business keys and park codes."""
    found = {}
    for record in records:
        info = read_park_info(record.headers)  # type: ignore[attr-defined]
        assert info is not None
        found[record.key.decode()] = info.code  # type: ignore[attr-defined]
    return found


async def test_polled_changes_that_break_a_rule_are_parked_with_the_rule_code(
    kafka_bootstrap: str,
) -> None:
    """Of four polled dossier changes, the valid two are published; status 99 and a CCCD that
    names no province are parked in the connector's DLQ with their codes and paths."""
    node = private_node()
    topic = str(event_topic(node, DOSSIER.event_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
    status_99 = dossier_json("H24.22-s99", status=2) | {"statusCode": 99}
    bad_cccd = dossier_json("H24.22-cccd") | {
        "owner": {"name": "Lê Minh Châu", "kind": 1, "idNumber": "099190012345"}
    }
    changes = [dossier_json("H24.22-a"), status_99, bad_cccd, dossier_json("H24.22-d")]
    async with AgencyApp(changes=changes).serve() as agency:
        config = HttpPollConfig.model_validate(
            {"name": "motcua", "node": node, "agency": WARD, "url": f"{agency.url}/changes",
             "subject": "dossier.status", "key_field": "dossierCode", "poll_interval_s": 0.1}
        )  # fmt: skip
        async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)):
            records = await wait_for_records(kafka_bootstrap, topic, 2)
            parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "motcua"), 2)
    assert [r.key for r in records] == [b"H24.22-a", b"H24.22-d"]
    assert all(dict(r.headers)[VALIDATED_HEADER] == ruleset_id().encode() for r in records)
    assert _park_codes(parked) == {
        "H24.22-s99": "LGSP-VALID-DOSSIER-STATUS",
        "H24.22-cccd": "LGSP-ID-CCCD",
    }
    reasons = [read_park_info(r.headers).reason for r in parked]  # type: ignore[union-attr]
    assert "$.statusCode" in reasons[0] and "$.owner.idNumber" in reasons[1]
    assert "099190012345" not in reasons[1]  # personal data never in a reason


async def test_dropped_documents_that_break_a_rule_are_parked_with_the_rule_code(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A well-formed edXML document whose Subject passes 500 characters, and one whose
    DocumentId carries another number, are parked in the connector's DLQ with their codes; the
    valid one is published."""
    node = private_node()
    topic = str(event_topic(node, DOCUMENT.event_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
    drop = tmp_path / "drop"
    drop.mkdir()
    good = example_json(DOCUMENT)
    long_subject = good | {
        "documentId": good["documentId"].replace("7816", "7817"),
        "codeNumber": "7817",
        "subject": "V/v " + "x" * 600,
    }
    wrong_id = good | {"documentId": good["documentId"].replace("7816", "7818")}
    for name, document in (("a", good), ("b", long_subject), ("c", wrong_id)):
        edxml = format_edxml(document, received_by=OFFICE, received_at="2026-11-20T03:00:00Z")
        (drop / f"SendDocument.000.00.00.G22.{name}.edxml").write_bytes(edxml)
    config = EdxmlSourceConfig.model_validate(
        {"name": "vanthu", "node": node, "agency": OFFICE, "folder": str(drop),
         "poll_interval_s": 0.1}
    )  # fmt: skip
    async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)):
        [record] = await wait_for_records(kafka_bootstrap, topic, 1)
        parked = await wait_for_records(kafka_bootstrap, connector_dlq_topic(node, "vanthu"), 2)
    assert record.key == good["documentId"].encode()
    assert sorted(_park_codes(parked).values()) == [
        "LGSP-VALID-DOCUMENT-ID",
        "LGSP-VALID-TOO-LONG",
    ]


async def test_the_gateway_parks_unstamped_records_that_break_a_rule_and_routes_the_rest(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Records produced without the SDK (no stamp): a coherent dossier is routed; status 99, a
    return date while newly registered and an agency missing from the directory are parked in
    the topic's DLQ with their codes, never delivered."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(gh.PORTAL_ROUTES, partitions=1)
    portal, main = node.inbox("portal"), node.topic("vn.gov.dossier.status.v1")
    await node.create(portal, main, partitions=1)
    schema = bundled_catalog().get("dossier.status")
    example = example_record(schema)
    changes: dict[str, dict[str, Any]] = {
        "G-ok": {},
        "G-99": {"statusCode": 99, "finishedAt": None, "returnedAt": None},
        "G-ret": {"statusCode": 1, "previousStatusCode": None, "finishedAt": None},
        "G-unknown": {"receivingAgency": {"code": "000.09.02.H24", "name": "?"}},
    }
    events = []
    for code, change in changes.items():
        envelope, _, _ = gh.make_event("dossier.status", source="000.01.02.H24")
        value = CODEC.encode(schema, example | {"dossierCode": code} | change)
        events.append((envelope, code.encode(), value))
    async with gh.running_gateway(config):
        await gh.publish(kafka_bootstrap, main, events)
        parked = await gh.read_all(kafka_bootstrap, [f"{main}.dlq"], 3)
        delivered = await gh.read_all(kafka_bootstrap, [portal], 1)
    assert [r.key for r in delivered] == [b"G-ok"]
    assert _park_codes(parked) == {
        "G-99": "LGSP-VALID-DOSSIER-STATUS",
        "G-ret": "LGSP-VALID-DATE-STATUS",
        "G-unknown": "LGSP-ID-UNKNOWN-AGENCY",
    }
