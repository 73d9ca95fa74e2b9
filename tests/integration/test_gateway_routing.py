"""The gateway routes, fans out and refuses, on the real broker."""

from __future__ import annotations

from pathlib import Path

from tests.gatewayharness import (
    CODEC,
    PrivateNode,
    headers_of,
    make_event,
    publish,
    read_all,
    running_gateway,
)

DOCUMENT = "vn.gov.document.sent.v1"
ROUTES = """
routes:
  - name: government-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22]
    to: [under 000.00.00.H24]
    fan_out: commune
"""


async def test_a_document_to_a_district_reaches_every_commune_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Fan-out: a ministry document to Ba Đình district lands once in each ward's inbox."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    wards = ["000.01.02.H24", "000.02.02.H24"]
    await node.create(*(node.inbox(w) for w in wards))
    envelope, key, value = make_event(
        "document.sent", source="000.00.00.G22", recipients=["000.00.02.H24"]
    )
    async with running_gateway(config):
        await publish(kafka_bootstrap, node.topic(DOCUMENT), [(envelope, key, value)])
        delivered = await read_all(kafka_bootstrap, [node.inbox(w) for w in wards], expected=2)
    assert sorted(r.topic for r in delivered) == sorted(node.inbox(w) for w in wards)
    for record in delivered:
        headers = headers_of(record)
        assert headers["ce_id"] == envelope.id
        assert headers["ce_recipients"] == record.topic.rsplit(".", 1)[1].replace("-", ".").upper()
        assert record.value == value and record.key == key


async def test_a_forbidden_sender_is_parked_with_its_reason(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Deny by default: Đà Nẵng may not send documents here; the record goes to the DLQ with
    code, reason and where it came from."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    envelope, key, value = make_event(
        "document.sent", source="000.00.00.H15", recipients=["000.00.02.H24"]
    )
    async with running_gateway(config):
        await publish(kafka_bootstrap, node.topic(DOCUMENT), [(envelope, key, value)])
        parked = await read_all(kafka_bootstrap, [node.topic(DOCUMENT) + ".dlq"], expected=1)
    assert len(parked) == 1
    headers = headers_of(parked[0])
    assert headers["lgsp-park-code"] == "LGSP-GW-NO-ROUTE"
    assert "000.00.00.H15" in headers["lgsp-park-reason"]
    assert headers["lgsp-original-topic"] == node.topic(DOCUMENT)
    assert headers["lgsp-original-offset"] == "0"
    assert headers["ce_id"] == envelope.id
    assert CODEC.decode(parked[0].value) == CODEC.decode(value)
