"""The console on the production topology: a node on a 3-broker SASL_SSL cluster with ACLs,
its gateway and tracker each as its own principal, and the console as its own principal
holding only `grant-console`'s grants (console_acls). Over HTTP through the console's real
server: the overview shows both processes ready and the dead letter waiting, the dead letters
list, an operator's redrive is delivered, and the trace shows the routed hop (route log) and
the redriven dead letter.

The cluster is this module's own (three brokers, its own CA and users), purged after."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.httpserver import bound_port, http_server
from bus.kafka import KafkaSecurity, TopicSpec, ensure_topics
from bus.kafka.acls import console_acls, gateway_acls, tracker_acls, user
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.ops.admin import admin_app
from gateway.runner import run_gateway
from lgsp.console.config import ConsoleConfig, ListenConfig, ProcessKind, ProcessSpec
from lgsp.console.server import running_console
from schemas.catalog import bundled_catalog
from tests.consoleharness import csrf_of, logged_in
from tests.gatewayharness import (
    DOSSIER,
    PORTAL_ROUTES,
    PrivateNode,
    headers_of,
    make_event,
    publish,
    read_all,
)
from tests.securecluster import SecureCluster, started_secure_cluster
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker
from tracker.topics import REPORT_QUARTERLY, TRACKED_TYPES

OPERATOR = "secure-operator-token-0123456789"
TOKENS = [AdminToken(name="binh-ops", role=Role.OPERATOR, token_sha256=hash_admin_token(OPERATOR))]
TIERS = ("1s", "2s")
EVENT_TYPES = sorted({v.event_type for v in bundled_catalog()})


@pytest.fixture(scope="module")
def three_secure_brokers(settings: Settings) -> Iterator[SecureCluster]:
    """A secure cluster of three brokers (replication 3, min.insync 2) for this module."""
    with started_secure_cluster(settings, "pytest-csec", brokers=3) as cluster:
        yield cluster


@dataclass
class SecureNode:
    console: str
    node: PrivateNode
    cluster: SecureCluster


def _settings_of(bootstrap: str, security: KafkaSecurity) -> Settings:
    return Settings(
        bootstrap_servers=bootstrap,
        kafka_security_protocol=security.protocol,
        kafka_sasl_mechanism=security.sasl_mechanism,
        kafka_username=security.username,
        kafka_password=security.password,
        kafka_ca_file=security.ca_file,
    )


@pytest.fixture
async def secure_node(
    three_secure_brokers: SecureCluster, tmp_path: Path
) -> AsyncIterator[SecureNode]:
    """A node's gateway (with its admin API), tracker and console, each as its own user."""
    cluster = three_secure_brokers
    node = PrivateNode(cluster.bootstrap, tmp_path)
    config = load_gateway_config(node.write(PORTAL_ROUTES, tiers=TIERS))
    name = node.name
    gateway_user = await cluster.add_user(
        f"gw-{name}",
        gateway_acls(name, user(f"gw-{name}"), event_types=EVENT_TYPES, retry_tiers=TIERS),
    )
    tracker_user = await cluster.add_user(
        f"tr-{name}",
        tracker_acls(
            name, user(f"tr-{name}"), tracked_types=TRACKED_TYPES, report_type=REPORT_QUARTERLY
        ),
    )
    console_user = await cluster.add_user(
        f"lgsp-console-{name}",
        console_acls(
            name, user(f"lgsp-console-{name}"), event_types=EVENT_TYPES, retry_tiers=TIERS
        ),
    )
    # what an operator (the super user) creates with the node: its event topic
    await ensure_topics(
        cluster.bootstrap, [TopicSpec(node.topic(DOSSIER), 3)], security=cluster.admin
    )
    tracker_config = TrackerConfig(node=name, api=ApiConfig(port=0), clock="wall")
    async with (
        run_gateway(config, Settings(), admin_port=0, security=gateway_user) as running,
        run_tracker(tracker_config, _settings_of(cluster.bootstrap, tracker_user)) as tracker,
        http_server(admin_app(running.gateway, tokens=TOKENS), "127.0.0.1", 0) as admin,
    ):
        await running.wait_ready(90)
        console_config = ConsoleConfig(
            gateway_config=node.folder / "node.yaml",
            listen=ListenConfig(port=0),
            poll_s=1.0,
            processes=[
                ProcessSpec(
                    name="gateway",
                    kind=ProcessKind.GATEWAY,
                    url=f"http://127.0.0.1:{bound_port(admin)}",
                ),
                ProcessSpec(name="tracker", kind=ProcessKind.TRACKER, url=tracker.api_url),
            ],
        )
        async with running_console(console_config, TOKENS, cluster.bootstrap, console_user) as (
            _,
            server,
        ):
            yield SecureNode(f"http://127.0.0.1:{bound_port(server)}", node, cluster)


async def _until_overview(client: httpx.AsyncClient, want: str, timeout_s: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        live = await client.get("/overview/live")
        assert live.status_code == 200, live.text
        if re.search(want, live.text):
            return live.text
        assert loop.time() < deadline, f"overview never showed {want!r}: {live.text}"
        await asyncio.sleep(0.5)


async def test_the_console_works_with_its_own_principal_on_a_secure_replicated_cluster(
    secure_node: SecureNode,
) -> None:
    """As `grant-console`'s principal only: the overview shows gateway and tracker ready and
    one dead letter waiting; the list shows it; an operator's redrive is delivered; the trace
    shows it routed by its route (route log) and the dead letter redriven."""
    node, cluster = secure_node.node, secure_node.cluster
    dossier = make_event("dossier.status", source="000.01.02.H24")
    await publish(cluster.bootstrap, node.topic(DOSSIER), [dossier], security=cluster.admin)
    parked = await read_all(
        cluster.bootstrap, [node.topic(DOSSIER) + ".dlq"], 1, security=cluster.admin, timeout_s=60
    )
    ref = f"{parked[0].topic}:{parked[0].partition}:{parked[0].offset}"
    key = (parked[0].key or b"").decode()
    async with logged_in(secure_node.console, OPERATOR) as operator:
        live = await _until_overview(
            operator, r'id="dead-letters-waiting">1<[\s\S]*>2/2</div>processes ready', 90
        )
        assert "not ready" not in live
        listed = await operator.get("/dead-letters", params={"event_type": DOSSIER})
        assert (
            listed.status_code == 200 and ref in listed.text and "1 dead letter(s)." in listed.text
        )
        await ensure_topics(
            cluster.bootstrap, [TopicSpec(node.inbox("portal"), 3)], security=cluster.admin
        )
        await asyncio.sleep(2.5)  # the gateway lists topics every 2 s
        selection = {"csrf": csrf_of(listed.text), "event_type": DOSSIER, "ce_id": dossier[0].id}
        confirm = await operator.post(
            "/dead-letters/confirm", data={**selection, "action": "redrive"}
        )
        assert confirm.status_code == 200 and "<b>1</b> dead letter(s)" in confirm.text
        done = await operator.post(
            "/dead-letters/act", data={**selection, "action": "redrive", "count": "1"}
        )
        assert done.status_code == 200 and "1 dead letter(s) redriven." in done.text, done.text
        delivered = await read_all(
            cluster.bootstrap, [node.inbox("portal")], 1, security=cluster.admin, timeout_s=60
        )
        assert [headers_of(r)["ce_id"] for r in delivered] == [dossier[0].id]
        trace = await operator.get("/trace", params={"subject": key})
        assert trace.status_code == 200, trace.text
        hops = trace.text
        assert '<b class="what">routed</b> · route dossiers-to-portal' in hops, hops
        assert f"into {node.inbox('portal')}" in hops, hops
        assert "dead letter (redriven)" in hops, hops
