"""Why a link cannot reach its peer, as a stable code: a pure decision on the error a Kafka
client raised, so the log, the metric and the alert say "wrong password" or "unknown CA"
rather than a stack trace. Only the last three need an operator; a peer that is down comes
back by itself."""

from __future__ import annotations

import enum
import ssl

from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    UnsupportedSaslMechanismError,
)

from schemas.errors import LgspError


class LinkFailure(enum.Enum):
    """What stops a link; its value is the error code logged and exported."""

    DOWN = "LGSP-FED-LINK-DOWN"  # the peer's brokers do not answer (retried, no action)
    AUTH = "LGSP-FED-LINK-AUTH"  # SASL refused: wrong user, password or mechanism
    TLS = "LGSP-FED-LINK-TLS"  # the peer's certificate is not trusted (wrong CA file)
    DENIED = "LGSP-FED-LINK-DENIED"  # authenticated, but no ACL lets it write the border topic

    @property
    def needs_operator(self) -> bool:
        return self is not LinkFailure.DOWN


def classify(error: BaseException) -> LinkFailure:
    """The failure behind ``error``, following its causes (aiokafka wraps TLS errors)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return LinkFailure.TLS
        if isinstance(
            seen,
            SaslAuthenticationFailed | AuthenticationFailedError | UnsupportedSaslMechanismError,
        ):
            return LinkFailure.AUTH
        if isinstance(seen, TopicAuthorizationFailedError):
            return LinkFailure.DENIED
        if isinstance(seen, LgspError) and "error 29" in seen.message:
            return LinkFailure.DENIED  # TOPIC_AUTHORIZATION_FAILED when creating the topic
        text = str(seen)
        if isinstance(seen, KafkaError) and "CERTIFICATE_VERIFY_FAILED" in text:
            return LinkFailure.TLS
        seen = seen.__cause__ or seen.__context__
    return LinkFailure.DOWN
