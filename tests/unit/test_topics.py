"""Topic names follow one convention and split back into their parts."""

from __future__ import annotations

import pytest

from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.topics import TopicNameError, event_topic, parse_topic


def test_event_retry_and_dead_letter_topics_follow_the_convention() -> None:
    """lgsp.<node>.<domain>.<event>.v<major>, then .retry.<delay> or .dlq."""
    topic = event_topic("hanoi", "vn.gov.dossier.status.v1")
    assert str(topic) == "lgsp.hanoi.dossier.status.v1"
    assert str(topic.retry("30s")) == "lgsp.hanoi.dossier.status.v1.retry.30s"
    assert str(topic.dlq()) == "lgsp.hanoi.dossier.status.v1.dlq"
    assert topic.retry("5m").base == topic and topic.event_type == "vn.gov.dossier.status.v1"


@pytest.mark.parametrize(
    "schema", list(bundled_catalog()), ids=lambda s: f"{s.subject}.v{s.version}"
)
def test_every_event_type_has_a_topic_that_parses_back(schema: SchemaVersion) -> None:
    """Each schema's event type maps to a valid Kafka topic name and back, with suffixes."""
    topic = event_topic("ngsp", schema.event_type)
    for name in (topic, topic.retry("1h"), topic.dlq()):
        text = str(name)
        assert len(text) <= 249 and all(c.isalnum() or c in "._-" for c in text)
        assert parse_topic(text) == name


@pytest.mark.parametrize(
    ("node", "event_type"),
    [
        ("Hanoi", "vn.gov.document.sent.v1"),
        ("ha.noi", "vn.gov.document.sent.v1"),
        ("hanoi", "document.sent"),
        ("hanoi", "vn.gov.document.sent.v0"),
    ],
)
def test_bad_node_names_and_event_types_are_refused(node: str, event_type: str) -> None:
    """Names that would not split back unambiguously: LGSP-TOPIC-NAME."""
    with pytest.raises(TopicNameError) as raised:
        event_topic(node, event_type)
    assert raised.value.code == "LGSP-TOPIC-NAME"


@pytest.mark.parametrize(
    "name",
    [
        "orders",
        "lgsp.hanoi.dossier",
        "lgsp.hanoi.dossier.status.v1.retry",
        "lgsp.hanoi.dossier.status.v1.retry.soon",
        "lgsp.hanoi.dossier.status.v1.x",
    ],
)
def test_foreign_topic_names_do_not_parse(name: str) -> None:
    """Topics not built by the convention are reported, not misread."""
    with pytest.raises(TopicNameError):
        parse_topic(name)
