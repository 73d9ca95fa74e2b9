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


def server_properties(
    *,
    port: int,
    controller_port: int,
    data_dir: Path,
    listener_lines: Sequence[str] | None = None,
) -> str:
    """Properties of a combined broker+controller node listening on 127.0.0.1 only.

    Replication factors are 1 because there is one node; the rebalance delay is 0 so consumer
    groups form at once in tests and the demo; topics are never created by accident.
    ``listener_lines`` replaces the plaintext listeners (a secure cluster's, see ``secure``).
    """
    listeners = (
        plaintext_listeners(port=port, controller_port=controller_port)
        if listener_lines is None
        else list(listener_lines)
    )
    return "\n".join(
        [
            "# Written by `lgsp kafka up`; rewritten at every start.",
            "process.roles=broker,controller",
            "node.id=1",
            *listeners,
            f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
            f"log.dirs={data_dir}",
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=10",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "num.network.threads=2",
            "num.io.threads=4",
            "log.segment.bytes=67108864",
            # The cleaner's default 128 MiB dedupe buffer does not fit a small heap once a
            # compacted topic exists (the gateway's dlq-state): the broker then dies at start.
            "log.cleaner.dedupe.buffer.size=16777216",
            "log.cleaner.io.buffer.size=1048576",
            "",
        ]
    )


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
