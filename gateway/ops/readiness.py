"""When a gateway process is ready: its partitions owned with their state restored, the
federation border's state restored (when the node federates), connected to the cluster, and the
node's event topics caught up (``bus.readiness``). Retry tiers are left out of "caught up":
their records wait for their due time by design."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bus.kafka.security import PLAINTEXT
from bus.readiness import Check, KafkaReadiness, ReadinessReport
from gateway.federation.runtime import Federation
from gateway.runtime.gateway import Gateway


def gateway_checks(gateway: Gateway, federation: Federation | None = None) -> list[Check]:
    """The gateway's own live conditions (no Kafka request needed to answer them)."""

    def owned() -> str | None:
        if not gateway.ready.is_set():
            return "partitions: none owned yet (joining the group, or restoring their state)"
        waiting = gateway.ownership.restoring()
        if waiting:
            return f"partitions: state of {sorted(waiting)} not restored yet"
        return None

    checks: list[Check] = [owned]
    if federation is not None and federation.border.peers:
        border = federation.border
        checks.append(
            lambda: None if border.ready.is_set() else "federation border: state not restored"
        )
    return checks


def local_report(checks: list[Check]) -> ReadinessReport:
    """A report from the live checks alone (an embedded gateway without a probe task)."""
    missing = tuple(reason for check in checks if (reason := check()) is not None)
    return ReadinessReport(not missing, missing)


@contextlib.asynccontextmanager
async def gateway_readiness(
    gateway: Gateway, federation: Federation | None = None, **probe: float
) -> AsyncIterator[KafkaReadiness]:
    """The running readiness probe of a gateway process (``probe``: KafkaReadiness timings)."""
    readiness = KafkaReadiness(gateway.bootstrap, security=gateway.security or PLAINTEXT, **probe)
    for check in gateway_checks(gateway, federation):
        readiness.check(check)
    readiness.watch(
        gateway.consumer,
        gateway.config.group_id,
        topics=lambda topic: topic in {str(t) for t in gateway.main_topics()},
        name="event topics",
    )
    async with readiness:
        yield readiness
