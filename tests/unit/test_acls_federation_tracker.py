"""Grants of the border, the links, the tracker and the console: each principal gets what its
process does on the cluster, and a link on its peer's cluster only the write of one border
topic."""

from __future__ import annotations

from bus.kafka.acls import (
    Operation,
    PatternType,
    ResourceType,
    console_acls,
    gateway_acls,
    link_acls,
    tracker_acls,
    user,
)
from tracker.topics import REPORT_QUARTERLY, TRACKED_TYPES

DOSSIER = "vn.gov.dossier.status.v1"


def _rules(bindings: list) -> set[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return {
        (b.resource_type.name, b.resource_name, b.pattern.name, b.operation.name) for b in bindings
    }


def test_a_link_may_write_its_border_topic_on_the_peer_and_nothing_else() -> None:
    """hanoi's link on NGSP's cluster: WRITE lgsp.ngsp.border.hanoi, one rule."""
    [grant] = link_acls("hanoi", "ngsp", user("link-hanoi"))
    assert (grant.principal, grant.resource_type, grant.resource_name) == (
        "User:link-hanoi",
        ResourceType.TOPIC,
        "lgsp.ngsp.border.hanoi",
    )
    assert (grant.pattern, grant.operation) == (PatternType.LITERAL, Operation.WRITE)


def test_a_federating_gateway_also_runs_its_border_and_links() -> None:
    """With federation: border topics read, event topics written (accepted records, receipts),
    the border's group and transactional id, the links' outboxes and groups."""
    plain = _rules(gateway_acls("hanoi", "User:gw", event_types=[DOSSIER], retry_tiers=["1s"]))
    federated = _rules(
        gateway_acls("hanoi", "User:gw", event_types=[DOSSIER], retry_tiers=["1s"], federation=True)
    )
    assert plain < federated
    assert federated - plain == {
        ("TOPIC", "lgsp.hanoi.dossier.status.v1", "LITERAL", "WRITE"),
        ("TOPIC", "lgsp.hanoi.border.", "PREFIXED", "READ"),
        ("TOPIC", "lgsp.hanoi.border.", "PREFIXED", "CREATE"),
        ("TOPIC", "lgsp.hanoi.link.", "PREFIXED", "READ"),
        ("TOPIC", "lgsp.hanoi.link.", "PREFIXED", "CREATE"),
        ("GROUP", "lgsp-border-hanoi", "LITERAL", "READ"),
        ("GROUP", "lgsp-link-hanoi-", "PREFIXED", "READ"),
        ("TRANSACTIONAL_ID", "lgsp-border-hanoi", "LITERAL", "WRITE"),
    }
    assert not any("ngsp" in name for _, name, _, _ in federated), "nothing of another node"


def test_the_tracker_reads_tracked_events_keeps_its_topics_and_publishes_reports() -> None:
    """The tracker reads the three tracked event topics, owns lgsp.<node>.tracker.*, writes the
    report topic, and uses group and transactional id lgsp-tracker-<node>; no inbox, no DLQ."""
    rules = _rules(
        tracker_acls("hanoi", "User:tr", tracked_types=TRACKED_TYPES, report_type=REPORT_QUARTERLY)
    )
    for event_type in TRACKED_TYPES:
        topic = f"lgsp.hanoi.{event_type.removeprefix('vn.gov.').removesuffix('.v1')}.v1"
        assert ("TOPIC", topic, "LITERAL", "READ") in rules, topic
        assert ("TOPIC", topic, "LITERAL", "WRITE") not in rules
    assert ("TOPIC", "lgsp.hanoi.tracker.", "PREFIXED", "WRITE") in rules
    assert ("TOPIC", "lgsp.hanoi.report.quarterly.v1", "LITERAL", "WRITE") in rules
    assert ("GROUP", "lgsp-tracker-hanoi", "LITERAL", "READ") in rules
    assert ("TRANSACTIONAL_ID", "lgsp-tracker-hanoi", "LITERAL", "WRITE") in rules
    assert not any(".inbox." in name or ".gateway." in name for _, name, _, _ in rules)


def test_the_console_reads_dead_letters_and_logs_and_redrives_and_nothing_more() -> None:
    """The console reads the DLQs, the DLQ state, the audit chain and the trace logs; writes
    only the event topics and their tiers (redrive) and the DLQ state, as `lgsp dlq`'s
    transactional id; no group, no topic creation, no inbox, no prefix grant."""
    rules = _rules(console_acls("hanoi", "User:console", event_types=[DOSSIER], retry_tiers=["1s"]))
    own = "lgsp.hanoi.gateway."
    assert rules == {
        ("TOPIC", f"lgsp.hanoi.{DOSSIER[7:]}.dlq", "LITERAL", "READ"),
        ("TOPIC", f"lgsp.hanoi.{DOSSIER[7:]}", "LITERAL", "WRITE"),
        ("TOPIC", f"lgsp.hanoi.{DOSSIER[7:]}.retry.1s", "LITERAL", "WRITE"),
        *(("TOPIC", own + n, "LITERAL", "READ") for n in ("audit", "route-log", "link-log")),
        ("TOPIC", own + "dlq-state", "LITERAL", "READ"),
        ("TOPIC", own + "dlq-state", "LITERAL", "WRITE"),
        ("TRANSACTIONAL_ID", "lgsp-dlq-hanoi", "LITERAL", "WRITE"),
    }
