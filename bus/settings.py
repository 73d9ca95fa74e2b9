"""The process settings: one frozen object read once from ``LGSP_*`` variables and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bus.adminauth import AdminToken
from bus.kafka.security import KafkaSecurity, SaslMechanism, SecurityProtocol
from schemas.errors import LgspError


class Settings(BaseSettings):
    """Settings of one ``lgsp`` process. Every field can be set as ``LGSP_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="LGSP_", frozen=True, extra="ignore")

    home: Path = Field(
        default=Path(".lgsp"),
        description="Working folder for the Kafka jar cache, local clusters and their logs.",
    )
    bootstrap_servers: str | None = Field(
        default=None,
        description="Kafka bootstrap servers (host:port,...). Unset: use a local cluster.",
    )
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    log_json: bool = Field(default=True, description="JSON log lines (false: console text).")
    kafka_version: str = Field(default="4.4.0", description="Apache Kafka broker version.")
    kafka_heap_mb: int = Field(default=256, ge=128, description="Local broker's Java heap.")
    kafka_quick_jit: bool = Field(
        default=True,
        description="Local brokers compile with the JVM's C1 compiler only: where several "
        "brokers share a few cores, C2's compiling takes the CPU their requests need "
        "(false: the JVM's full tiered compilation).",
    )
    kafka_start_timeout_s: float = Field(
        default=90.0, gt=0, description="How long `lgsp kafka up` waits for the broker."
    )
    kafka_stop_timeout_s: float = Field(
        default=30.0, gt=0, description="How long `down` waits before killing the broker."
    )
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512", description="SASL mechanism when the protocol is SASL_*."
    )
    kafka_username: str | None = Field(default=None, description="SASL username (principal).")
    kafka_password: SecretStr | None = Field(
        default=None, description="SASL password; never printed (shown as **********)."
    )
    kafka_ca_file: Path | None = Field(
        default=None, description="PEM file of the CA that signed the broker's certificate."
    )
    uvloop: bool = Field(
        default=False,
        description="Run long-running processes (gateway, connectors, tracker) on uvloop "
        "(off: no gain measured on this bus, docs/performance.md).",
    )

    admin_tokens: tuple[AdminToken, ...] = Field(
        default=(),
        description="Admin API tokens, as JSON: [{name, role: viewer|operator, token_sha256}]; "
        "none: every guarded admin endpoint answers 401.",
    )
    admin_host: str | None = Field(
        default=None,
        description="Interface the admin API binds to, over the config file's (e.g. 0.0.0.0 "
        "in a container whose port is published).",
    )

    def bootstrap_for(self, configured: str | None, where: str) -> str:
        """The cluster to connect to: ``configured`` (from the component's own file), else
        LGSP_BOOTSTRAP_SERVERS; LGSP-CONFIG-INVALID, naming ``where``, when neither is set."""
        bootstrap = configured or self.bootstrap_servers
        if not bootstrap:
            raise LgspError(
                f"no Kafka to connect to: set bootstrap_servers in {where} or "
                "LGSP_BOOTSTRAP_SERVERS",
                code="LGSP-CONFIG-INVALID",
            )
        return bootstrap

    def kafka_security(self) -> KafkaSecurity:
        """The client security these settings describe (plaintext unless configured)."""
        return KafkaSecurity(
            protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_username,
            password=self.kafka_password,
            ca_file=self.kafka_ca_file,
        )

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, home: Path) -> Path:
        """Resolve once, so paths handed to child processes do not depend on their cwd."""
        return home.expanduser().resolve()
