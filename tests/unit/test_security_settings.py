"""Client security settings, node ACLs computed from the topic convention, and the TLS
material a secure local cluster is made with."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from pydantic import SecretStr

from bus.kafka.acls import (
    AclBinding,
    Operation,
    PatternType,
    ResourceType,
    connector_acls,
    connector_group,
    gateway_acls,
    user,
)
from bus.kafka.security import KafkaSecurity, KafkaSecurityError, client_options
from bus.localkafka import certs
from bus.localkafka.config import server_properties
from bus.localkafka.layout import ClusterPaths
from bus.localkafka.secure import SecureFiles, broker_properties, prepare, redact, users
from bus.settings import Settings
from connectors.topics import checkpoint_topic, connector_dlq_topic, consumer_group

TYPES = ["vn.gov.dossier.status.v1", "vn.gov.document.sent.v1"]


def test_plaintext_is_the_default_and_adds_no_tls_or_sasl() -> None:
    """Clients given no security (None) connect in plaintext, as before."""
    assert client_options(None) == {"security_protocol": "PLAINTEXT"}


def test_the_password_is_hidden_in_repr_and_str_but_reaches_the_client() -> None:
    """SecretStr shows ********** everywhere but in the options handed to aiokafka."""
    security = KafkaSecurity(
        protocol="SASL_PLAINTEXT", username="cn", password=SecretStr("s3cr3t-pw")
    )
    assert "s3cr3t-pw" not in repr(security) and "s3cr3t-pw" not in str(security)
    assert client_options(security)["sasl_plain_password"] == "s3cr3t-pw"


def test_sasl_without_credentials_is_refused_with_a_code() -> None:
    """SASL_SSL without a password cannot work: LGSP-SEC-CONFIG, said at start."""
    with pytest.raises(KafkaSecurityError) as refused:
        KafkaSecurity(protocol="SASL_SSL", username="cn")
    assert refused.value.code == "LGSP-SEC-CONFIG"


def test_a_missing_ca_file_is_refused_with_a_code(tmp_path: Path) -> None:
    """A CA file that does not exist is named in the error."""
    with pytest.raises(KafkaSecurityError, match="ca_file"):
        KafkaSecurity(protocol="SSL", ca_file=tmp_path / "nope.pem")


def test_settings_read_the_security_from_lgsp_kafka_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LGSP_KAFKA_* variables become the process's KafkaSecurity; the password stays secret."""
    monkeypatch.setenv("LGSP_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("LGSP_KAFKA_USERNAME", "gw-hanoi")
    monkeypatch.setenv("LGSP_KAFKA_PASSWORD", "from-env-pw")
    settings = Settings()
    security = settings.kafka_security()
    assert security.username == "gw-hanoi" and security.uses_sasl
    assert "from-env-pw" not in repr(settings)


def test_a_connector_may_publish_events_and_read_only_its_own_inbox() -> None:
    """The connector's ACLs: WRITE on each event topic, READ on its inbox and group, no more."""
    acls = connector_acls("hanoi", "000.01.02.H24", "User:cn", event_types=TYPES, name="ward-oss")
    assert {(a.resource_name, a.operation) for a in acls} == {
        ("lgsp.hanoi.dossier.status.v1", Operation.WRITE),
        ("lgsp.hanoi.document.sent.v1", Operation.WRITE),
        ("lgsp.hanoi.inbox.000-01-02-h24", Operation.READ),
        ("lgsp.hanoi.connector.ward-oss", Operation.READ),
        ("lgsp.hanoi.connector.ward-oss.", Operation.READ),
        ("lgsp.hanoi.connector.ward-oss.", Operation.WRITE),
        ("lgsp.hanoi.connector.ward-oss.", Operation.CREATE),
    }
    prefixed = {a.resource_name for a in acls if a.pattern is PatternType.PREFIXED}
    assert prefixed == {"lgsp.hanoi.connector.ward-oss."}
    # the names the connector SDK uses are the ones granted
    assert connector_group("hanoi", "ward-oss") == consumer_group("hanoi", "ward-oss")
    for topic in (checkpoint_topic("hanoi", "ward-oss"), connector_dlq_topic("hanoi", "ward-oss")):
        assert topic.startswith("lgsp.hanoi.connector.ward-oss.")


def test_the_gateway_reads_events_and_tiers_and_writes_deliveries_of_its_node_only() -> None:
    """Gateway ACLs: read events and retry tiers, write inboxes/links/tiers/DLQs, its own group
    and transactional ids; every resource belongs to its node."""
    acls = gateway_acls("hanoi", user("gw"), event_types=TYPES, retry_tiers=["30s", "5m"])
    allowed = {(a.resource_type, a.resource_name, a.pattern, a.operation) for a in acls}
    topic, lit, pre = ResourceType.TOPIC, PatternType.LITERAL, PatternType.PREFIXED
    assert (topic, "lgsp.hanoi.dossier.status.v1", lit, Operation.READ) in allowed
    assert (topic, "lgsp.hanoi.dossier.status.v1", lit, Operation.WRITE) not in allowed
    assert (topic, "lgsp.hanoi.dossier.status.v1.retry.5m", lit, Operation.READ) in allowed
    assert (topic, "lgsp.hanoi.document.sent.v1.dlq", lit, Operation.WRITE) in allowed
    assert (topic, "lgsp.hanoi.inbox.", pre, Operation.WRITE) in allowed
    assert (topic, "lgsp.hanoi.inbox.", pre, Operation.READ) not in allowed
    assert (topic, "lgsp.hanoi.link.", pre, Operation.WRITE) in allowed
    assert (ResourceType.GROUP, "lgsp-gateway-hanoi", lit, Operation.READ) in allowed
    assert (ResourceType.TRANSACTIONAL_ID, "lgsp-gateway-hanoi-", pre, Operation.WRITE) in allowed
    assert (ResourceType.TRANSACTIONAL_ID, "lgsp-dlq-hanoi", lit, Operation.WRITE) in allowed
    assert all(
        a.resource_name.startswith(("lgsp.hanoi.", "lgsp-gateway-hanoi", "lgsp-dlq-hanoi"))
        for a in acls
    )
    assert ResourceType.CLUSTER not in {a.resource_type for a in acls}


def test_an_acl_reads_as_a_sentence() -> None:
    """What `lgsp security acls` prints."""
    binding = AclBinding(
        "User:cn", ResourceType.TOPIC, "lgsp.hanoi.", PatternType.PREFIXED, Operation.READ
    )
    assert str(binding) == "User:cn may READ TOPIC prefix lgsp.hanoi."


def test_the_broker_certificate_is_signed_by_the_ca_for_loopback(tmp_path: Path) -> None:
    """The broker certificate names 127.0.0.1 and localhost, serves and authenticates, is
    signed by the cluster's CA; private keys are 0600."""
    files = SecureFiles.of(ClusterPaths(tmp_path / "cluster"))
    prepare(files)
    ca = x509.load_pem_x509_certificate(files.ca.cert_file.read_bytes())
    broker = x509.load_pem_x509_certificate((files.folder / "broker.pem").read_bytes())
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1"}
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    usage = broker.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH} <= set(usage)
    for secret in (files.ca.key_file, files.keystore, files.users_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_a_client_certificate_is_issued_for_its_principal(tmp_path: Path) -> None:
    """Client certificates carry the principal's name and only the client usage."""
    files = SecureFiles.of(ClusterPaths(tmp_path / "cluster"))
    prepare(files)
    issued = certs.issue(files.ca, tmp_path, "cn", "cn-h24")
    cert = x509.load_pem_x509_certificate(issued.cert_file.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=cn-h24"
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_a_secure_broker_listens_only_on_sasl_ssl_and_denies_by_default(tmp_path: Path) -> None:
    """No PLAINTEXT listener remains; the authorizer denies what no ACL allows."""
    files = SecureFiles.of(ClusterPaths(tmp_path / "cluster"))
    prepare(files)
    text = server_properties(
        port=9092,
        controller_port=9093,
        data_dir=tmp_path,
        listener_lines=broker_properties(files, port=9092, controller_port=9093),
    )
    assert "PLAINTEXT://" not in text
    assert "listeners=SASL_SSL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093" in text
    assert "allow.everyone.if.no.acl.found=false" in text
    assert "listener.name.controller.ssl.client.auth=required" in text


def test_redact_masks_every_user_password(tmp_path: Path) -> None:
    """Error messages quoting tool output pass through redact: passwords become asterisks."""
    files = SecureFiles.of(ClusterPaths(tmp_path / "cluster"))
    prepare(files)
    password = next(iter(users(files).values())).get_secret_value()
    assert password not in redact(f"failed: password={password}", files)


def test_a_client_certificate_and_the_node_ca_make_a_verifying_tls_context(tmp_path: Path) -> None:
    """SSL with a client certificate: the context trusts the node's CA, checks host names and
    presents the certificate (mutual TLS)."""
    files = SecureFiles.of(ClusterPaths(tmp_path / "cluster"))
    prepare(files)
    issued = certs.issue(files.ca, tmp_path, "cn", "cn-h24")
    security = KafkaSecurity(
        protocol="SSL",
        ca_file=files.ca.cert_file,
        cert_file=issued.cert_file,
        key_file=issued.key_file,
    )
    context = security.ssl_context()
    assert context is not None and context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "LGSP local CA"),),)]
