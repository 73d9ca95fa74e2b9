"""The one Kafka client factory: no aiokafka client is built anywhere else, security is a
required argument, and the bus's delivery settings cannot be overridden by a caller."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from bus.kafka.factory import (
    PLAINTEXT,
    new_admin,
    new_consumer,
    new_producer,
    new_transactional_producer,
)
from bus.kafka.security import KafkaSecurity

ROOT = Path(__file__).resolve().parents[2]
CONSTRUCTION = re.compile(r"\bAIOKafka[A-Za-z]*\(")
SKIPPED = {".venv", ".lgsp", ".git", "node_modules", "__pycache__"}


def constructions_outside_factory(root: Path) -> list[str]:
    """``file:line`` of every ``AIOKafka*(`` in Python files outside ``bus/kafka/``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if SKIPPED & set(relative.parts) or relative.parts[:2] == ("bus", "kafka"):
            continue
        if path == Path(__file__).resolve():  # its own example of a rogue construction
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if CONSTRUCTION.search(line):
                found.append(f"{relative}:{number}")
    return found


def test_no_aiokafka_client_is_built_outside_bus_kafka() -> None:
    """Every consumer, producer and admin client of the project comes from bus/kafka/."""
    assert constructions_outside_factory(ROOT) == []


def test_the_scan_finds_a_construction_outside_bus_kafka(tmp_path: Path) -> None:
    """The scan itself can fail: a hand-built producer in another package is reported."""
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "rogue.py").write_text("p = AIOKafkaProducer(bootstrap_servers=b)\n")
    (tmp_path / "bus" / "kafka").mkdir(parents=True)
    (tmp_path / "bus" / "kafka" / "ok.py").write_text("c = AIOKafkaConsumer()\n")
    assert constructions_outside_factory(tmp_path) == ["gateway/rogue.py:1"]


async def test_security_is_a_required_argument() -> None:
    """A client cannot be built without saying its security, plaintext included."""
    with pytest.raises(TypeError):
        new_producer("127.0.0.1:1")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        new_admin("127.0.0.1:1")  # type: ignore[call-arg]


async def test_producers_are_idempotent_acks_all_and_cannot_be_weakened() -> None:
    """Producers come idempotent with acks=all; passing acks or idempotence again is refused."""
    producer = new_producer("127.0.0.1:1", PLAINTEXT, linger_ms=5)
    assert producer._txn_manager is not None  # idempotence on: sequence numbers per partition
    assert producer._sender._acks == -1  # acks=all
    await producer.stop()
    with pytest.raises(TypeError):
        new_producer("127.0.0.1:1", PLAINTEXT, acks=1)
    with pytest.raises(TypeError):
        new_producer("127.0.0.1:1", PLAINTEXT, enable_idempotence=False)
    transactional = new_transactional_producer("127.0.0.1:1", PLAINTEXT, "lgsp-gateway-x-0")
    assert transactional._txn_manager.transactional_id == "lgsp-gateway-x-0"
    await transactional.stop()


async def test_consumers_never_auto_commit_and_read_committed_by_default() -> None:
    """A consumer's offsets move only when the bus commits them; aborted records stay hidden."""
    consumer = new_consumer("127.0.0.1:1", PLAINTEXT, "lgsp.x.inbox.y", group_id="g")
    assert consumer._enable_auto_commit is False
    assert consumer._isolation_level == "read_committed"
    await consumer.stop()
    with pytest.raises(TypeError):
        new_consumer("127.0.0.1:1", PLAINTEXT, group_id="g", enable_auto_commit=True)


async def test_the_security_given_reaches_the_client() -> None:
    """SASL_SSL settings become the client's protocol, mechanism and credentials."""
    security = KafkaSecurity(
        protocol="SASL_PLAINTEXT", username="gw-hanoi", password=SecretStr("s3cret")
    )
    admin = new_admin("127.0.0.1:1", security)
    assert admin._client._security_protocol == "SASL_PLAINTEXT"
    assert admin._client._sasl_plain_username == "gw-hanoi"
