"""The one place aiokafka clients are built: consumer, producer, transactional producer, admin.

Every client of the project comes from here, so none can forget the node's TLS/SASL settings:
``security`` is a required argument (plaintext is ``PLAINTEXT``, said out loud, never a
default). The bus's delivery settings are fixed here too and cannot be overridden by a caller
(passing one again is a ``TypeError``): producers are idempotent with ``acks=all``, consumers
never auto-commit. Other aiokafka options (timeouts, batch sizes, fetch waits) pass through.

A unit test (tests/unit/test_kafka_factory.py) fails when an ``AIOKafka*(`` construction
appears outside ``bus/kafka/``.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bus.kafka.security import PLAINTEXT, KafkaSecurity

__all__ = [
    "PLAINTEXT",
    "new_admin",
    "new_baseline_producer",
    "new_client",
    "new_consumer",
    "new_producer",
    "new_transactional_producer",
]

_CONSUMER_DEFAULTS: dict[str, Any] = {
    "auto_offset_reset": "earliest",
    # Records of aborted gateway transactions stay hidden from every reader.
    "isolation_level": "read_committed",
}


def new_consumer(
    bootstrap_servers: str,
    security: KafkaSecurity,
    *topics: str,
    group_id: str | None,
    **options: Any,
) -> AIOKafkaConsumer:
    """A consumer (not started) that never auto-commits: offsets move after processing."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        **(_CONSUMER_DEFAULTS | options),
        **security.client_options(),
    )


def new_producer(
    bootstrap_servers: str, security: KafkaSecurity, **options: Any
) -> AIOKafkaProducer:
    """An idempotent ``acks=all`` producer (not started): ordered per partition, no duplicates
    from its own retries."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        **options,
        **security.client_options(),
    )


def new_transactional_producer(
    bootstrap_servers: str, security: KafkaSecurity, transactional_id: str, **options: Any
) -> AIOKafkaProducer:
    """An idempotent ``acks=all`` producer (not started) with a transactional id: starting it
    fences any older producer of the same id."""
    return new_producer(bootstrap_servers, security, transactional_id=transactional_id, **options)


def new_baseline_producer(
    bootstrap_servers: str, security: KafkaSecurity, **options: Any
) -> AIOKafkaProducer:
    """A producer with aiokafka's own delivery settings (``acks`` etc. as given): only for the
    bare baselines benchmarks compare the bus against, never for the bus's records."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, **options, **security.client_options()
    )


def new_admin(
    bootstrap_servers: str, security: KafkaSecurity, **options: Any
) -> AIOKafkaAdminClient:
    """An admin client (not started)."""
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, **options, **security.client_options()
    )


def new_client(bootstrap_servers: str, security: KafkaSecurity, **options: Any) -> AIOKafkaClient:
    """A bare client (not bootstrapped), for metadata probes."""
    return AIOKafkaClient(
        bootstrap_servers=bootstrap_servers, **options, **security.client_options()
    )
