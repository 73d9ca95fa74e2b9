"""Bad input at a running gateway: every malformed record is parked in the DLQ with its stable
code, nothing is lost, the gateway keeps running and routes the good records around them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.factory import PLAINTEXT, new_producer
from tests.gatewayharness import (
    DOSSIER,
    PORTAL_ROUTES,
    PrivateNode,
    headers_of,
    make_event,
    read_all,
    route_yaml,
    routes_yaml,
    running_gateway,
)

Headers = list[tuple[str, bytes]]
MASKING_ROUTES = routes_yaml(
    route_yaml(
        "dossiers-to-portal",
        "lgsp.NODE.inbox.portal",
        transform=["mask: [owner.idNumber, owner.phone]"],
    )
)
PASSTHROUGH_ROUTES = PORTAL_ROUTES


def _set(name: str, value: bytes | None) -> Callable[[Headers], Headers]:
    def change(headers: Headers) -> Headers:
        kept = [(k, v) for k, v in headers if k != name]
        return kept if value is None else [*kept, (name, value)]

    return change


def _twice(name: str) -> Callable[[Headers], Headers]:
    return lambda headers: [*headers, *[(k, v) for k, v in headers if k == name]]


# (what is wrong, how the headers change, expected park code)
HEADER_CASES: list[tuple[str, Callable[[Headers], Headers], str]] = [
    ("no ce_type", _set("ce_type", None), "LGSP-ENVELOPE-MISSING"),
    ("no headers at all", lambda _: [], "LGSP-ENVELOPE-MISSING"),
    ("ce_time not a time", _set("ce_time", b"yesterday at noon"), "LGSP-ENVELOPE-INVALID"),
    ("ce_time without zone", _set("ce_time", b"2026-11-20T02:12:30"), "LGSP-ENVELOPE-INVALID"),
    ("ce_source not an agency", _set("ce_source", b"hanoi-portal"), "LGSP-ENVELOPE-INVALID"),
    ("ce_subject not UTF-8", _set("ce_subject", b"\xff\xfe\xc3("), "LGSP-ENVELOPE-INVALID"),
    ("ce_id not UTF-8", _set("ce_id", b"\x80abc"), "LGSP-ENVELOPE-INVALID"),
    ("spec version 0.3", _set("ce_specversion", b"0.3"), "LGSP-ENVELOPE-INVALID"),
    ("JSON content type", _set("content-type", b"application/json"), "LGSP-ENVELOPE-CONTENT-TYPE"),
    ("ce_id twice", _twice("ce_id"), "LGSP-ENVELOPE-DUPLICATE"),
    ("bad recipients", _set("ce_recipients", b"000.01.02.H24,,x"), "LGSP-ENVELOPE-INVALID"),
    ("bad traceparent", _set("ce_traceparent", b"00-zz-00"), "LGSP-ENVELOPE-INVALID"),
    ("bad attempt", _set("ce_attempt", b"-1"), "LGSP-ENVELOPE-INVALID"),
]
VALUE_CASES: list[tuple[str, bytes, str]] = [
    (
        "unknown fingerprint",
        b"\xc3\x01" + os.urandom(8) + b"\x02\x04body",
        "LGSP-CODEC-UNKNOWN-SCHEMA",
    ),
    ("JSON value", b'{"dossierCode": "H24.22-0001"}', "LGSP-CODEC-BAD-MAGIC"),
    ("empty value", b"", "LGSP-CODEC-TRUNCATED"),
    ("cut value", b"\xc3\x01\x00", "LGSP-CODEC-TRUNCATED"),
]


def _good(i: int) -> tuple[str, bytes, bytes, Headers]:
    envelope, _, value = make_event(
        "dossier.status",
        source="000.01.02.H24",
        changes={"dossierCode": f"H24.22-{i:04d}"},
    )
    return envelope.id, b"one-key", value, envelope.to_headers()


async def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes, Headers]]) -> None:
    producer = new_producer(bootstrap, PLAINTEXT, max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def test_malformed_headers_and_values_are_parked_with_their_codes_and_good_records_flow(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Thirteen kinds of broken CloudEvents headers and four undecodable values (without the
    SDK's stamp, so the gateway decodes them), all on one key between good records: each is
    parked with its code, every good record is delivered, the gateway is still running."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(MASKING_ROUTES, partitions=1)
    portal, dlq = node.inbox("portal"), f"{node.topic(DOSSIER)}.dlq"
    await node.create(portal, node.topic(DOSSIER), partitions=1)
    records: list[tuple[bytes, bytes, Headers]] = []
    good_ids: set[str] = set()
    expected: dict[str, str] = {}
    for n, (what, change, code) in enumerate(HEADER_CASES):
        ce_id, key, value, headers = _good(2 * n)
        good_ids.add(ce_id)
        records.append((key, value, headers))
        _, key, value, headers = _good(2 * n + 1)
        records.append((key, value, [*change(headers), ("test-case", what.encode())]))
        expected[what] = code
    for what, value, code in VALUE_CASES:
        ce_id, key, good_value, headers = _good(len(records))
        good_ids.add(ce_id)
        records.append((key, good_value, headers))
        _, key, _, headers = _good(len(records))
        records.append((key, value, [*headers, ("test-case", what.encode())]))
        expected[what] = code  # no SDK stamp: admission decodes it and parks it with its code
    async with running_gateway(config) as gateway:
        await _produce(kafka_bootstrap, node.topic(DOSSIER), records)
        parked = await read_all(kafka_bootstrap, [dlq], len(HEADER_CASES) + len(VALUE_CASES))
        delivered = await read_all(kafka_bootstrap, [portal], len(good_ids))
        assert not gateway.stopping.is_set()
    codes = {}
    for record in parked:
        park = dict(record.headers)
        what = park["test-case"].decode()
        codes[what] = park["lgsp-park-code"].decode()
        assert park["lgsp-original-topic"].decode() == node.topic(DOSSIER)
    assert codes == expected
    assert {headers_of(r)["ce_id"] for r in delivered} == good_ids
    assert len(delivered) == len(good_ids)
    print(f"\n{len(parked)} bad records parked with their codes, {len(delivered)} good delivered")


async def test_a_record_larger_than_the_gateway_can_produce_is_parked_not_retried_forever(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A 2 MiB record on a topic that accepts it, beyond what the gateway may produce, is parked
    with LGSP-GW-TOO-LARGE (its headers kept, its value left in the source topic at the offset
    named) and the records after it on the same partition are delivered. Before the fix, every
    transaction holding it aborted, for ever, and its partition stopped."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(PASSTHROUGH_ROUTES, partitions=1)
    portal, dlq = node.inbox("portal"), f"{node.topic(DOSSIER)}.dlq"
    await node.create(portal, partitions=1)
    await ensure_topics(
        kafka_bootstrap,
        [TopicSpec(node.topic(DOSSIER), 1, configs={"max.message.bytes": str(8 * 1024 * 1024)})],
    )
    good = [_good(i) for i in range(4)]
    _, key, _, headers = _good(99)
    huge = (key, b"\xc3\x01" + os.urandom(2 * 1024 * 1024), headers)
    headers_of_huge = {k: v.decode() for k, v in headers}
    records = [(k, v, h) for _, k, v, h in good]
    records.insert(2, huge)
    async with running_gateway(config) as gateway:
        await _produce(kafka_bootstrap, node.topic(DOSSIER), records)
        delivered = await read_all(kafka_bootstrap, [portal], len(good), timeout_s=30)
        parked = await read_all(kafka_bootstrap, [dlq], 1, timeout_s=10)
        assert not gateway.stopping.is_set()
    assert {headers_of(r)["ce_id"] for r in delivered} == {g[0] for g in good}
    [letter] = parked
    park = dict(letter.headers)
    assert park["lgsp-park-code"] == b"LGSP-GW-TOO-LARGE" and letter.value is None
    assert park["ce_id"] == headers_of_huge["ce_id"].encode()
    assert b"offset 2" in park["lgsp-park-reason"]


async def test_forged_park_headers_in_a_retry_tier_are_parked_not_fatal(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A record written straight into a retry tier with park headers that do not parse (found
    by fuzzing: they escaped as ValueError and aborted every transaction) is dead-lettered
    with LGSP-PARK-INVALID; a good record after it in the same tier is delivered."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(PASSTHROUGH_ROUTES, partitions=1)
    portal, dlq = node.inbox("portal"), f"{node.topic(DOSSIER)}.dlq"
    tier = f"{node.topic(DOSSIER)}.retry.1s"
    await node.create(portal, node.topic(DOSSIER), partitions=1)
    _, key, value, headers = _good(1)
    forged = [*headers, ("lgsp-park-code", b"LGSP-GW-DEST-MISSING"), ("lgsp-attempts", b"many")]
    good_id, key2, value2, headers2 = _good(2)
    async with running_gateway(config):
        await _produce(kafka_bootstrap, tier, [(key, value, forged), (key2, value2, headers2)])
        parked = await read_all(kafka_bootstrap, [dlq], 1, timeout_s=30)
        delivered = await read_all(kafka_bootstrap, [portal], 1, timeout_s=30)
    assert [dict(r.headers)["lgsp-park-code"] for r in parked] == [b"LGSP-PARK-INVALID"]
    assert [headers_of(r)["ce_id"] for r in delivered] == [good_id]
