"""How ``lgsp security`` commands reach a cluster as its super user: a local secure cluster
(``--cluster``, its credentials read from its folder) or the process settings
(``LGSP_BOOTSTRAP_SERVERS`` and ``LGSP_KAFKA_*``); and the options they share."""

from __future__ import annotations

from typing import Annotated

import typer

from bus.kafka.security import KafkaSecurity
from bus.localkafka import cluster_status, secure
from bus.localkafka.layout import ClusterPaths
from bus.settings import Settings
from schemas.errors import LocalKafkaError

ClusterOption = Annotated[
    str | None,
    typer.Option("--cluster", help="A local cluster started with `lgsp kafka up --secure`."),
]
UserOption = Annotated[str, typer.Option("--user", help="The principal's SCRAM user name.")]
NodeOption = Annotated[str, typer.Option("--node", help="The node's short name, e.g. hanoi.")]
Yes = Annotated[bool, typer.Option("--yes", help="Change the broker without asking.")]


def super_user_target(cluster: str | None) -> tuple[str, KafkaSecurity, secure.SecureFiles | None]:
    """The bootstrap servers and super user's security of ``cluster`` (local, secure) or of
    the process settings, and the local cluster's files (None for the settings' cluster)."""
    settings = Settings()
    if cluster is None:
        if not settings.bootstrap_servers:
            raise LocalKafkaError(
                "name a local cluster with --cluster, or set LGSP_BOOTSTRAP_SERVERS and the "
                "super user's LGSP_KAFKA_* settings",
                code="LGSP-SEC-CONFIG",
            )
        return settings.bootstrap_servers, settings.kafka_security(), None
    status = cluster_status(settings, cluster)
    files = secure.SecureFiles.of(ClusterPaths.of(settings.home, cluster))
    # the brokers that run: a 3-broker cluster with one down still has its quorum, and ops
    # manage users and ACLs then too (a link cut off while a broker is being replaced)
    running = [b.bootstrap_servers for b in status.brokers if b.running and b.bootstrap_servers]
    if not running or not files.exists:
        raise LocalKafkaError(
            f"cluster {cluster!r} is not a running secure cluster: "
            f"`lgsp kafka up --name {cluster} --secure`",
            code="LGSP-KAFKA-NOT-SECURE",
        )
    return ",".join(running), secure.client_security(files), files
