"""Readiness of a long-running process: connected to its Kafka cluster and caught up.

A probe task asks the cluster every ``interval_s`` and keeps what it learnt; ``report()`` (what
``/readyz`` answers) only reads that, so a readiness probe never waits on Kafka. Definitions
(also in docs/operations.md, "Health and readiness"):

- **connected**: a metadata request, and for each watched consumer group an offset fetch from
  its coordinator, all succeeded within the last ``stale_after_s`` seconds (10 by default). One
  slow answer does not flip readiness; a cluster gone for longer does, within
  ``stale_after_s + request_timeout_s``.
- **caught up** (watched consumers): for each partition the consumer is assigned, the group's
  committed offset has once reached the partition's end (the last stable offset: consumers read
  committed) *as it was when the probe first saw the partition assigned*, or all that lies
  between them is transaction markers and aborted records. Once reached it stays reached until
  the partition is assigned again: later lag is for alerts, not readiness.
- **steps** (``require`` / ``done``): things the process does once, e.g. "checkpoint restored";
  **checks**: live conditions it supplies, e.g. "partitions owned and their state restored".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bus.kafka.factory import new_admin, new_consumer
from bus.kafka.security import KafkaSecurity
from bus.kafka.stopping import stop_client
from bus.lifecycle import Closing

Check = Callable[[], str | None]  # what is missing now, or None
_READS_PER_TICK = 8


@dataclass(frozen=True)
class ReadinessReport:
    """Ready, or what is missing (one line per reason)."""

    ready: bool
    missing: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "missing": list(self.missing)}


@dataclass
class _Watch:
    consumer: AIOKafkaConsumer
    group_id: str
    topics: Callable[[str], bool]
    name: str
    targets: dict[TopicPartition, int] = field(default_factory=dict)
    caught: set[TopicPartition] = field(default_factory=set)
    assigned: set[TopicPartition] = field(default_factory=set)
    committed: dict[TopicPartition, int] = field(default_factory=dict)


class KafkaReadiness(Closing):
    """``async with KafkaReadiness(bootstrap, security=...) as readiness:`` runs the probe."""

    def __init__(
        self,
        bootstrap: str,
        *,
        security: KafkaSecurity,
        interval_s: float = 1.0,
        stale_after_s: float = 10.0,
        request_timeout_s: float = 5.0,
    ) -> None:
        self._bootstrap, self._security = bootstrap, security
        self._interval_s, self._stale_after_s = interval_s, stale_after_s
        self._timeout_s = request_timeout_s
        self._steps: dict[str, bool] = {}
        self._checks: list[Check] = []
        self._watches: list[_Watch] = []
        self._last_ok: float | None = None
        self._last_error = "no answer yet"
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    def require(self, *steps: str) -> None:
        """Steps the process must finish (``done``) before it is ready."""
        for step in steps:
            self._steps.setdefault(step, False)

    def done(self, step: str) -> None:
        self._steps[step] = True

    def check(self, check: Check) -> None:
        """A live condition, asked at every report."""
        self._checks.append(check)

    def watch(
        self,
        consumer: AIOKafkaConsumer,
        group_id: str,
        *,
        topics: Callable[[str], bool] = lambda _: True,
        name: str = "consumer",
    ) -> None:
        """Not ready until ``consumer`` is assigned partitions (of ``topics``) and caught up."""
        self._watches = [w for w in self._watches if w.name != name]
        self._watches.append(_Watch(consumer, group_id, topics, name))

    def unwatch(self, name: str = "consumer") -> None:
        self._watches = [w for w in self._watches if w.name != name]

    def report(self) -> ReadinessReport:
        missing: list[str] = []
        if self._last_ok is None:
            missing.append(f"kafka: never answered ({self._last_error})")
        elif (age := time.monotonic() - self._last_ok) > self._stale_after_s:
            missing.append(f"kafka: no answer for {age:.0f} s ({self._last_error})")
        missing += [f"not done: {step}" for step, done in self._steps.items() if not done]
        missing += [reason for check in self._checks if (reason := check()) is not None]
        for watch in self._watches:
            missing += _behind(watch)
        return ReadinessReport(not missing, tuple(missing))

    async def __aenter__(self) -> KafkaReadiness:
        self._task = asyncio.create_task(self._probe_forever(), name="readiness")
        return self

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_clients()

    async def _probe_forever(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._timeout_s):
                    await self._probe()
                self._last_ok = time.monotonic()
            except Exception as error:  # the cluster is away: say so until it answers again
                self._last_error = f"{type(error).__name__}: {error}"[:200]
                if self._last_ok is None or time.monotonic() - self._last_ok > self._timeout_s:
                    await self._close_clients()  # connect afresh next time
            await asyncio.sleep(self._interval_s)

    async def _probe(self) -> None:
        admin, reader = await self._clients()
        await admin.describe_cluster()
        for watch in list(self._watches):
            await self._catch_up(watch, admin, reader)

    async def _catch_up(
        self, watch: _Watch, admin: AIOKafkaAdminClient, reader: AIOKafkaConsumer
    ) -> None:
        assigned = {tp for tp in watch.consumer.assignment() if watch.topics(tp.topic)}
        for tp in set(watch.targets) - assigned:  # revoked: a new assignment catches up again
            watch.targets.pop(tp)
            watch.caught.discard(tp)
        if new := sorted(assigned - set(watch.targets)):
            watch.targets.update(await reader.end_offsets(new))
        watch.assigned = assigned
        if not assigned:
            await admin.find_coordinator(watch.group_id)
            return
        fetched = await admin.list_consumer_group_offsets(
            watch.group_id, partitions=sorted(assigned)
        )
        watch.committed = {tp: fetched[tp].offset if tp in fetched else -1 for tp in assigned}
        reads = _READS_PER_TICK  # each costs a small fetch: bounded, to keep ticks short
        for tp in sorted(assigned - watch.caught):
            committed, target = watch.committed[tp], watch.targets[tp]
            if committed >= target:
                watch.caught.add(tp)
            elif reads > 0:
                reads -= 1
                if await _nothing_between(reader, tp, committed, target):
                    watch.caught.add(tp)

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        timeout_ms = int(self._timeout_s * 1000)
        if self._admin is None:
            admin = new_admin(self._bootstrap, self._security, request_timeout_ms=timeout_ms)
            await admin.start()
            self._admin = admin
        if self._reader is None:
            reader = new_consumer(
                self._bootstrap,
                self._security,
                group_id=None,
                max_partition_fetch_bytes=64 * 1024,
                request_timeout_ms=timeout_ms,
            )
            await reader.start()
            self._reader = reader
        return self._admin, self._reader

    async def _close_clients(self) -> None:
        admin, reader, self._admin, self._reader = self._admin, self._reader, None, None
        if admin is not None:
            with contextlib.suppress(Exception):
                await stop_client(admin, "readiness admin")
        if reader is not None:
            with contextlib.suppress(Exception):
                await stop_client(reader, "readiness reader")


async def _nothing_between(
    reader: AIOKafkaConsumer, tp: TopicPartition, start: int, end: int
) -> bool:
    """True when [start, end) holds no record a read_committed consumer would be given (only
    transaction markers, aborted records). ``start`` -1: from the partition's beginning."""
    reader.assign([tp])
    if start < 0:
        await reader.seek_to_beginning(tp)
    else:
        reader.seek(tp, start)
    for _ in range(3):
        position: int = await reader.position(tp)
        if position >= end:
            return True
        found = await reader.getmany(tp, timeout_ms=200, max_records=1)
        if any(record.offset < end for record in found.get(tp, [])):
            return False
    return False


def _behind(watch: _Watch) -> list[str]:
    if not watch.assigned:
        return [f"{watch.name}: no partitions assigned in group {watch.group_id}"]
    behind = sorted(watch.assigned - watch.caught)
    if not behind:
        return []
    shown = ", ".join(
        f"{tp.topic}[{tp.partition}] at {max(watch.committed.get(tp, -1), 0)} of "
        f"{watch.targets.get(tp, '?')}"
        for tp in behind[:5]
    )
    more = f" and {len(behind) - 5} more" if len(behind) > 5 else ""
    return [f"{watch.name}: catching up: {shown}{more}"]
