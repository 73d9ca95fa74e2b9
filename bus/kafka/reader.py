"""Read committed records of given partitions from a start offset up to their current end:
how state is rebuilt from the log, and how tools list a topic."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import TracebackType
from typing import TypeAlias

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from bus.kafka.factory import new_consumer
from bus.kafka.security import PLAINTEXT, KafkaSecurity
from bus.kafka.stopping import stop_client

Record: TypeAlias = ConsumerRecord[bytes, bytes]


class LogReader:
    """A group-less, read_committed consumer used as ``async with LogReader(bootstrap) as r``."""

    def __init__(
        self,
        bootstrap_servers: str,
        timeout_s: float = 120,
        *,
        security: KafkaSecurity | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._consumer = new_consumer(bootstrap_servers, security or PLAINTEXT, group_id=None)

    async def __aenter__(self) -> LogReader:
        await self._consumer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await stop_client(self._consumer, "log reader")

    async def offsets_at(
        self, partitions: list[TopicPartition], timestamp_ms: int
    ) -> dict[TopicPartition, int]:
        """The first offset at or after ``timestamp_ms`` of each partition that has one."""
        found = await self._consumer.offsets_for_times(dict.fromkeys(partitions, timestamp_ms))
        return {tp: stamp.offset for tp, stamp in found.items() if stamp is not None}

    async def read(self, starts: Mapping[TopicPartition, int | None]) -> list[Record]:
        """Records from each start (None: the beginning) to the end as it is now."""
        if not starts:
            return []
        partitions = list(starts)
        self._consumer.assign(partitions)
        for tp, offset in starts.items():
            if offset is None:
                await self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, offset)
        ends = await self._consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > (starts[tp] or 0)}
        records: list[Record] = []
        async with asyncio.timeout(self._timeout_s):
            while pending:
                for tp, found in (await self._consumer.getmany(*pending, timeout_ms=500)).items():
                    records.extend(r for r in found if r.offset < ends[tp])
                for tp in list(pending):
                    if await self._consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
        return records
