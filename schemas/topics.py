"""Topic names: one convention, built in one place.

    lgsp.<node>.<domain>.<event>.v<major>            events of one kind on one node
    lgsp.<node>.<domain>.<event>.v<major>.retry.<d>  a retry tier (d = 30s, 5m, 1h...)
    lgsp.<node>.<domain>.<event>.v<major>.dlq        its dead letters

Beside the event topics, each node has:

    lgsp.<node>.inbox.<agency>     records delivered to one agency's sink (agency code with
                                   '-' for '.', lower case: lgsp.hanoi.inbox.000-01-02-h24)
    lgsp.<node>.link.<node>        records leaving for another node (federation outbox)
    lgsp.<node>.border.<node>      records arriving from another node, before verification
    lgsp.<node>.gateway.<name>     the gateway's own state (routed ids, DLQ state, route log,
                                   link log, audit chain)

``node`` is the node's short name (``ngsp``, ``hanoi``); domain, event and major come from the
CloudEvents type ``vn.gov.<domain>.<event>.v<major>``, e.g. ``lgsp.hanoi.dossier.status.v1``.
Every part is lower-case letters, digits or '-', so the names are valid Kafka topic names and
split back unambiguously on dots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.errors import ContractError

PREFIX = "lgsp"
_PART = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_EVENT_TYPE = re.compile(r"^vn\.gov\.([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.v([1-9]\d*)$")
_DELAY = re.compile(r"^[1-9]\d*(s|m|h|d)$")


class TopicNameError(ContractError):
    code = "LGSP-TOPIC-NAME"


@dataclass(frozen=True, slots=True)
class TopicName:
    """The parts of a topic name; ``str()`` gives the name itself."""

    node: str
    domain: str
    event: str
    major: int
    retry_delay: str | None = None
    dead_letter: bool = False

    def __str__(self) -> str:
        base = f"{PREFIX}.{self.node}.{self.domain}.{self.event}.v{self.major}"
        if self.retry_delay:
            return f"{base}.retry.{self.retry_delay}"
        return f"{base}.dlq" if self.dead_letter else base

    @property
    def event_type(self) -> str:
        return f"vn.gov.{self.domain}.{self.event}.v{self.major}"

    @property
    def base(self) -> TopicName:
        """The main topic this retry or dead-letter topic belongs to."""
        return TopicName(self.node, self.domain, self.event, self.major)

    def retry(self, delay: str) -> TopicName:
        if not _DELAY.match(delay):
            raise TopicNameError(f"retry delay {delay!r}: use a number and s, m, h or d (e.g. 30s)")
        return TopicName(self.node, self.domain, self.event, self.major, retry_delay=delay)

    def dlq(self) -> TopicName:
        return TopicName(self.node, self.domain, self.event, self.major, dead_letter=True)


def event_topic(node: str, event_type: str) -> TopicName:
    """The topic of ``event_type`` events on ``node``."""
    _check_node(node)
    match = _EVENT_TYPE.match(event_type)
    if not match:
        raise TopicNameError(f"event type {event_type!r} is not vn.gov.<domain>.<event>.v<major>")
    return TopicName(node, match[1], match[2], int(match[3]))


def parse_topic(name: str) -> TopicName:
    """Split a topic name built by this module back into its parts."""
    parts = name.split(".")
    if len(parts) < 5 or parts[0] != PREFIX or not parts[4].startswith("v"):
        raise TopicNameError(f"{name!r} does not follow lgsp.<node>.<domain>.<event>.v<major>")
    topic = event_topic(parts[1], f"vn.gov.{parts[2]}.{parts[3]}.{parts[4]}")
    rest = parts[5:]
    if rest == []:
        return topic
    if rest == ["dlq"]:
        return topic.dlq()
    if len(rest) == 2 and rest[0] == "retry":
        return topic.retry(rest[1])
    raise TopicNameError(
        f"{name!r}: unknown suffix {'.'.join(rest)!r} (expected retry.<delay> or dlq)"
    )


def _check_node(node: str) -> str:
    if not _PART.match(node):
        raise TopicNameError(f"node name {node!r}: lower-case letters, digits and '-', e.g. hanoi")
    return node


def inbox_topic(node: str, agency_code: str) -> str:
    """The topic a node delivers an agency's records to (read by that agency's sink)."""
    return f"{PREFIX}.{_check_node(node)}.inbox.{agency_code.lower().replace('.', '-')}"


def link_topic(node: str, target_node: str) -> str:
    """The outbox of records leaving ``node`` for ``target_node`` (federation)."""
    return f"{PREFIX}.{_check_node(node)}.link.{_check_node(target_node)}"


def border_topic(node: str, from_node: str) -> str:
    """Where records from ``from_node`` land on ``node``, waiting for the border's checks."""
    return f"{PREFIX}.{_check_node(node)}.border.{_check_node(from_node)}"


def gateway_topic(node: str, name: str) -> str:
    """A topic of the gateway's own state on ``node``, e.g. ``routed`` or ``dlq-state``."""
    if not _PART.match(name):
        raise TopicNameError(f"gateway topic name {name!r}: lower-case letters, digits and '-'")
    return f"{PREFIX}.{_check_node(node)}.gateway.{name}"


def node_event_topic_pattern(node: str) -> str:
    """Regular expression matching every event topic of ``node`` (not retries or DLQs)."""
    return (
        rf"^{PREFIX}\.{re.escape(_check_node(node))}\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9]\d*$"
    )
