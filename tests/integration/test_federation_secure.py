"""Federation between two SASL_SSL clusters with ACLs: NGSP and Hà Nội, each gateway (with its
border and link) as its own principal holding only `grant-gateway --federation`'s grants, each
link as a principal on the peer's cluster holding only `grant-link`'s (write one border topic).

A link with a wrong password, then a CA that does not sign the peer's certificate, fails with
LGSP-FED-LINK-AUTH then LGSP-FED-LINK-TLS (log line and ``lgsp_link_failing``), and forwards
everything once its files are fixed, without a restart: nothing lost, nothing twice. No
password of any principal appears in any log line."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from prometheus_client import CollectorRegistry

from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.acls import gateway_acls, link_acls, user
from bus.localkafka import secure, start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths
from bus.settings import Settings
from gateway.federation.runtime import Federation
from schemas.catalog import bundled_catalog
from schemas.ids.directory import bundled_directory
from schemas.topics import border_topic, event_topic, inbox_topic
from tests.federationharness import Federated, running_node
from tests.gatewayharness import headers_of, make_event, publish, read_all
from tests.securecluster import SecureCluster

G22 = "000.00.00.G22"
ROLES = ("ngsp", "hanoi")
EVENT_TYPES = sorted({v.event_type for v in bundled_catalog()})
FAILING_S = 60


@pytest.fixture(scope="module")
def secure_pair(settings: Settings) -> Iterator[dict[str, SecureCluster]]:
    """Two secure clusters (own CA, super user) for this module; purged after."""
    suffix = uuid.uuid4().hex[:6]
    started: dict[str, SecureCluster] = {}
    try:
        for role in ROLES:
            name = f"pytest-fsec-{role[:2]}-{suffix}"
            status = asyncio.run(start_cluster(settings, name, secure_mode=True))
            assert status.bootstrap_servers and status.secure
            files = secure.SecureFiles.of(ClusterPaths.of(settings.home, name))
            started[role] = SecureCluster(name, status.bootstrap_servers, files)
        yield started
    finally:
        for cluster in started.values():
            asyncio.run(stop_cluster(settings, cluster.name, purge=True))


def _communes(province: str) -> list[str]:
    return [str(a.code) for a in bundled_directory().descendants(province, tier="commune")]


def _link_value(registry: CollectorRegistry, node: str, peer: str, code: str) -> float:
    value = registry.get_sample_value(
        "lgsp_link_failing", {"node": node, "peer": peer, "code": code}
    )
    return value or 0.0


async def _until(check: object, timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_links_between_secure_clusters_carry_records_and_receipts_and_recover(
    secure_pair: dict[str, SecureCluster], tmp_path: Path
) -> None:
    """Statuses wait while Hà Nội's link has a wrong password (LGSP-FED-LINK-AUTH), then a
    wrong CA (LGSP-FED-LINK-TLS); once both files are fixed they reach G22 exactly once; a
    document from G22 reaches every Hà Nội commune and their receipts come back to NGSP."""
    ngsp, hanoi = secure_pair["ngsp"], secure_pair["hanoi"]
    clusters = {"ngsp": ngsp.bootstrap, "hanoi": hanoi.bootstrap}
    fed = Federated(tmp_path, clusters, roles=ROLES)
    names = fed.names
    # Each link's principal exists on the PEER's cluster, with the grant-link ACL only.
    link_users = {
        "hanoi": await ngsp.add_user(
            f"link-{names['hanoi']}",
            link_acls(names["hanoi"], names["ngsp"], user(f"link-{names['hanoi']}")),
        ),
        "ngsp": await hanoi.add_user(
            f"link-{names['ngsp']}",
            link_acls(names["ngsp"], names["hanoi"], user(f"link-{names['ngsp']}")),
        ),
    }
    gateways = {
        role: await cluster.add_user(
            f"gw-{names[role]}",
            gateway_acls(
                names[role],
                user(f"gw-{names[role]}"),
                event_types=EVENT_TYPES,
                retry_tiers=["1s", "2s"],
                federation=True,
            ),
        )
        for role, cluster in secure_pair.items()
    }
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    hanoi_pw, hanoi_ca = secrets / "hanoi-link.pw", secrets / "ngsp-ca.pem"
    hanoi_pw.write_text("not-the-password\n")  # wrong at first
    shutil.copy(ngsp.files.ca.cert_file, hanoi_ca)
    assert link_users["ngsp"].password is not None
    fed.link_security = {
        ("hanoi", "ngsp"): {
            "protocol": "SASL_SSL",
            "username": f"link-{names['hanoi']}",
            "password_file": str(hanoi_pw),
            "ca_file": str(hanoi_ca),
        },
        ("ngsp", "hanoi"): {
            "protocol": "SASL_SSL",
            "username": f"link-{names['ngsp']}",
            "password_env": "LGSP_TEST_LINK_PASSWORD",
            "ca_file": str(hanoi.files.ca.cert_file),
        },
    }
    configs = fed.write()
    communes = _communes("000.00.00.H24")
    # Topics an operator (super user) creates with the node: event topics, inboxes.
    for role, cluster in secure_pair.items():
        specs = [TopicSpec(str(event_topic(names[role], t)), 2) for t in EVENT_TYPES]
        agencies = [G22] if role == "ngsp" else communes
        specs += [TopicSpec(inbox_topic(names[role], a), 2) for a in agencies]
        await ensure_topics(cluster.bootstrap, specs, security=cluster.admin)
    environ = {"LGSP_TEST_LINK_PASSWORD": link_users["ngsp"].password.get_secret_value()}
    with structlog.testing.capture_logs() as logs:
        async with (
            running_node(configs["ngsp"], gateways["ngsp"], environ),
            running_node(configs["hanoi"], gateways["hanoi"], environ) as (hanoi_gw, hanoi_fed),
        ):
            await _exchange(
                fed, secure_pair, hanoi_gw.registry, hanoi_fed, communes, hanoi_pw, hanoi_ca
            )
    shown = " ".join(str(entry) for entry in logs)
    for password in [*ngsp.passwords(), *hanoi.passwords()]:
        assert password not in shown, "a password was logged"
    codes = {entry.get("code") for entry in logs if entry.get("event") == "link_down"}
    assert {"LGSP-FED-LINK-AUTH", "LGSP-FED-LINK-TLS"} <= codes, codes


async def _exchange(
    fed: Federated,
    clusters: dict[str, SecureCluster],
    registry: CollectorRegistry,
    hanoi_fed: Federation,
    communes: list[str],
    hanoi_pw: Path,
    hanoi_ca: Path,
) -> None:
    names = fed.names
    ngsp, hanoi = clusters["ngsp"], clusters["hanoi"]
    statuses = [
        make_event("document.status", source=c, recipients=[G22], changes={"documentId": "DOC-0"})
        for c in communes[:5]
    ]
    await publish(
        hanoi.bootstrap,
        str(event_topic(names["hanoi"], statuses[0][0].type)),
        statuses,
        security=hanoi.admin,
    )
    node, peer = names["hanoi"], names["ngsp"]
    await _until(lambda: _link_value(registry, node, peer, "LGSP-FED-LINK-AUTH") == 1, FAILING_S)
    # the right password, but a CA that did not sign NGSP's brokers (Hà Nội's own)
    password = ngsp.as_user(f"link-{names['hanoi']}").password
    assert password is not None
    await asyncio.to_thread(hanoi_pw.write_text, password.get_secret_value())
    shutil.copy(hanoi.files.ca.cert_file, hanoi_ca)
    await _until(lambda: _link_value(registry, node, peer, "LGSP-FED-LINK-TLS") == 1, FAILING_S)
    shutil.copy(ngsp.files.ca.cert_file, hanoi_ca)
    g22_inbox = [inbox_topic(names["ngsp"], G22)]
    back = await read_all(
        ngsp.bootstrap, g22_inbox, len(statuses), security=ngsp.admin, timeout_s=90
    )
    assert sorted(headers_of(r)["ce_id"] for r in back) == sorted(e.id for e, _, _ in statuses)
    assert _link_value(registry, node, peer, "LGSP-FED-LINK-TLS") == 0
    assert hanoi_fed.links[peer].connected.is_set()
    # and the other way: a document fanned out to Hà Nội's communes, receipts back to NGSP
    document = make_event(
        "document.sent", source=G22, recipients=["000.00.00.H24"], changes={"documentId": "DOC-1"}
    )
    await publish(
        ngsp.bootstrap, str(event_topic(names["ngsp"], document[0].type)), [document],
        security=ngsp.admin,
    )  # fmt: skip
    inboxes = [inbox_topic(names["hanoi"], c) for c in communes]
    # each commune's inbox: the document, and NGSP's receipt for the status it sent
    got = await read_all(
        hanoi.bootstrap, inboxes, 2 * len(communes), security=hanoi.admin, timeout_s=90
    )
    assert len(got) == 2 * len(communes)
    documents = [r for r in got if headers_of(r)["ce_type"] == document[0].type]
    assert sorted(r.topic for r in documents) == sorted(inboxes), "one copy per commune"
    assert {headers_of(r)["ce_id"] for r in documents} == {document[0].id}
    receipts = await read_all(
        ngsp.bootstrap, g22_inbox, len(statuses) + len(communes), security=ngsp.admin, timeout_s=90
    )
    kinds = [headers_of(r)["ce_type"] for r in receipts]
    assert kinds.count("vn.gov.delivery.receipt.v1") == len(communes), kinds
    assert border_topic(names["ngsp"], names["hanoi"])  # the topic the link may write
