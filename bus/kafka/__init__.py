"""Kafka clients with the bus's delivery settings: idempotent acks=all producers, manually
committing consumers, and topic administration."""

from bus.kafka.admin import (
    TopicSpec,
    delete_topics,
    ensure_topics,
    list_topics,
    topic_partitions,
)
from bus.kafka.consumer import kafka_consumer
from bus.kafka.producer import KafkaPublisher, OutgoingRecord
from bus.kafka.reader import LogReader
from bus.kafka.security import KafkaSecurity, KafkaSecurityError

__all__ = [
    "KafkaPublisher",
    "KafkaSecurity",
    "KafkaSecurityError",
    "LogReader",
    "OutgoingRecord",
    "TopicSpec",
    "delete_topics",
    "ensure_topics",
    "kafka_consumer",
    "list_topics",
    "topic_partitions",
]
