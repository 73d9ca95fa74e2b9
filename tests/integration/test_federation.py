"""Federation across three real clusters: NGSP and two provinces, linked, signed, audited."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from bus.localkafka import start_cluster, stop_cluster
from bus.requestreply import LookupMetrics, LookupRequester, LookupResponder, LookupTimeoutError
from bus.settings import Settings
from gateway.federation import errors
from gateway.federation.border.audit import check_chain
from gateway.federation.border.decision import refused_topic
from gateway.federation.border.state import audit_topic
from gateway.federation.links.control import set_link_paused
from gateway.federation.links.signing import signed_headers
from gateway.federation.receipts.book import receipts_for
from gateway.federation.trust.authoring import write_key_pair
from gateway.federation.trust.signing import NodeSigner, load_private_key
from lgsp.cli import app
from schemas.catalog import bundled_catalog
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.ids.directory import bundled_directory
from schemas.topics import border_topic, event_topic, inbox_topic
from tests.federationharness import Federated, clusters, running_federation, running_node
from tests.gatewayharness import headers_of, make_event, publish, read_all

__all__ = ["clusters"]
G22 = "000.00.00.G22"


def communes(province: str) -> list[str]:
    return [str(a.code) for a in bundled_directory().descendants(province, tier="commune")]


async def create_inboxes(fed: Federated, agencies: dict[str, list[str]]) -> None:
    """The inboxes a sink would create for its agency (the gateway retries until they exist)."""
    for role, codes in agencies.items():
        specs = [TopicSpec(inbox_topic(fed.names[role], c), 2) for c in codes]
        await ensure_topics(fed.clusters[role], specs)


async def test_ministry_document_reaches_communes_of_both_provinces_and_statuses_return(
    tmp_path: Path, clusters: dict[str, str]
) -> None:
    """A Government Office document fanned out at NGSP reaches every commune of Hà Nội and
    Đà Nẵng through their borders; each commune's status comes back to the sender; the sender
    holds a valid signed receipt per commune, and every border's audit chain verifies."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    hanoi, danang = communes("000.00.00.H24"), communes("000.00.00.H15")
    await create_inboxes(fed, {"hanoi": hanoi, "danang": danang, "ngsp": [G22]})
    async with running_federation(configs) as nodes:
        documents = [
            make_event(
                "document.sent",
                source=G22,
                recipients=["000.00.00.H24", "000.00.00.H15"],
                changes={"documentId": f"DOC-{i}"},
            )
            for i in range(3)
        ]
        await publish(
            clusters["ngsp"], str(event_topic(fed.names["ngsp"], documents[0][0].type)), documents
        )
        got = {}
        for role, units in (("hanoi", hanoi), ("danang", danang)):
            inboxes = [inbox_topic(fed.names[role], c) for c in units]
            got[role] = await read_all(clusters[role], inboxes, 3 * len(units), timeout_s=90)
            assert len(got[role]) == 3 * len(units), role
            assert {headers_of(r)["ce_id"] for r in got[role]} == {e.id for e, _, _ in documents}
        statuses = [
            make_event(
                "document.status", source=commune, recipients=[G22], changes={"documentId": "DOC-0"}
            )
            for commune in hanoi + danang
        ]
        for role, units in (("hanoi", hanoi), ("danang", danang)):
            mine = [s for s in statuses if s[0].source in units]
            await publish(clusters[role], str(event_topic(fed.names[role], mine[0][0].type)), mine)
        # G22's inbox holds the statuses and a receipt per commune and document
        receipts_due = 3 * (len(hanoi) + len(danang))
        inbox = await read_all(
            clusters["ngsp"],
            [inbox_topic(fed.names["ngsp"], G22)],
            len(statuses) + receipts_due,
            timeout_s=90,
        )
        back = [r for r in inbox if headers_of(r)["ce_type"] == statuses[0][0].type]
        assert sorted(headers_of(r)["ce_id"] for r in back) == sorted(e.id for e, _, _ in statuses)
        assert len(inbox) == len(statuses) + receipts_due

        ngsp = nodes["ngsp"][1]
        assert ngsp.trust.registry is not None
        key = documents[0][1].decode()
        receipts = []
        for _ in range(60):
            receipts = await receipts_for(
                ClusterAccess(clusters["ngsp"], PLAINTEXT),
                fed.names["ngsp"],
                key,
                ngsp.trust.registry,
            )
            if len(receipts) >= len(hanoi) + len(danang):
                break
            await asyncio.sleep(1)
        assert sorted(r.receipt.recipient for r in receipts) == sorted(hanoi + danang)
        assert all(r.receipt.valid for r in receipts)
    for role in ("ngsp", "hanoi", "danang"):
        async with LogReader(clusters[role]) as reader:
            entries = await reader.read({TopicPartition(audit_topic(fed.names[role]), 0): None})
        check = check_chain((str(r.offset), json.loads(r.value or b"{}")) for r in entries)
        assert check.intact, (role, check)
        assert check.entries > 0


async def test_forged_unknown_agency_and_tampered_records_are_refused_at_the_border(
    tmp_path: Path, clusters: dict[str, str]
) -> None:
    """Records arriving at Hà Nội's border: the genuine one is delivered once, its replay
    dropped as a duplicate; one signed with a key NGSP does not hold, one from an agency outside
    the registry and one changed after signing are refused with their codes; every decision is
    in the audit chain."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    commune = "000.01.02.H24"
    await create_inboxes(fed, {"hanoi": [commune]})
    write_key_pair(tmp_path / "rogue", "rogue")
    ngsp_key = NodeSigner(
        f"{fed.names['ngsp']}-k1", load_private_key(fed.keys / f"{fed.names['ngsp']}-k1.key.pem")
    )
    forger = NodeSigner(ngsp_key.key_id, load_private_key(tmp_path / "rogue/rogue.key.pem"))

    def signed(source: str, signer: NodeSigner, tamper: bool = False) -> tuple[str, OutgoingRecord]:
        envelope, key, value = make_event(
            "document.sent", source=source, recipients=[commune], changes={"documentId": source}
        )
        headers = signed_headers(envelope.to_headers(), key, value, signer)
        value = value[:-1] + bytes([value[-1] ^ 1]) if tamper else value
        topic = border_topic(fed.names["hanoi"], fed.names["ngsp"])
        return envelope.id, OutgoingRecord(topic, value, key, headers)

    genuine = signed(G22, ngsp_key)
    refused = {
        errors.BAD_SIGNATURE: signed(G22, forger),
        errors.UNKNOWN_AGENCY: signed("000.00.00.H29", ngsp_key),
        "tampered": signed(G22, ngsp_key, tamper=True),
    }
    async with running_node(configs["hanoi"]):
        async with KafkaPublisher(clusters["hanoi"]) as publisher:
            for _, record in [genuine, *refused.values(), genuine]:  # the last: a replay
                await publisher.publish(record)
        delivered = await read_all(clusters["hanoi"], [inbox_topic(fed.names["hanoi"], commune)], 1)
        parked = await read_all(clusters["hanoi"], [refused_topic(fed.names["hanoi"])], 3)
    assert [headers_of(r)["ce_id"] for r in delivered] == [genuine[0]]
    codes = {headers_of(r)["ce_id"]: headers_of(r)["lgsp-park-code"] for r in parked}
    assert codes == {
        refused[errors.BAD_SIGNATURE][0]: errors.BAD_SIGNATURE,
        refused[errors.UNKNOWN_AGENCY][0]: errors.UNKNOWN_AGENCY,
        refused["tampered"][0]: errors.BAD_SIGNATURE,
    }
    async with LogReader(clusters["hanoi"]) as reader:
        entries = await reader.read({TopicPartition(audit_topic(fed.names["hanoi"]), 0): None})
    decisions = [json.loads(r.value or b"{}")["decision"] for r in entries]
    assert sorted(decisions) == ["accepted", "duplicate", "refused", "refused", "refused"]

    archive = tmp_path / "audit"
    runner = CliRunner()
    archived = await asyncio.to_thread(
        runner.invoke,
        app,
        ["audit", "archive", "--config", str(configs["hanoi"]), "--out", str(archive)],
    )
    assert archived.exit_code == 0, archived.output
    intact = runner.invoke(app, ["audit", "verify", str(archive)])
    assert intact.exit_code == 0 and "5 entries" in intact.output, intact.output
    (batch,) = archive.glob("audit-*.jsonl")
    lines = batch.read_text().splitlines()
    edited = json.loads(lines[1]) | {"ce_source": "000.00.00.G01"}  # a sender rewritten
    lines[1] = json.dumps(edited, ensure_ascii=False)
    batch.write_text("\n".join(lines) + "\n")
    broken = runner.invoke(app, ["audit", "verify", str(archive)])
    assert broken.exit_code == 1 and "entry 1" in broken.output, broken.output


async def test_lookup_round_trip_across_nodes_with_deadline(
    tmp_path: Path, clusters: dict[str, str]
) -> None:
    """Hà Nội's Department of Justice looks up a citizen by CCCD in the national population
    database behind NGSP: the reply comes back correlated; a reply slower than the deadline
    makes the asker time out, and when it arrives later it is dropped and counted."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    asker, database = "000.00.12.H24", "000.00.00.G01"
    people = {"001190012345": "Lê Minh Châu"}
    slow = "079203004567"
    reply_example = example_record(bundled_catalog().get("lookup.reply"))

    async def population_database(request: dict[str, Any]) -> dict[str, Any]:
        if request["subjectId"] == slow:
            await asyncio.sleep(4)
        found = request["subjectId"] in people
        citizen = reply_example["citizen"] | {
            "idNumber": request["subjectId"],
            "fullName": people.get(request["subjectId"], ""),
        }
        return reply_example | {
            "requestId": request["requestId"],
            "outcome": "FOUND" if found else "NOT_FOUND",
            "citizen": citizen if found else None,
            "respondedAt": datetime.now(UTC),
        }

    registry = CollectorRegistry()
    metrics = LookupMetrics(registry)
    request = example_record(bundled_catalog().get("lookup.request"))
    async with running_federation(configs):
        responder = LookupResponder(
            ClusterAccess(clusters["ngsp"], PLAINTEXT),
            fed.names["ngsp"],
            database,
            population_database,
            metrics,
            partitions=2,
        )
        serving = asyncio.create_task(responder.run())
        try:
            async with LookupRequester(
                ClusterAccess(clusters["hanoi"], PLAINTEXT),
                fed.names["hanoi"],
                asker,
                metrics,
                partitions=2,
            ) as requester:
                reply = await requester.lookup(
                    request | {"subjectId": "001190012345"}, database, deadline_s=60
                )
                assert reply["outcome"] == "FOUND"
                assert reply["citizen"]["fullName"] == "Lê Minh Châu"
                with pytest.raises(LookupTimeoutError):
                    await requester.lookup(request | {"subjectId": slow}, database, deadline_s=2)
                for _ in range(60):
                    if registry.get_sample_value(
                        "lgsp_lookup_late_replies_total", {"node": fed.names["hanoi"]}
                    ):
                        break
                    await asyncio.sleep(0.5)
        finally:
            serving.cancel()
    assert (
        registry.get_sample_value("lgsp_lookup_late_replies_total", {"node": fed.names["hanoi"]})
        == 1
    )
    assert registry.get_sample_value("lgsp_lookup_answered_total", {"node": fed.names["ngsp"]}) == 2


async def test_province_cluster_down_for_a_while_loses_and_duplicates_nothing(
    tmp_path: Path, clusters: dict[str, str], settings: Settings
) -> None:
    """Đà Nẵng's whole node (cluster and gateway) is down while NGSP keeps sending documents
    to its communes; after the restart every copy arrives exactly once, Hà Nội unaffected."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    hanoi, danang = communes("000.00.00.H24"), communes("000.00.00.H15")
    await create_inboxes(fed, {"hanoi": hanoi, "danang": danang})
    outage_s = float(os.environ.get("LGSP_TEST_OUTAGE_S", "60"))

    def documents(prefix: str, count: int) -> list[tuple[Envelope, bytes, bytes]]:
        return [
            make_event(
                "document.sent",
                source=G22,
                recipients=["000.00.00.H24", "000.00.00.H15"],
                changes={"documentId": f"{prefix}-{i}"},
            )
            for i in range(count)
        ]

    topic = str(event_topic(fed.names["ngsp"], "vn.gov.document.sent.v1"))
    sent: list[tuple[Envelope, bytes, bytes]] = []
    async with running_node(configs["ngsp"]), running_node(configs["hanoi"]):
        async with running_node(configs["danang"]):
            sent += documents("before", 50)
            await publish(clusters["ngsp"], topic, sent)
            await read_all(clusters["danang"], [inbox_topic(fed.names["danang"], danang[0])], 50)
        await stop_cluster(settings, "fed-danang")
        try:
            during = documents("during", 100)
            await publish(clusters["ngsp"], topic, during)
            sent += during
            await asyncio.sleep(outage_s)
        finally:
            await start_cluster(settings, "fed-danang")
        async with running_node(configs["danang"]):
            after = documents("after", 50)
            await publish(clusters["ngsp"], topic, after)
            sent += after
            inboxes = [inbox_topic(fed.names["danang"], c) for c in danang]
            got = await read_all(
                clusters["danang"], inboxes, len(sent) * len(danang), timeout_s=120, settle_s=3
            )
        at_hanoi = await read_all(
            clusters["hanoi"],
            [inbox_topic(fed.names["hanoi"], c) for c in hanoi],
            len(sent) * len(hanoi),
            timeout_s=60,
        )
    copies = Counter((r.topic, headers_of(r)["ce_id"]) for r in got)
    expected = {(inbox_topic(fed.names["danang"], c), e.id) for c in danang for e, _, _ in sent}
    assert set(copies) == expected, f"lost {len(expected - set(copies))}"
    assert max(copies.values()) == 1, "duplicates at Đà Nẵng's communes"
    assert len(at_hanoi) == len(sent) * len(hanoi)


async def test_operator_pauses_and_resumes_a_link_with_its_lag_in_metrics(
    tmp_path: Path, clusters: dict[str, str]
) -> None:
    """A paused link forwards nothing and its lag shows in metrics; after resume the waiting
    records cross and the lag returns to zero."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    await create_inboxes(fed, {"ngsp": [G22]})
    hanoi_node, ngsp_node = fed.names["hanoi"], fed.names["ngsp"]
    statuses = [
        make_event(
            "document.status",
            source="000.01.02.H24",
            recipients=[G22],
            changes={"documentId": f"DOC-{i}"},
        )
        for i in range(20)
    ]
    async with running_node(configs["ngsp"]), running_node(configs["hanoi"]) as (gw, _):
        await set_link_paused(
            ClusterAccess(clusters["hanoi"], PLAINTEXT), hanoi_node, ngsp_node, True
        )
        await asyncio.sleep(2.5)  # links read their state every second
        await publish(
            clusters["hanoi"], str(event_topic(hanoi_node, statuses[0][0].type)), statuses
        )
        early = await read_all(
            clusters["ngsp"], [inbox_topic(ngsp_node, G22)], 1, timeout_s=5, settle_s=0
        )
        assert early == []

        def lag() -> float:
            labels = {"node": hanoi_node, "peer": ngsp_node}
            return gw.registry.get_sample_value("lgsp_link_lag_records", labels) or 0

        for _ in range(40):  # offsets: the gateway's transaction markers count as well
            if lag() >= len(statuses):
                break
            await asyncio.sleep(0.25)
        assert lag() >= len(statuses)
        await set_link_paused(
            ClusterAccess(clusters["hanoi"], PLAINTEXT), hanoi_node, ngsp_node, False
        )
        arrived = await read_all(clusters["ngsp"], [inbox_topic(ngsp_node, G22)], len(statuses))
        assert sorted(headers_of(r)["ce_id"] for r in arrived) == sorted(
            e.id for e, _, _ in statuses
        )
        for _ in range(40):
            if lag() == 0:
                break
            await asyncio.sleep(0.25)
        assert lag() == 0
