"""A link's peer security in node.yaml: the password comes from a file or a variable and is
never shown; a link's failure is named by a code from the client's error."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import structlog
from aiokafka.errors import (
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)
from pydantic import ValidationError

from bus.kafka.security import KafkaSecurityError
from bus.kafka.securityconfig import SecurityConfig
from gateway.federation.links.failures import LinkFailure, classify
from schemas.errors import LgspError

SECRET = "s3cret-link-password"


def test_the_password_is_read_from_its_file_and_never_printed(tmp_path: Path) -> None:
    """password_file (relative to node.yaml's folder) becomes a SecretStr; repr, str and a log
    line of the settings show no password."""
    (tmp_path / "link.pw").write_text(SECRET + "\n")
    config = SecurityConfig(username="link-hanoi", password_file=Path("link.pw"))
    security = config.resolve(tmp_path, {})
    assert security.password is not None and security.password.get_secret_value() == SECRET
    with structlog.testing.capture_logs() as logs:
        structlog.get_logger().info("link_configured", security=security, config=config)
    assert SECRET not in repr(security) + str(security) + repr(logs)


def test_the_password_can_come_from_an_environment_variable() -> None:
    """password_env names a variable of the environment handed to the process."""
    config = SecurityConfig(username="link-hanoi", password_env="LGSP_LINK_NGSP_PASSWORD")
    security = config.resolve(Path(), {"LGSP_LINK_NGSP_PASSWORD": SECRET})
    assert security.password is not None and security.password.get_secret_value() == SECRET


def test_a_missing_password_is_a_coded_error_naming_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    """An unset variable or an empty file: LGSP-SEC-CONFIG naming the source, not a crash."""
    with pytest.raises(KafkaSecurityError) as raised:
        SecurityConfig(username="u", password_env="LGSP_NOPE").resolve(tmp_path, {})
    assert raised.value.code == "LGSP-SEC-CONFIG" and "LGSP_NOPE" in raised.value.message
    (tmp_path / "empty.pw").write_text("")
    with pytest.raises(KafkaSecurityError):
        SecurityConfig(username="u", password_file=Path("empty.pw")).resolve(tmp_path, {})


def test_sasl_needs_a_user_and_exactly_one_password_source() -> None:
    """No password source, or both, is refused when the config is read."""
    with pytest.raises(ValidationError):
        SecurityConfig(username="u")
    with pytest.raises(ValidationError):
        SecurityConfig(username="u", password_file=Path("a"), password_env="B")


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (SaslAuthenticationFailed("invalid credentials"), LinkFailure.AUTH),
        (ssl.SSLCertVerificationError("certificate verify failed"), LinkFailure.TLS),
        (TopicAuthorizationFailedError(), LinkFailure.DENIED),
        (LgspError("create topics: x: error 29", code="LGSP-KAFKA-TOPIC"), LinkFailure.DENIED),
        (KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 1)]"), LinkFailure.DOWN),
    ],
)  # fmt: skip
def test_a_link_failure_is_named_from_the_clients_error(
    error: BaseException, failure: LinkFailure
) -> None:
    """SASL refused: AUTH; certificate not trusted: TLS; no ACL: DENIED; else DOWN."""
    assert classify(error) is failure
    assert failure.needs_operator is (failure is not LinkFailure.DOWN)


def test_a_tls_error_wrapped_by_the_client_is_still_found() -> None:
    """aiokafka raises its own error from the ssl one: the cause chain is followed."""
    try:
        try:
            raise ssl.SSLError("handshake")
        except ssl.SSLError as inner:
            raise KafkaConnectionError("connect failed") from inner
    except KafkaConnectionError as outer:
        assert classify(outer) is LinkFailure.TLS
