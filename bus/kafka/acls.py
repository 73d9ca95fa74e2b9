"""Who may touch which topics: the Kafka ACLs of each principal of a node, computed from the
topic naming convention (``schemas/topics.py``). Pure: applying them is ``bus.kafka.acladmin``.

A node's principals:

- its **gateway** reads the event topics and its retry tiers; writes agency inboxes, links to
  other nodes, retry tiers, dead letters and its own ``gateway`` topics (which it also reads to
  restore state); uses its consumer group and its transactional ids. With federation, the
  same process runs the **border** (reads ``lgsp.<node>.border.*``, lets records into the
  event topics, its group and transactional id ``lgsp-border-<node>``) and the **links** (read
  their outboxes ``lgsp.<node>.link.*`` in groups ``lgsp-link-<node>-<peer>``);
- a **link's principal on the peer's cluster** may write that peer's border topic for this
  node, ``lgsp.<peer>.border.<node>``, and nothing else (``link_acls``);
- each **agency's connector** writes the event topics and reads only its own inbox
  ``lgsp.<node>.inbox.<agency>``, in its own consumer group;
- the **tracker** reads the event topics it tracks, keeps its ``lgsp.<node>.tracker.*``
  topics, publishes the quarterly report event, in its group and transactional id
  ``lgsp-tracker-<node>``;
- the **console** (``lgsp console``) reads the dead letters, their state, the border's audit
  chain and the trace logs (route log, link log); redrives (writes back to an event topic or
  its retry tiers) and marks dead letters in one transaction (id ``lgsp-dlq-<node>``, the
  same as ``lgsp dlq``); it creates no topic and joins no group (it reads without one).

Everything else is denied: the broker runs ``StandardAuthorizer`` with
``allow.everyone.if.no.acl.found=false``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.topics import PREFIX, border_topic, event_topic, inbox_topic


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


def border_group(node: str) -> str:
    """The consumer group and transactional id of ``node``'s border."""
    return f"lgsp-border-{node}"


def link_group_prefix(node: str) -> str:
    """Prefix of the consumer groups of ``node``'s links (``lgsp-link-<node>-<peer>``)."""
    return f"lgsp-link-{node}-"


def tracker_group(node: str) -> str:
    """The consumer group and transactional id of ``node``'s tracker (as ``TrackerConfig``)."""
    return f"lgsp-tracker-{node}"


def gateway_acls(
    node: str,
    principal: str,
    *,
    event_types: Iterable[str],
    retry_tiers: Iterable[str],
    federation: bool = False,
) -> list[AclBinding]:
    """The ACLs ``node``'s gateway needs (with ``federation``: its border's and links' too),
    and nothing more."""
    tiers = list(retry_tiers)
    rules: list[tuple[ResourceType, str, PatternType, Operation]] = []
    for event_type in sorted(set(event_types)):
        topic = event_topic(node, event_type)
        rules.append((ResourceType.TOPIC, str(topic), PatternType.LITERAL, Operation.READ))
        if federation:  # the border lets checked records (and receipts) into event topics
            rules.append((ResourceType.TOPIC, str(topic), PatternType.LITERAL, Operation.WRITE))
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
    if federation:
        rules += _federation_rules(node)
    return sorted({AclBinding(principal, *rule) for rule in rules})


def _federation_rules(node: str) -> list[tuple[ResourceType, str, PatternType, Operation]]:
    border, links = f"{PREFIX}.{node}.border.", f"{PREFIX}.{node}.link."
    return [
        (ResourceType.TOPIC, border, PatternType.PREFIXED, Operation.READ),
        (ResourceType.TOPIC, border, PatternType.PREFIXED, Operation.CREATE),
        (ResourceType.TOPIC, links, PatternType.PREFIXED, Operation.READ),
        (ResourceType.TOPIC, links, PatternType.PREFIXED, Operation.CREATE),
        (ResourceType.GROUP, border_group(node), PatternType.LITERAL, Operation.READ),
        (ResourceType.GROUP, link_group_prefix(node), PatternType.PREFIXED, Operation.READ),
        (ResourceType.TRANSACTIONAL_ID, border_group(node), PatternType.LITERAL, Operation.WRITE),
    ]


def link_acls(node: str, peer: str, principal: str) -> list[AclBinding]:
    """On ``peer``'s cluster, what ``node``'s link needs: write ``lgsp.<peer>.border.<node>``
    (its idempotent producer needs no more since Kafka 3.0), nothing else. The peer's border
    creates that topic; the link waits for it."""
    topic = border_topic(peer, node)
    return [AclBinding(principal, ResourceType.TOPIC, topic, PatternType.LITERAL, Operation.WRITE)]


def tracker_acls(
    node: str, principal: str, *, tracked_types: Iterable[str], report_type: str
) -> list[AclBinding]:
    """The ACLs of ``node``'s tracker: read (or first create) the event topics it tracks, keep
    its own ``lgsp.<node>.tracker.*`` topics, publish report events, use its group and id."""
    rules: list[tuple[ResourceType, str, PatternType, Operation]] = []
    for event_type in sorted(set(tracked_types)):
        topic = str(event_topic(node, event_type))
        rules.append((ResourceType.TOPIC, topic, PatternType.LITERAL, Operation.READ))
        rules.append((ResourceType.TOPIC, topic, PatternType.LITERAL, Operation.CREATE))
    report = str(event_topic(node, report_type))
    for operation in (Operation.WRITE, Operation.CREATE):
        rules.append((ResourceType.TOPIC, report, PatternType.LITERAL, operation))
    for operation in (Operation.READ, Operation.WRITE, Operation.CREATE):
        rules.append(
            (ResourceType.TOPIC, f"{PREFIX}.{node}.tracker.", PatternType.PREFIXED, operation)
        )
    rules.append((ResourceType.GROUP, tracker_group(node), PatternType.LITERAL, Operation.READ))
    rules.append(
        (ResourceType.TRANSACTIONAL_ID, tracker_group(node), PatternType.LITERAL, Operation.WRITE)
    )
    return sorted({AclBinding(principal, *rule) for rule in rules})


def console_acls(
    node: str, principal: str, *, event_types: Iterable[str], retry_tiers: Iterable[str]
) -> list[AclBinding]:
    """The ACLs of ``node``'s operator console: read dead letters, their state, the audit
    chain and the trace logs; redrive (write the event topics and their tiers) and mark."""
    tiers = list(retry_tiers)
    rules: list[tuple[ResourceType, str, PatternType, Operation]] = []
    for event_type in sorted(set(event_types)):
        topic = event_topic(node, event_type)
        rules.append((ResourceType.TOPIC, str(topic.dlq()), PatternType.LITERAL, Operation.READ))
        for name in [str(topic), *(str(topic.retry(tier)) for tier in tiers)]:
            rules.append((ResourceType.TOPIC, name, PatternType.LITERAL, Operation.WRITE))
    own = f"{PREFIX}.{node}.gateway."  # names of gateway/routing/tracelog.py and border/state.py
    for name in ("audit", "route-log", "link-log", "dlq-state"):
        rules.append((ResourceType.TOPIC, own + name, PatternType.LITERAL, Operation.READ))
    rules.append((ResourceType.TOPIC, own + "dlq-state", PatternType.LITERAL, Operation.WRITE))
    _, dlq_id = gateway_transactional_ids(node)
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
