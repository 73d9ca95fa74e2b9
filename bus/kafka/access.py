"""How a component reaches one Kafka cluster: where, as whom, and how its new topics are
replicated. One value, so that a link (two clusters) or a look-up client carries all three."""

from __future__ import annotations

from dataclasses import dataclass

from bus.kafka.replication import CLUSTER_DEFAULT, Replication
from bus.kafka.security import KafkaSecurity


@dataclass(frozen=True)
class ClusterAccess:
    """A cluster's bootstrap servers, the client security to use on it, and the replication
    of the topics created there."""

    bootstrap_servers: str
    security: KafkaSecurity
    replication: Replication = CLUSTER_DEFAULT
