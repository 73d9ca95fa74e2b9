"""Kafka clients with the bus's delivery settings: idempotent acks=all producers, manually
committing consumers, and topic administration."""

from bus.kafka.admin import TopicSpec, ensure_topics
from bus.kafka.consumer import kafka_consumer
from bus.kafka.producer import KafkaPublisher, OutgoingRecord

__all__ = ["KafkaPublisher", "OutgoingRecord", "TopicSpec", "ensure_topics", "kafka_consumer"]
