"""Client security written in a configuration file (a federation link's peer, in node.yaml):
the password is never in the file, only where to find it (a file, or an environment variable
the process is given), and becomes a ``SecretStr`` the moment it is read.

    security:
      protocol: SASL_SSL
      sasl_mechanism: SCRAM-SHA-512
      username: link-hanoi
      password_file: secrets/link-ngsp.password    # or password_env: LGSP_LINK_NGSP_PASSWORD
      ca_file: tls/ngsp-ca.pem                     # relative paths: to node.yaml's folder
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from bus.kafka.security import KafkaSecurity, KafkaSecurityError, SaslMechanism, SecurityProtocol


class SecurityConfig(BaseModel):
    """TLS/SASL settings of one client as a config file holds them (no password inside)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    protocol: SecurityProtocol = "SASL_SSL"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password_file: Path | None = None
    password_env: str | None = None
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _one_password_source(self) -> SecurityConfig:
        sources = [s for s in (self.password_file, self.password_env) if s is not None]
        if self.protocol.startswith("SASL_") and (not self.username or len(sources) != 1):
            raise ValueError(
                f"security protocol {self.protocol} needs a username and exactly one of "
                "password_file or password_env (the password itself never goes in the file)"
            )
        return self

    def resolve(self, base_dir: Path, environ: Mapping[str, str]) -> KafkaSecurity:
        """The client security, password read from its file or variable now (LGSP-SEC-CONFIG
        when it is missing or empty; the message names where it was looked for, never it)."""
        password: SecretStr | None = None
        if self.password_file is not None:
            path = _within(base_dir, self.password_file)
            try:
                text = path.read_text("utf-8").strip()
            except OSError as error:
                raise KafkaSecurityError(
                    f"password_file {path} cannot be read ({error.strerror})",
                    code="LGSP-SEC-CONFIG",
                ) from None
            password = _non_empty(text, f"password_file {path}")
        elif self.password_env is not None:
            password = _non_empty(
                environ.get(self.password_env, ""), f"environment variable {self.password_env}"
            )
        return KafkaSecurity(
            protocol=self.protocol,
            sasl_mechanism=self.sasl_mechanism,
            username=self.username,
            password=password,
            ca_file=_within(base_dir, self.ca_file) if self.ca_file else None,
        )


def _within(base_dir: Path, path: Path) -> Path:
    return path if path.is_absolute() else base_dir / path


def _non_empty(text: str, where: str) -> SecretStr:
    if not text:
        raise KafkaSecurityError(f"{where} holds no password", code="LGSP-SEC-CONFIG")
    return SecretStr(text)
