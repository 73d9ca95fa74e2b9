"""A request/reply responder on a real broker when its handler fails: the request is parked
with its code and, for payments, answered with a failed result; the responder goes on."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry

from bus.exchanges import PAYMENT
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from bus.requestreply import LookupMetrics, LookupResponder
from connectors.payments.errors import PaymentError
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.parking import read_park_info
from schemas.topics import event_topic, inbox_topic
from tests.connectorharness import private_node, wait_for_records

PLATFORM = "000.00.11.G22"
REQUEST = bundled_catalog().get("payment.request")
CODEC = AvroCodec()


async def test_failing_handlers_park_their_requests_and_answer_why(kafka_bootstrap: str) -> None:
    """A handler that raises a coded refusal and one that crashes (KeyError) park their requests
    (LGSP-PAYMENT-REFUSED, LGSP-REQUEST-HANDLER-FAILED) and answer failed results carrying the
    platform's code or ours; the third request is paid."""
    node = private_node()
    inbox = inbox_topic(node, PLATFORM)
    results = str(event_topic(node, PAYMENT.reply_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(inbox, 1), TopicSpec(results, 1)])

    async def platform(request: dict[str, Any]) -> dict[str, Any]:
        reference = request["paymentReference"]
        if reference == "PAY-REFUSED":
            raise PaymentError("refused", code="LGSP-PAYMENT-REFUSED", platform_code="05")
        if reference == "PAY-BUG":
            raise KeyError("MaGiaoDich")
        paid = example_record(bundled_catalog().get("payment.result"))
        return paid | {"paymentReference": reference, "resultCode": "00"}

    registry = CollectorRegistry()
    responder = LookupResponder(
        ClusterAccess(kafka_bootstrap, PLAINTEXT),
        node,
        PLATFORM,
        platform,
        LookupMetrics(registry, "payment"),
        partitions=1,
        exchange=PAYMENT,
    )
    async with KafkaPublisher(kafka_bootstrap) as publisher:
        for reference in ("PAY-REFUSED", "PAY-BUG", "PAY-OK"):
            record = example_record(REQUEST) | {"paymentReference": reference}
            envelope = Envelope.new(
                source="000.01.02.H24",
                type=PAYMENT.request_type,
                dataschema=REQUEST.dataschema,
                correlation_id=reference,
            )
            await publisher.publish(
                OutgoingRecord(
                    inbox, CODEC.encode(REQUEST, record), reference.encode(), envelope.to_headers()
                )
            )
    serving = asyncio.create_task(responder.run())
    try:
        answered = await wait_for_records(kafka_bootstrap, results, 3)
        parked = await wait_for_records(kafka_bootstrap, responder.parked_topic, 2)
    finally:
        serving.cancel()
    codes = {}
    for record in parked:
        info = read_park_info(record.headers)
        assert info is not None
        codes[(record.key or b"").decode()] = info.code
    assert codes == {
        "PAY-REFUSED": "LGSP-PAYMENT-REFUSED",
        "PAY-BUG": "LGSP-REQUEST-HANDLER-FAILED",
    }
    replies = {
        Envelope.from_headers(r.headers).correlation_id: CODEC.decode(r.value or b"")
        for r in answered
    }
    assert replies["PAY-REFUSED"]["resultCode"] == "05"
    assert replies["PAY-BUG"]["resultCode"] == "LGSP-REQUEST-HANDLER-FAILED"
    assert "KeyError" in replies["PAY-BUG"]["message"]
    assert replies["PAY-OK"]["resultCode"] == "00"
    assert Envelope.from_headers(answered[0].headers).recipients == ("000.01.02.H24",)
