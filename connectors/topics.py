"""Names of a connector's own topics and consumer group, beside the node's topics:

    lgsp.<node>.connector.<name>.checkpoints   a source's position (compacted, one partition)
    lgsp.<node>.connector.<name>.dlq           records a connector parked (park headers)

and the consumer group ``lgsp.<node>.connector.<name>`` of a sink. Neither name ends in
``.v<major>``, so the gateway's event-topic pattern never matches them.
"""

from __future__ import annotations

import re

from bus.kafka import TopicSpec
from schemas.topics import PREFIX, TopicNameError

NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
NAME_RULE = "lower-case letters, digits and '-', starting with a letter (e.g. hanoi-dms)"


def _check(part: str, what: str) -> str:
    if not NAME.match(part):
        raise TopicNameError(f"{what} {part!r}: {NAME_RULE}")
    return part


def connector_prefix(node: str, name: str) -> str:
    return f"{PREFIX}.{_check(node, 'node name')}.connector.{_check(name, 'connector name')}"


def checkpoint_topic(node: str, name: str) -> str:
    """Where a source stores its position: compacted, keyed by connector name."""
    return f"{connector_prefix(node, name)}.checkpoints"


def connector_dlq_topic(node: str, name: str) -> str:
    """Where a connector parks what it cannot deliver or publish."""
    return f"{connector_prefix(node, name)}.dlq"


def consumer_group(node: str, name: str) -> str:
    """The consumer group of a sink: its committed offsets are its position."""
    return connector_prefix(node, name)


def checkpoint_spec(node: str, name: str) -> TopicSpec:
    return TopicSpec(
        checkpoint_topic(node, name),
        partitions=1,
        configs={"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"},
    )


def dlq_spec(node: str, name: str) -> TopicSpec:
    return TopicSpec(connector_dlq_topic(node, name), partitions=1)
