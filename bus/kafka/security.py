"""How a client proves who it is to the broker: TLS and SASL/SCRAM settings, one frozen value.

``KafkaSecurity()`` is plaintext (the default of every client in ``bus.kafka``). A secure node
uses ``SASL_SSL`` with ``SCRAM-SHA-512``: TLS checked against the node's CA, then a username
and password. The password is a pydantic ``SecretStr``: it prints as ``**********`` in reprs,
logs and error messages, and is revealed only when handed to the Kafka client.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from schemas.errors import LgspError

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class KafkaSecurityError(LgspError):
    """Security settings that cannot work (missing CA file, SASL without a username...)."""

    code = "LGSP-SEC-CONFIG"


class KafkaSecurity(BaseModel):
    """Security of one Kafka client: protocol, SASL mechanism and credentials, CA file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _complete(self) -> KafkaSecurity:
        if self.uses_sasl and not (self.username and self.password):
            raise KafkaSecurityError(
                f"security protocol {self.protocol} needs a username and a password "
                "(LGSP_KAFKA_USERNAME, LGSP_KAFKA_PASSWORD)",
                code="LGSP-SEC-CONFIG",
            )
        for name in ("ca_file", "cert_file", "key_file"):
            path: Path | None = getattr(self, name)
            if path is not None and not path.is_file():
                raise KafkaSecurityError(
                    f"{name} {path} does not exist or is not a file", code="LGSP-SEC-CONFIG"
                )
        return self

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client TLS context trusting ``ca_file`` (or the system's CAs), host names checked."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.cert_file is not None:
            context.load_cert_chain(
                str(self.cert_file), str(self.key_file) if self.key_file else None
            )
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer, admin client and client."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            assert self.password is not None
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password.get_secret_value(),
            }
        return options


PLAINTEXT = KafkaSecurity()


def client_options(security: KafkaSecurity | None) -> dict[str, Any]:
    """aiokafka keyword arguments for ``security`` (None: plaintext)."""
    return (security or PLAINTEXT).client_options()
