"""Who may touch which topics: the Kafka ACLs of each principal of a node, computed from the
topic naming convention (``schemas/topics.py``). Pure: applying them is ``bus.kafka.acladmin``.

A node's principals:

- its **gateway** reads the event topics and its retry tiers; writes agency inboxes, links to
  other nodes, retry tiers, dead letters and its own ``gateway`` topics (which it also reads to
  restore state); uses its consumer group and its transactional ids;
- each **agency's connector** writes the event topics and reads only its own inbox
  ``lgsp.<node>.inbox.<agency>``, in its own consumer group.

Everything else is denied: the broker runs ``StandardAuthorizer`` with
``allow.everyone.if.no.acl.found=false``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.topics import PREFIX, event_topic, inbox_topic


class ResourceType(enum.IntEnum):
    """Kafka's resource types (wire values)."""

    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class PatternType(enum.IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(enum.IntEnum):
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ALLOW rule: ``principal`` may do ``operation`` on a resource (name or prefix)."""

    principal: str
    resource_type: ResourceType
    resource_name: str
    pattern: PatternType
    operation: Operation
    host: str = "*"

    def __str__(self) -> str:
        kind = "prefix" if self.pattern is PatternType.PREFIXED else "name"
        return (
            f"{self.principal} may {self.operation.name} "
            f"{self.resource_type.name} {kind} {self.resource_name}"
        )


def user(name: str) -> str:
    """The Kafka principal of a SCRAM user."""
    return f"User:{name}"


def gateway_group(node: str) -> str:
    """The consumer group of ``node``'s gateway (as ``gateway.config.GatewayConfig``)."""
    return f"lgsp-gateway-{node}"


def gateway_transactional_ids(node: str) -> tuple[str, str]:
    """Prefix of the per-partition transactional ids, and the DLQ manager's id."""
    return f"lgsp-gateway-{node}-", f"lgsp-dlq-{node}"


def connector_group(node: str, name: str) -> str:
    """The consumer group of connector ``name`` on ``node`` (as ``connectors.topics``): a
    sink's committed offsets; its own topics (checkpoints, DLQ) share this name as prefix."""
    return f"{PREFIX}.{node}.connector.{name}"


def gateway_acls(
    node: str, principal: str, *, event_types: Iterable[str], retry_tiers: Iterable[str]
) -> list[AclBinding]:
    """The ACLs ``node``'s gateway needs, and nothing more."""
    tiers = list(retry_tiers)
    rules: list[tuple[ResourceType, str, PatternType, Operation]] = []
    for event_type in sorted(set(event_types)):
        topic = event_topic(node, event_type)
        rules.append((ResourceType.TOPIC, str(topic), PatternType.LITERAL, Operation.READ))
        own = [str(topic.retry(tier)) for tier in tiers] + [str(topic.dlq())]
        for name in own:
            for operation in (Operation.READ, Operation.WRITE, Operation.CREATE):
                rules.append((ResourceType.TOPIC, name, PatternType.LITERAL, operation))
    for area in ("inbox", "link"):
        rules.append(
            (ResourceType.TOPIC, f"{PREFIX}.{node}.{area}.", PatternType.PREFIXED, Operation.WRITE)
        )
    for operation in (Operation.READ, Operation.WRITE, Operation.CREATE):
        rules.append(
            (ResourceType.TOPIC, f"{PREFIX}.{node}.gateway.", PatternType.PREFIXED, operation)
        )
    rules.append((ResourceType.GROUP, gateway_group(node), PatternType.LITERAL, Operation.READ))
    prefix, dlq_id = gateway_transactional_ids(node)
    rules.append((ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, Operation.WRITE))
    rules.append((ResourceType.TRANSACTIONAL_ID, dlq_id, PatternType.LITERAL, Operation.WRITE))
    return sorted({AclBinding(principal, *rule) for rule in rules})


def connector_acls(
    node: str, agency_code: str, principal: str, *, event_types: Iterable[str], name: str
) -> list[AclBinding]:
    """The ACLs of one agency's connector ``name``: publish events, read its own inbox only,
    and use its own group and topics (a source's checkpoints, a connector's DLQ)."""
    rules = [
        (ResourceType.TOPIC, str(event_topic(node, t)), PatternType.LITERAL, Operation.WRITE)
        for t in sorted(set(event_types))
    ]
    rules.append(
        (
            ResourceType.TOPIC,
            inbox_topic(node, agency_code),
            PatternType.LITERAL,
            Operation.READ,
        )
    )
    group = connector_group(node, name)
    rules.append((ResourceType.GROUP, group, PatternType.LITERAL, Operation.READ))
    for operation in (Operation.READ, Operation.WRITE, Operation.CREATE):
        rules.append((ResourceType.TOPIC, f"{group}.", PatternType.PREFIXED, operation))
    return sorted({AclBinding(principal, *rule) for rule in rules})
