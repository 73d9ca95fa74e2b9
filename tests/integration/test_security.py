"""A secure node lets no one in: each agency's connector has its own SCRAM principal that may
publish events and read its own inbox only; wrong passwords, plaintext clients and clients not
trusting the node's CA are refused; no password ever shows in a log line or an error."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

from bus.kafka import (
    KafkaPublisher,
    KafkaSecurity,
    OutgoingRecord,
    TopicSpec,
    ensure_topics,
    kafka_consumer,
)
from bus.kafka.acls import connector_acls, connector_group, gateway_acls, gateway_group, user
from bus.kafka.factory import new_transactional_producer
from bus.localkafka import start_cluster, stop_cluster
from bus.settings import Settings
from connectors import run_connector
from connectors.httpsink import HttpSinkConfig
from gateway.config import load_gateway_config
from gateway.runner import run_gateway
from schemas.errors import LocalKafkaError
from schemas.topics import event_topic, inbox_topic
from tests.connectorharness import WARD_KEY, AgencyApp, dossier_json, webhook_config
from tests.gatewayharness import make_event
from tests.securecluster import SecureCluster, secure_cluster

__all__ = ["secure_cluster"]

NODE = "hanoi"
DOSSIER = "vn.gov.dossier.status.v1"
AGENCY, OTHER = "000.01.02.H24", "000.01.03.H24"
CONNECTOR = "ward-oss"  # the connector's name: its consumer group and topics
EVENTS = str(event_topic(NODE, DOSSIER))
OWN_INBOX, OTHER_INBOX = inbox_topic(NODE, AGENCY), inbox_topic(NODE, OTHER)


@pytest.fixture(scope="module")
def node_topics(secure_cluster: SecureCluster) -> None:
    topics = [TopicSpec(t) for t in (EVENTS, OWN_INBOX, OTHER_INBOX)]
    asyncio.run(ensure_topics(secure_cluster.bootstrap, topics, security=secure_cluster.admin))


@pytest.fixture(scope="module")
def connector(secure_cluster: SecureCluster, node_topics: None) -> KafkaSecurity:
    """The connector of agency H24's district unit, with the ACLs the convention gives it."""
    grants = connector_acls(NODE, AGENCY, user("cn-h24-02"), event_types=[DOSSIER], name=CONNECTOR)
    return asyncio.run(secure_cluster.add_user("cn-h24-02", grants))


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of every library, DEBUG included."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


async def _read(bootstrap: str, topic: str, group: str, security: KafkaSecurity) -> list[bytes]:
    values: list[bytes] = []
    async with kafka_consumer(bootstrap, topic, group_id=group, security=security) as consumer:
        async with asyncio.timeout(30):
            while not values:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    values += [r.value for r in records if r.value is not None]
        await consumer.commit()
    return values


async def test_a_connector_publishes_events_and_reads_its_own_inbox(
    secure_cluster: SecureCluster, connector: KafkaSecurity
) -> None:
    """Over SASL_SSL, the connector's principal writes its event topic and consumes (and
    commits in its own group) what the gateway delivered to its inbox."""
    async with KafkaPublisher(secure_cluster.bootstrap, security=connector) as publisher:
        landed = await publisher.publish(OutgoingRecord(EVENTS, b"event"))
    assert landed.offset >= 0
    async with KafkaPublisher(secure_cluster.bootstrap, security=secure_cluster.admin) as gw:
        await gw.publish(OutgoingRecord(OWN_INBOX, b"delivered"))
    values = await _read(
        secure_cluster.bootstrap, OWN_INBOX, connector_group(NODE, CONNECTOR), connector
    )
    assert b"delivered" in values


async def test_a_connector_cannot_read_another_agencys_inbox(
    secure_cluster: SecureCluster, connector: KafkaSecurity
) -> None:
    """Consuming the inbox of another agency fails with an authorization error."""
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(
            secure_cluster.bootstrap, OTHER_INBOX, connector_group(NODE, CONNECTOR), connector
        )


async def test_a_connector_cannot_use_another_agencys_consumer_group(
    secure_cluster: SecureCluster, connector: KafkaSecurity
) -> None:
    """Even its own inbox cannot be read through another agency's consumer group."""
    with pytest.raises(GroupAuthorizationFailedError):
        await _read(
            secure_cluster.bootstrap, OWN_INBOX, connector_group(NODE, "other-ward"), connector
        )


@pytest.mark.parametrize("topic", [OTHER_INBOX, OWN_INBOX, f"lgsp.{NODE}.link.ngsp"])
async def test_a_connector_cannot_write_inboxes_or_links(
    secure_cluster: SecureCluster, connector: KafkaSecurity, topic: str
) -> None:
    """Only the gateway delivers: a connector writing any inbox (another agency's or its own)
    or a federation link is refused."""
    async with KafkaPublisher(secure_cluster.bootstrap, security=connector) as publisher:
        with pytest.raises(TopicAuthorizationFailedError):
            await publisher.publish(OutgoingRecord(topic, b"forged delivery"))


async def test_the_gateway_principal_routes_inside_transactions_on_its_own_node_only(
    secure_cluster: SecureCluster, node_topics: None
) -> None:
    """The gateway's ACLs let it consume events in its group and deliver to inboxes inside a
    transaction with its transactional id, and refuse another node's transactional id."""
    grants = gateway_acls(NODE, user("gw-hanoi"), event_types=[DOSSIER], retry_tiers=["1s"])
    gateway = await secure_cluster.add_user("gw-hanoi", grants)
    assert await _read(secure_cluster.bootstrap, EVENTS, gateway_group(NODE), gateway)
    producer = new_transactional_producer(
        secure_cluster.bootstrap, gateway, f"lgsp-gateway-{NODE}-0"
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(OTHER_INBOX, b"routed")
    finally:
        await producer.stop()
    foreign = new_transactional_producer(secure_cluster.bootstrap, gateway, "lgsp-gateway-ngsp-0")
    with pytest.raises(TransactionalIdAuthorizationFailed):
        await foreign.start()
    await foreign.stop()


async def test_a_wrong_password_is_refused_and_not_echoed(
    secure_cluster: SecureCluster, connector: KafkaSecurity, all_logs: pytest.LogCaptureFixture
) -> None:
    """SCRAM with a wrong password fails authentication; neither the error nor any log line
    shows the password tried or the real one."""
    wrong = secure_cluster.as_user("cn-h24-02", password="not-the-password-4f1c")
    publisher = KafkaPublisher(secure_cluster.bootstrap, security=wrong)
    with pytest.raises(KafkaError) as refused:
        await publisher.__aenter__()
    await publisher.__aexit__(None, None, None)
    _assert_no_secret(
        [*secure_cluster.passwords(), "not-the-password-4f1c"], refused.value, all_logs
    )


async def test_a_plaintext_client_cannot_connect_to_the_secure_listener(
    secure_cluster: SecureCluster,
) -> None:
    """A client speaking plain Kafka to the SASL_SSL port never gets a metadata answer."""
    publisher = KafkaPublisher(secure_cluster.bootstrap, request_timeout_ms=5_000)
    with pytest.raises(KafkaConnectionError):
        await publisher.__aenter__()
    await publisher.__aexit__(None, None, None)


async def test_a_client_that_does_not_trust_the_node_ca_is_refused(
    secure_cluster: SecureCluster, connector: KafkaSecurity
) -> None:
    """TLS is verified: with the system's CAs instead of the node's, the handshake fails."""
    untrusting = connector.model_copy(update={"ca_file": None})
    publisher = KafkaPublisher(secure_cluster.bootstrap, security=untrusting)
    with pytest.raises(KafkaConnectionError):
        await publisher.__aenter__()
    await publisher.__aexit__(None, None, None)


async def test_authorization_failures_leave_no_password_in_logs_or_errors(
    secure_cluster: SecureCluster, connector: KafkaSecurity, all_logs: pytest.LogCaptureFixture
) -> None:
    """A refused write and a refused read, logged at DEBUG by every library, carry no
    password; nor do the settings' repr and str, nor the broker's own logs."""
    errors: list[BaseException] = []
    async with KafkaPublisher(secure_cluster.bootstrap, security=connector) as publisher:
        try:
            await publisher.publish(OutgoingRecord(OTHER_INBOX, b"x"))
        except KafkaError as refused_write:
            errors.append(refused_write)
    try:
        await _read(
            secure_cluster.bootstrap, OTHER_INBOX, connector_group(NODE, CONNECTOR), connector
        )
    except KafkaError as refused_read:
        errors.append(refused_read)
    assert len(errors) == 2
    for each in errors:
        _assert_no_secret(secure_cluster.passwords(), each, all_logs)
    for text in (repr(connector), str(connector), repr(secure_cluster.admin)):
        assert not any(p in text for p in secure_cluster.passwords())
    root = secure_cluster.files.folder.parent
    broker_logs = "".join(p.read_text(errors="replace") for p in root.glob("*.log*"))
    assert "sasl.jaas.config" in broker_logs, "the broker logs its configuration"
    assert not any(p in broker_logs for p in secure_cluster.passwords())


def test_the_security_command_creates_a_principal_without_printing_its_password(
    secure_cluster: SecureCluster, node_topics: None, tmp_path: Path
) -> None:
    """`lgsp security user-add` then `grant-connector` / `grant-gateway --config`: the password
    goes to a 0600 env file only, never to the terminal, and `lgsp security acls` lists the
    ACLs back (the gateway's retry tiers taken from its node file)."""
    cluster = ["--cluster", secure_cluster.name]
    added = _lgsp_security("user-add", *cluster, "--user", "cn-h24-03", "--yes")
    assert added.returncode == 0, added.stderr
    granted = _lgsp_security(
        "grant-connector",
        *cluster,
        "--user",
        "cn-h24-03",
        "--node",
        NODE,
        "--agency",
        OTHER,
        "--connector",
        "ward-3-dms",
        "--yes",
    )
    assert granted.returncode == 0, granted.stderr
    listed = _lgsp_security("acls", *cluster, "--user", "cn-h24-03")
    assert f"User:cn-h24-03 may READ TOPIC name {OTHER_INBOX}" in listed.stdout
    (tmp_path / "node.yaml").write_text("node: hanoi\nretry_tiers: [10s]\n")
    gateway = _lgsp_security(
        "grant-gateway", *cluster, "--user", "gw-cli", "--config", str(tmp_path / "node.yaml"),
        "--yes",
    )  # fmt: skip
    assert gateway.returncode == 0, gateway.stderr
    assert f"READ TOPIC name {EVENTS}.retry.10s" in gateway.stdout
    env = secure_cluster.files.folder / "clients" / "cn-h24-03.env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    password = secure_cluster.as_user("cn-h24-03").password
    assert password is not None and password.get_secret_value() in env.read_text()
    for output in (added, granted, listed, gateway):
        assert not any(p in output.stdout + output.stderr for p in secure_cluster.passwords())


def test_the_security_command_refuses_resets_lists_revokes_and_deletes_users(
    secure_cluster: SecureCluster,
) -> None:
    """`user-add` needs --yes without a terminal, refuses a second `user-add` of the same user
    unless --reset (exit 1, LGSP-SEC-USER-EXISTS, password unchanged); `user-list --output
    json` lists it; `revoke` removes its ACLs; `user-delete` removes the user."""
    cluster = ["--cluster", secure_cluster.name]
    name = f"cn-life-{uuid.uuid4().hex[:6]}"
    unconfirmed = _lgsp_security("user-add", *cluster, "--user", name)
    assert unconfirmed.returncode == 1
    assert "needs --yes" in unconfirmed.stderr
    assert _lgsp_security("user-add", *cluster, "--user", name, "--yes").returncode == 0
    password = secure_cluster.as_user(name).password
    again = _lgsp_security("user-add", *cluster, "--user", name, "--yes")
    assert again.returncode == 1
    assert "LGSP-SEC-USER-EXISTS" in again.stderr and again.stdout == ""
    assert secure_cluster.as_user(name).password == password
    reset = _lgsp_security("user-add", *cluster, "--user", name, "--reset", "--yes")
    assert reset.returncode == 0, reset.stderr
    assert secure_cluster.as_user(name).password != password
    listed = _lgsp_security("user-list", *cluster, "--output", "json")
    users = {json.loads(line)["user"]: json.loads(line) for line in listed.stdout.splitlines()}
    assert users[name]["mechanisms"] == "SCRAM-SHA-512"
    grant = ["--user", name, "--node", NODE, "--agency", OTHER, "--connector", "c", "--yes"]
    assert _lgsp_security("grant-connector", *cluster, *grant).returncode == 0
    revoked = _lgsp_security("revoke", *cluster, "--user", name, "--yes", "--output", "json")
    assert revoked.returncode == 0, revoked.stderr
    rules = [json.loads(line) for line in revoked.stdout.splitlines()]
    assert rules and all(r["principal"] == f"User:{name}" for r in rules)
    assert _lgsp_security("acls", *cluster, "--user", name).stdout == ""
    deleted = _lgsp_security("user-delete", *cluster, "--user", name, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    listed = _lgsp_security("user-list", *cluster, "--output", "json")
    assert name not in listed.stdout
    gone = _lgsp_security("user-delete", *cluster, "--user", name, "--yes")
    assert gone.returncode == 1 and "LGSP-SEC-NO-USER" in gone.stderr


def _lgsp_security(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgsp", "security", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _assert_no_secret(
    secrets: list[str], error: BaseException, logs: pytest.LogCaptureFixture
) -> None:
    texts = [str(error), repr(error), logs.text]
    texts += [record.getMessage() for record in logs.records]
    texts += [str(record.exc_info[1]) for record in logs.records if record.exc_info]
    for secret in secrets:
        assert not any(secret in text for text in texts), "a password leaked"


async def test_a_secure_cluster_restarts_secure_with_its_users_and_acls(
    settings: Settings, secure_cluster: SecureCluster, connector: KafkaSecurity
) -> None:
    """`down` then `up` without --secure: still SASL_SSL only, the connector's credential and
    ACLs survive (they live in the KRaft metadata log), another inbox is still refused."""
    await stop_cluster(settings, secure_cluster.name)
    status = await start_cluster(settings, secure_cluster.name)
    assert status.secure and status.bootstrap_servers == secure_cluster.bootstrap
    async with KafkaPublisher(secure_cluster.bootstrap, security=connector) as publisher:
        assert (await publisher.publish(OutgoingRecord(EVENTS, b"after restart"))).offset >= 0
        with pytest.raises(TopicAuthorizationFailedError):
            await publisher.publish(OutgoingRecord(OTHER_INBOX, b"x"))
    plaintext = KafkaPublisher(secure_cluster.bootstrap, request_timeout_ms=5_000)
    with pytest.raises(KafkaConnectionError):
        await plaintext.__aenter__()
    await plaintext.__aexit__(None, None, None)


async def test_a_plaintext_cluster_cannot_be_turned_secure_in_place(settings: Settings) -> None:
    """`up --secure` on a cluster formatted without security fails with LGSP-KAFKA-NOT-SECURE
    (its storage has no super user) instead of starting half secure."""
    name = f"pytest-plain-{uuid.uuid4().hex[:6]}"
    try:
        await start_cluster(settings, name)
        await stop_cluster(settings, name)
        with pytest.raises(LocalKafkaError) as refused:
            await start_cluster(settings, name, secure_mode=True)
        assert refused.value.code == "LGSP-KAFKA-NOT-SECURE"
    finally:
        await stop_cluster(settings, name, purge=True)


async def test_the_gateway_routes_on_a_secure_broker_with_only_its_own_grants(
    secure_cluster: SecureCluster, node_topics: None, tmp_path: Path
) -> None:
    """The real gateway engine, connected over SASL_SSL as its own principal with the ACLs
    the convention gives it, creates its topics, restores, and routes a dossier to an inbox."""
    grants = gateway_acls(NODE, user("gw-engine"), event_types=[DOSSIER], retry_tiers=["1s"])
    security = await secure_cluster.add_user("gw-engine", grants)
    (tmp_path / "routes.yaml").write_text(
        "routes:\n  - name: dossiers\n    types: [vn.gov.dossier.status.v1]\n"
        "    from: [under 000.00.00.H24]\n    to: [under 000.00.00.H24]\n"
    )
    (tmp_path / "node.yaml").write_text(
        f"node: {NODE}\nroutes: routes.yaml\npartitions: 1\nretry_tiers: [1s]\nadmin: {{port: 0}}\n"
    )
    config = load_gateway_config(tmp_path / "node.yaml")
    envelope, key, value = make_event("dossier.status", source=AGENCY, recipients=[AGENCY])
    async with run_gateway(
        config, Settings(), bootstrap=secure_cluster.bootstrap, security=security
    ) as running:
        await running.wait_ready(60)
        async with KafkaPublisher(
            secure_cluster.bootstrap, security=secure_cluster.admin
        ) as publisher:
            await publisher.publish(OutgoingRecord(EVENTS, value, key, envelope.to_headers()))
        ids: set[str] = set()
        async with kafka_consumer(
            secure_cluster.bootstrap, OWN_INBOX, group_id=None, security=secure_cluster.admin
        ) as consumer:
            async with asyncio.timeout(60):
                while envelope.id not in ids:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        ids |= {dict(r.headers).get("ce_id", b"").decode() for r in records}
    assert envelope.id in ids


def _settings_for(security: KafkaSecurity) -> Settings:
    """The process settings a connector run as this principal would read from LGSP_KAFKA_*."""
    return Settings(
        kafka_security_protocol=security.protocol,
        kafka_sasl_mechanism=security.sasl_mechanism,
        kafka_username=security.username,
        kafka_password=security.password,
        kafka_ca_file=security.ca_file,
    )


async def test_connectors_run_on_a_secure_broker_as_their_own_principals(
    secure_cluster: SecureCluster, node_topics: None
) -> None:
    """A webhook and an HTTP sink of the ward, each run by the SDK with its own principal and
    only the grants of `lgsp security grant-connector`, publish a posted dossier and deliver an
    inbox record to the ward's system; the sink's group and DLQ topic are its own."""
    webhook_grants = connector_acls(
        NODE, AGENCY, user("cn-webhook"), event_types=[DOSSIER], name="webhook"
    )
    sink_grants = connector_acls(NODE, AGENCY, user("cn-sink"), event_types=[], name="dms")
    webhook_user = await secure_cluster.add_user("cn-webhook", webhook_grants)
    sink_user = await secure_cluster.add_user("cn-sink", sink_grants)
    async with (
        KafkaPublisher(secure_cluster.bootstrap, security=secure_cluster.admin) as admin,
        AgencyApp().serve() as agency,
        run_connector(
            webhook_config(NODE, secure_cluster.bootstrap), _settings_for(webhook_user)
        ) as webhook,
        run_connector(
            HttpSinkConfig.model_validate(
                {
                    "name": "dms",
                    "node": NODE,
                    "agency": AGENCY,
                    "bootstrap_servers": secure_cluster.bootstrap,
                    "url": f"{agency.url}/inbox",
                }
            ),
            _settings_for(sink_user),
        ),
    ):
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"http://127.0.0.1:{webhook.port}/events/dossier.status",
                json=dossier_json("H24.22-SECURE"),
                headers={"X-Api-Key": WARD_KEY},
            )
        assert answer.status_code == 202, answer.text
        envelope, key, value = make_event("dossier.status", source=AGENCY, recipients=[AGENCY])
        await admin.publish(OutgoingRecord(OWN_INBOX, value, key, envelope.to_headers()))
        async with asyncio.timeout(60):
            while envelope.id not in agency.received:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    published = await _read(
        secure_cluster.bootstrap, EVENTS, f"check-{uuid.uuid4().hex[:6]}", secure_cluster.admin
    )
    assert any(b"H24.22-SECURE" in v for v in published)
