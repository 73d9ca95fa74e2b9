"""What a connector gets from the process that runs it: Kafka, a metrics registry, a codec."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from bus.kafka.security import KafkaSecurity
from schemas.codec import AvroCodec


@dataclass(frozen=True)
class ConnectorContext:
    """Shared, immutable services handed to every connector of a process."""

    bootstrap_servers: str
    security: KafkaSecurity  # TLS / SASL of the node's broker (PLAINTEXT said explicitly)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    codec: AvroCodec = field(default_factory=AvroCodec)
