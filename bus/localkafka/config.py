"""The files a local single-node KRaft cluster runs from: server.properties and log4j2.yaml."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from pathlib import Path


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.

    Same format as ``kafka-storage random-uuid`` (which also avoids a leading '-'), made here to
    spare one JVM start.
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def plaintext_listeners(*, port: int, controller_port: int) -> list[str]:
    """Listener properties of a development broker without TLS, SASL or ACLs."""
    return [
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    ]


def replication_of(brokers: int) -> tuple[int, int]:
    """Default replication factor and min.insync.replicas of a cluster of ``brokers`` nodes:
    3 / 2 from three nodes on (one broker may be lost without refusing writes), else all / 1."""
    factor = min(brokers, 3)
    return factor, max(1, factor - 1)


def server_properties(
    *,
    port: int,
    controller_port: int,
    data_dir: Path,
    listener_lines: Sequence[str] | None = None,
    node_id: int = 1,
    voters: Sequence[tuple[int, int]] = (),
) -> str:
    """Properties of a combined broker+controller node listening on 127.0.0.1 only.

    Alone (no ``voters``), the node is its cluster's whole quorum (``controller.quorum.bootstrap
    .servers``, storage formatted ``--standalone``) and every replication factor is 1. With
    ``voters`` ((node id, controller port) of every node, itself included) it is one of a
    static quorum, and topics and the internal ones (offsets, transaction state) take 3
    replicas with min.insync 2 from three nodes on. The rebalance delay is 0 so consumer
    groups form at once in tests and the demo; topics are never created by accident.
    ``listener_lines`` replaces the plaintext listeners (a secure cluster's, see ``secure``).
    """
    listeners = (
        plaintext_listeners(port=port, controller_port=controller_port)
        if listener_lines is None
        else list(listener_lines)
    )
    factor, min_isr = replication_of(len(voters) or 1)
    quorum = (
        [
            "controller.quorum.voters="
            + ",".join(f"{node}@127.0.0.1:{cport}" for node, cport in sorted(voters))
        ]
        if voters
        else [f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}"]
    )
    return "\n".join(
        [
            "# Written by `lgsp kafka up`; rewritten at every start.",
            "process.roles=broker,controller",
            f"node.id={node_id}",
            *listeners,
            *quorum,
            f"log.dirs={data_dir}",
            "num.partitions=1",
            "auto.create.topics.enable=false",
            f"default.replication.factor={factor}",
            f"min.insync.replicas={min_isr}",
            f"offsets.topic.replication.factor={factor}",
            "offsets.topic.num.partitions=10",
            f"transaction.state.log.replication.factor={factor}",
            f"transaction.state.log.min.isr={min_isr}",
            "transaction.state.log.num.partitions=10",
            f"share.coordinator.state.topic.replication.factor={factor}",
            f"share.coordinator.state.topic.min.isr={min_isr}",
            "group.initial.rebalance.delay.ms=0",
            *_threads(len(voters) or 1),
            "log.segment.bytes=67108864",
            # The cleaner's default 128 MiB dedupe buffer does not fit a small heap once a
            # compacted topic exists (the gateway's dlq-state): the broker then dies at start.
            "log.cleaner.dedupe.buffer.size=16777216",
            "log.cleaner.io.buffer.size=1048576",
            "",
        ]
    )


def _threads(nodes: int) -> list[str]:
    """Request threads of one node. The nodes of a local multi-node cluster share one host's
    cores: with fewer threads each, a 3-broker demo on two cores waited 2.4-2.9 s (p50) from
    ce_time to delivery instead of 5.1-6.1 s (docs/performance.md, "The demo as deployed")."""
    if nodes == 1:
        return ["num.network.threads=2", "num.io.threads=4"]
    return [
        "num.network.threads=1",
        "num.io.threads=2",
        "background.threads=2",
        "num.recovery.threads.per.data.dir=1",
    ]


def log4j2_yaml(*, log_file: Path) -> str:
    """Log4j2 configuration sending the broker's log to one file (rolled at 50 MB)."""
    return f"""Configuration:
  Appenders:
    RollingFile:
      name: broker
      fileName: "{log_file}"
      filePattern: "{log_file}.%i"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
      Policies:
        SizeBasedTriggeringPolicy:
          size: 50MB
      DefaultRolloverStrategy:
        max: 3
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: broker
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: INFO
"""
