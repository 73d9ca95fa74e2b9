"""The border's decision for each record, without Kafka: what it lets in, refuses or drops as
a copy, and the audit entry it writes for each, read once from the record's headers and value
(``Border._decide``, as ``bench/border_decision_bench.py`` times it)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry

from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from gateway.federation import errors
from gateway.federation.border.admission import Border
from gateway.federation.border.audit import check_chain
from gateway.federation.border.decision import refused_topic
from gateway.federation.border.state import BorderState, audit_topic
from gateway.federation.config import TrustConfig
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.signing import NodeSigner, load_private_key
from gateway.federation.trust.store import TrustStore
from gateway.routing.records import Output
from schemas.catalog import bundled_catalog
from schemas.envelope import parse_time
from schemas.parking import read_park_info
from schemas.topics import border_topic, event_topic
from tests.unit.test_federation_batch_signing import Record, _batch
from tests.unit.test_federation_trust import keys, registry  # noqa: F401 - the shared fixture

STATUS = "vn.gov.document.status.v1"
WEEK = timedelta(days=7)


def _border(keys: Path) -> Border:  # noqa: F811
    metrics = FederationMetrics(CollectorRegistry(), "ngsp")
    config = TrustConfig(registry="registry.json", anchors={"anchor": keys / "anchor.pub.pem"})
    trust = TrustStore(config, keys, metrics)
    trust.registry = registry(keys)  # as a refresh leaves it
    signer = NodeSigner("ngsp-1", load_private_key(keys / "ngsp-1.key.pem"))
    return Border(
        "ngsp", ClusterAccess("localhost:1", PLAINTEXT), ["hanoi"], 3, trust, lambda: signer,
        bundled_catalog(), lambda: {STATUS}, metrics, WEEK, WEEK,
    )  # fmt: skip


def _consumed(record: Record, offset: int) -> ConsumerRecord[bytes, bytes]:
    headers, key, value = record
    topic = border_topic("ngsp", "hanoi")
    return ConsumerRecord(topic, 0, offset, 0, 0, key, value, None, len(key), len(value),
                          tuple(headers))  # fmt: skip


def _entries(outputs: list[Output]) -> list[dict[str, Any]]:
    return [json.loads(o.value or b"") for o in outputs if o.topic == audit_topic("ngsp")]


def test_every_decision_is_one_audit_entry_of_one_chain_naming_the_record(keys: Path) -> None:  # noqa: F811
    """Accepted, a copy, a changed value, headers that are not UTF-8, a type without a route:
    each is one entry of a chain ``check_chain`` accepts, with the record's own ce_id and value
    hash; the accepted ones go to the event topic marked with their peer, the refused ones to
    the refusals with their code; a copy goes nowhere; nothing raises."""
    border, state = _border(keys), BorderState(WEEK)
    batch = _batch(keys, 4)
    headers, key, value = batch[3]
    changed = (headers, key, value + b"!")
    garbled = ([(k, b"\xff\xfe" if k == "ce_id" else v) for k, v in headers], key, value)
    other_type = batch[2]
    records = [batch[0], batch[1], batch[0], changed, garbled, other_type]
    outputs = [
        border._decide(_consumed(r, i), state, {STATUS} if i != 5 else set())
        for i, r in enumerate(records)
    ]
    entries = [entry for decided in outputs for entry in _entries(decided)]
    assert check_chain((str(i), e) for i, e in enumerate(entries)).intact
    assert [e["seq"] for e in entries] == list(range(6))
    assert [(e["decision"], e.get("code")) for e in entries] == [
        ("accepted", None), ("accepted", None), ("duplicate", None),
        ("refused", errors.BAD_SIGNATURE), ("refused", errors.BAD_ENVELOPE),
        ("refused", errors.NO_ROUTE),
    ]  # fmt: skip
    for entry, (h, _, v), i in zip(entries, records, range(6), strict=True):
        assert entry["value_sha256"] == hashlib.sha256(v).hexdigest()
        assert entry["origin"] == f"{border_topic('ngsp', 'hanoi')}/0/{i}"
        assert entry["peer"] == "hanoi" and entry["node"] == "ngsp"
        assert ("key_id" in entry) == (entry["decision"] != "refused")
        parse_time(entry["at"])
        if i != 4:
            assert entry["ce_id"] == dict(h)["ce_id"].decode()
            assert entry["recipients"] == "000.00.00.G22"
    assert entries[4]["ce_id"] == "\ufffd\ufffd"  # read leniently for the audit alone
    for decided in outputs[:2]:
        event = decided[0]
        assert event.topic == str(event_topic("ngsp", STATUS))
        assert event.headers[-1] == ("lgsp-border-from", b"hanoi")
    assert [o.topic for o in outputs[2]] == [audit_topic("ngsp")]
    for decided, code in zip(outputs[3:], (errors.BAD_SIGNATURE, errors.BAD_ENVELOPE,
                                           errors.NO_ROUTE), strict=True):  # fmt: skip
        parked = decided[0]
        assert parked.topic == refused_topic("ngsp")
        park = read_park_info(parked.headers)
        assert park is not None and park.code == code
