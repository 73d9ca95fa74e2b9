"""The tracker's topics: the node's event topics it reads, and its own state topics
``lgsp.<node>.tracker.<name>`` (same convention as the gateway's ``lgsp.<node>.gateway.*``)."""

from __future__ import annotations

from schemas.topics import PREFIX, event_topic, gateway_topic

DOSSIER_STATUS = "vn.gov.dossier.status.v1"
DOCUMENT_SENT = "vn.gov.document.sent.v1"
DOCUMENT_STATUS = "vn.gov.document.status.v1"
REPORT_QUARTERLY = "vn.gov.report.quarterly.v1"
TRACKED_TYPES = (DOSSIER_STATUS, DOCUMENT_SENT, DOCUMENT_STATUS)


def source_topics(node: str) -> dict[str, str]:
    """Event topic name -> the event type it carries."""
    return {str(event_topic(node, t)): t for t in TRACKED_TYPES}


def tracker_topic(node: str, name: str) -> str:
    """``changelog`` (the tables) or ``parked`` (events the tracker could not use)."""
    gateway_topic(node, name)  # same validation of the node and name parts
    return f"{PREFIX}.{node}.tracker.{name}"


def report_topic(node: str) -> str:
    return str(event_topic(node, REPORT_QUARTERLY))
