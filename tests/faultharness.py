"""Helpers for fault tests: publish many contract records, count what arrives by ce_id, and
run a gateway as its own process (so it can be killed with SIGKILL)."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
from pathlib import Path

from bus.kafka import KafkaPublisher, OutgoingRecord, kafka_consumer
from tests.gatewayharness import make_event

# as long as systemd gives the gateway to stop (deploy/systemd/lgsp-gateway@.service)
STOP_WAIT_S = 60


async def publish_many(
    bootstrap: str, topic: str, count: int, *, start: int = 0, request_timeout_ms: int = 30_000
) -> set[str]:
    """Publish ``count`` dossier events over 400 keys; return their ce_ids.

    A record not acknowledged within ``request_timeout_ms`` fails its publish (aiokafka
    expires it): raise it to ride out a broker outage longer than the 30 s default.
    """
    ids = set()
    async with KafkaPublisher(bootstrap, request_timeout_ms=request_timeout_ms) as publisher:
        futures = []
        for i in range(start, start + count):
            envelope, _, value = make_event(
                "dossier.status",
                source="000.01.02.H24",
                changes={"dossierCode": f"H24.22-{i % 400:04d}", "statusCode": 2},
            )
            ids.add(envelope.id)
            futures.append(
                await publisher.enqueue(
                    OutgoingRecord(
                        topic=topic,
                        key=f"H24.22-{i % 400:04d}".encode(),
                        value=value,
                        headers=envelope.to_headers(),
                    )
                )
            )
        await asyncio.gather(*futures)
    return ids


class Counter:
    """Counts ce_ids arriving (read_committed) on a topic, in the background."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.seen: collections.Counter[str] = collections.Counter()
        self._task: asyncio.Task[None] | None = None

    @property
    def total(self) -> int:
        return sum(self.seen.values())

    async def __aenter__(self) -> Counter:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        async with kafka_consumer(self.bootstrap, self.topic, group_id=None) as consumer:
            while True:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        self.seen[dict(record.headers)["ce_id"].decode()] += 1

    async def wait_until(self, total: int, timeout_s: float) -> None:
        """Until ``total`` records arrived (or the timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.total < total and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    async def wait_for(self, total: int, timeout_s: float) -> None:
        """Until ``total`` arrived, then 2 s more: anything extra (a duplicate) arrives then."""
        await self.wait_until(total, timeout_s)
        await asyncio.sleep(2)


def start_gateway(config: Path, log: Path | None = None) -> subprocess.Popen[bytes]:
    """``lgsp gateway run`` as a child process (its warnings to ``log`` when given)."""
    output = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "lgsp", "gateway", "run", "--config", str(config)],
        stdout=output,
        stderr=output,
        env={**os.environ, "LGSP_LOG_LEVEL": "WARNING"},
    )


def kill_gateway(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as the kernel's OOM killer or a pulled plug would."""
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def stop_gateway(process: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM, as systemd stops the unit; a gateway still running after the unit's bound
    fails the test with the end of its log."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        kill_gateway(process)
        tail = log.read_text(errors="replace")[-4000:]
        raise AssertionError(f"the gateway did not stop in {STOP_WAIT_S} s:\n{tail}") from None
