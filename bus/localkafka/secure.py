"""A secure local cluster: TLS everywhere, SASL/SCRAM for clients, ACLs enforced.

``lgsp kafka up --secure`` makes, under ``<cluster>/security/`` (mode 0700, git-ignored):

    ca.pem, ca.key            a private CA (clients trust ca.pem)
    broker.pem, broker.key    the broker's certificate for 127.0.0.1 and localhost
    broker-keystore.pem       its key and chain, in Kafka's PEM key store format
    users.json                SCRAM users and their passwords (0600), the super user first

The client listener is ``SASL_SSL`` (SCRAM-SHA-512); the controller listener is TLS with client
certificates required (KRaft cannot use SCRAM there), so only the broker itself, holding the
broker certificate, talks to the controller. ``StandardAuthorizer`` denies whatever no ACL
allows; the super users are the admin SCRAM user and the broker's certificate.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bus.kafka.security import KafkaSecurity, SaslMechanism
from bus.localkafka import certs
from bus.localkafka.layout import ClusterPaths, check_principal_name
from schemas.errors import LocalKafkaError

ADMIN_USER = "lgsp-admin"
MECHANISM: SaslMechanism = "SCRAM-SHA-512"
BROKER_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class SecureFiles:
    """The security folder of one cluster."""

    folder: Path

    @classmethod
    def of(cls, paths: ClusterPaths) -> SecureFiles:
        return cls(paths.root / "security")

    @property
    def ca(self) -> certs.Issued:
        return certs.Issued(self.folder / "ca.pem", self.folder / "ca.key")

    @property
    def keystore(self) -> Path:
        return self.folder / "broker-keystore.pem"

    @property
    def users_file(self) -> Path:
        return self.folder / "users.json"

    @property
    def exists(self) -> bool:
        return self.users_file.exists()


def prepare(files: SecureFiles) -> None:
    """Make the CA, the broker's certificate and the super user once; later starts reuse them."""
    if not files.ca.cert_file.exists():
        ca = certs.make_ca(files.folder)
        broker = certs.issue(
            ca, files.folder, "broker", certs.BROKER_COMMON_NAME, hosts=BROKER_HOSTS, server=True
        )
        certs.write_private(files.keystore, certs.key_and_chain_pem(broker, ca))
    if not files.exists:
        save_user(files, ADMIN_USER, secrets.token_urlsafe(24))


def users(files: SecureFiles) -> dict[str, SecretStr]:
    """The SCRAM users of the cluster and their passwords."""
    if not files.exists:
        return {}
    raw: dict[str, str] = json.loads(files.users_file.read_text("utf-8"))
    return {name: SecretStr(password) for name, password in raw.items()}


def save_user(files: SecureFiles, name: str, password: str) -> None:
    """Record ``name``'s password (the file stays readable by its owner only)."""
    known = {n: p.get_secret_value() for n, p in users(files).items()}
    known[check_principal_name(name)] = password
    files.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    certs.write_private(files.users_file, json.dumps(known, indent=2).encode())


def client_security(files: SecureFiles, name: str = ADMIN_USER) -> KafkaSecurity:
    """How user ``name`` connects to this cluster: SASL_SSL, SCRAM, trusting the cluster's CA."""
    password = users(files).get(name)
    if password is None:
        raise LocalKafkaError(
            f"no SCRAM user {name!r} in {files.users_file}; add it with "
            f"`lgsp kafka user add --name <cluster> --user {name}`",
            code="LGSP-KAFKA-NO-USER",
        )
    return KafkaSecurity(
        protocol="SASL_SSL",
        sasl_mechanism=MECHANISM,
        username=name,
        password=password,
        ca_file=files.ca.cert_file,
    )


def scram_format_argument(files: SecureFiles) -> str:
    """The ``--add-scram`` argument creating the super user when the storage is formatted."""
    password = users(files)[ADMIN_USER].get_secret_value()
    return f"{MECHANISM}=[name={ADMIN_USER},password={password}]"


def broker_properties(files: SecureFiles, *, port: int, controller_port: int) -> list[str]:
    """Listener, TLS, SASL and authorizer properties of a secure broker."""
    password = users(files)[ADMIN_USER].get_secret_value()
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{ADMIN_USER}" password="{password}";'
    )
    return [
        f"listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=SASL_SSL://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=SASL_SSL",
        "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL",
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config={jaas}",
        "listener.name.controller.ssl.client.auth=required",
        "ssl.keystore.type=PEM",
        f"ssl.keystore.location={files.keystore}",
        "ssl.truststore.type=PEM",
        f"ssl.truststore.location={files.ca.cert_file}",
        "ssl.enabled.protocols=TLSv1.3,TLSv1.2",
        "ssl.endpoint.identification.algorithm=https",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{ADMIN_USER};User:CN={certs.BROKER_COMMON_NAME}",
        "allow.everyone.if.no.acl.found=false",
        # A restart that replays a RemoveUserScramCredentialRecord from the metadata log (any
        # `lgsp security user-delete` since the last snapshot) comes up refusing the super
        # user's valid SCRAM login: snapshot the metadata often, so a restart loads the users
        # from a snapshot instead, and keep old snapshots one minute only.
        "metadata.log.max.snapshot.interval.ms=2000",
        "metadata.max.retention.ms=60000",
    ]


def redact(text: str, files: SecureFiles | None) -> str:
    """``text`` with every password of the cluster's users masked (for error messages)."""
    for password in users(files).values() if files else ():
        text = text.replace(password.get_secret_value(), "**********")
    return text


def env_file(files: SecureFiles, name: str) -> Path:
    """Where ``name``'s client settings (``LGSP_KAFKA_*``, password included) are written."""
    return files.folder / "clients" / f"{check_principal_name(name)}.env"


def write_env_file(files: SecureFiles, name: str, bootstrap_servers: str) -> Path:
    """Write the settings a process needs to connect as ``name`` (0600), and return the path."""
    security = client_security(files, name)
    assert security.password is not None
    path = env_file(files, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lines = [
        f"LGSP_BOOTSTRAP_SERVERS={bootstrap_servers}",
        f"LGSP_KAFKA_SECURITY_PROTOCOL={security.protocol}",
        f"LGSP_KAFKA_SASL_MECHANISM={security.sasl_mechanism}",
        f"LGSP_KAFKA_USERNAME={name}",
        f"LGSP_KAFKA_PASSWORD={security.password.get_secret_value()}",
        f"LGSP_KAFKA_CA_FILE={files.ca.cert_file}",
    ]
    certs.write_private(path, ("\n".join(lines) + "\n").encode())
    return path
