"""A secure local cluster for the security tests: SASL_SSL with SCRAM, TLS from the cluster's
own CA, StandardAuthorizer. Started once per test module, purged at the end."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from bus.kafka import KafkaSecurity
from bus.kafka.acladmin import create_acls, upsert_scram_user
from bus.kafka.acls import AclBinding
from bus.localkafka import secure, start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths
from bus.settings import Settings


@dataclass(frozen=True)
class SecureCluster:
    """Address and super user of a running secure cluster."""

    name: str
    bootstrap: str
    files: secure.SecureFiles

    @property
    def admin(self) -> KafkaSecurity:
        return secure.client_security(self.files)

    def as_user(self, name: str, password: str | None = None) -> KafkaSecurity:
        """How ``name`` connects (with its real password, or the one given)."""
        real = secure.client_security(self.files, name)
        return (
            real if password is None else real.model_copy(update={"password": SecretStr(password)})
        )

    async def add_user(self, name: str, grants: list[AclBinding]) -> KafkaSecurity:
        password = f"pw-{uuid.uuid4().hex}"
        await upsert_scram_user(self.bootstrap, name, password, security=self.admin)
        secure.save_user(self.files, name, password)
        await create_acls(self.bootstrap, grants, security=self.admin)
        return self.as_user(name)

    def passwords(self) -> list[str]:
        return [p.get_secret_value() for p in secure.users(self.files).values()]


@contextlib.contextmanager
def started_secure_cluster(
    settings: Settings, prefix: str, brokers: int = 1
) -> Iterator[SecureCluster]:
    """A new secure cluster named ``prefix-<random>`` (``brokers`` nodes), purged after."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    try:
        status = asyncio.run(start_cluster(settings, name, secure_mode=True, brokers=brokers))
        assert status.bootstrap_servers and status.secure and len(status.brokers) == brokers
        files = secure.SecureFiles.of(ClusterPaths.of(settings.home, name))
        yield SecureCluster(name, status.bootstrap_servers, files)
    finally:
        asyncio.run(stop_cluster(settings, name, purge=True))


@pytest.fixture(scope="module")
def secure_cluster(settings: Settings) -> Iterator[SecureCluster]:
    """A secure cluster for this module alone (its own CA, super user and SCRAM users)."""
    with started_secure_cluster(settings, "pytest-sec") as cluster:
        yield cluster
