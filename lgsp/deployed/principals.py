"""Principals of the topology, made with the commands docs/operations.md gives ops: ``lgsp
security user-add`` (its password only in the 0600 env file it writes) then the principal's
``grant-*`` command, each run as its own ``lgsp`` process against a local secure cluster."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path

from bus.localkafka import secure
from bus.localkafka.layout import ClusterPaths
from bus.settings import Settings
from lgsp.deployed.services import read_env_file
from schemas.errors import LgspError


class PrincipalError(LgspError):
    """An ``lgsp security`` command of the launcher failed."""

    code = "LGSP-DEPLOYED-PRINCIPAL"
    retriable = False


@dataclass(frozen=True)
class Principal:
    """A SCRAM user on ``cluster`` and the ``lgsp security`` arguments of its grant."""

    user: str
    cluster: str
    grant: tuple[str, ...]

    def env_file(self, settings: Settings) -> Path:
        """Its client settings (``LGSP_KAFKA_*``, password included), written by user-add."""
        files = secure.SecureFiles.of(ClusterPaths.of(settings.home, self.cluster))
        return secure.env_file(files, self.user)

    def password(self, settings: Settings) -> str:
        return read_env_file(self.env_file(settings))["LGSP_KAFKA_PASSWORD"]


async def security_command(*args: str, env: dict[str, str] | None = None) -> str:
    """Run ``lgsp security ARGS --yes``; its output, or PrincipalError with it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lgsp", "security", *args, "--yes",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )  # fmt: skip
    output, _ = await process.communicate()
    text = output.decode("utf-8", "replace")
    if process.returncode != 0:
        raise PrincipalError(f"`lgsp security {' '.join(args)}` failed: {text[-2000:]}")
    return text


async def add_user(principal: Principal) -> None:
    await security_command("user-add", "--user", principal.user, "--cluster", principal.cluster)


async def grant(principal: Principal) -> None:
    await security_command(
        *principal.grant, "--user", principal.user, "--cluster", principal.cluster
    )


async def revoke(principal: Principal) -> None:
    """Revoke every ACL of the principal (it keeps its login but may do nothing); works with
    one of the cluster's brokers down."""
    await security_command("revoke", "--user", principal.user, "--cluster", principal.cluster)


async def grant_again(principal: Principal) -> None:
    """The principal's grant again (after ``revoke``)."""
    await grant(principal)


async def create_all(principals: list[Principal]) -> None:
    """Users one cluster at a time (user-add rewrites the cluster's users file), then grants."""
    clusters = sorted({p.cluster for p in principals})

    async def users_of(cluster: str) -> None:
        for principal in principals:
            if principal.cluster == cluster:
                await add_user(principal)

    await asyncio.gather(*(users_of(c) for c in clusters))
    await asyncio.gather(*(grant(p) for p in principals))
