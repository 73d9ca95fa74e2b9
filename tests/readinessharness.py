"""Helpers for readiness tests: a cluster of the test module's own (so it can be stopped), a
free port, polling ``/readyz`` over real HTTP, and a group's committed offsets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import TopicPartition

from bus.kafka import topic_partitions
from bus.kafka.factory import PLAINTEXT, new_admin


@dataclass
class ReadyzPoller:
    """Polls ``url`` (a process's /readyz) and keeps every answer: (status, body)."""

    url: str
    seen: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    async def until(self, status: int, timeout_s: float) -> dict[str, Any]:
        """Poll until ``status`` is answered (a refused connection counts as no answer)."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                try:
                    answer = await client.get(self.url)
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
                    continue
                self.seen.append((answer.status_code, answer.json()))
                if answer.status_code == status:
                    return dict(answer.json())
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.url} never answered {status}; last: {self.seen[-1:]}")

    def reasons(self, status: int = 503) -> list[str]:
        """Every reason given with ``status`` answers."""
        return [reason for code, body in self.seen if code == status for reason in body["missing"]]


async def committed_total(bootstrap: str, group: str, topics: Iterable[str]) -> int:
    """The sum of ``group``'s committed offsets over every partition of ``topics``."""
    partitions: list[TopicPartition] = await topic_partitions(bootstrap, list(topics))
    admin = new_admin(bootstrap, PLAINTEXT)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
    return sum(max(found[tp].offset, 0) for tp in partitions if tp in found)
