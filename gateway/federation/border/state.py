"""What the border remembers: the head of its audit chain and the records it let in recently
(by ce_id and recipients), both rebuilt at start from the audit topic, which is their log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import TopicPartition

from bus.kafka import LogReader, TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from gateway.federation.border.audit import GENESIS, encoded_chain_entry
from schemas.envelope import format_time, parse_time
from schemas.topics import gateway_topic


def audit_topic(node: str) -> str:
    return gateway_topic(node, "audit")


async def ensure_audit_topic(cluster: ClusterAccess, node: str) -> None:
    # one partition (one chain), kept forever: archives are copies, not a replacement
    spec = TopicSpec(audit_topic(node), 1, configs={"retention.ms": "-1"})
    await ensure_topics(
        cluster.bootstrap_servers,
        [spec],
        security=cluster.security,
        replication=cluster.replication,
    )


class BorderState:
    """Audit head and dedup memory; changes are staged per transaction and applied on commit."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.seq = 0
        self.head = GENESIS
        self.seen: dict[str, datetime] = {}
        self._staged: list[dict[str, Any]] = []
        self._staged_seen: dict[str, datetime] = {}

    @staticmethod
    def dedup_key(event_id: str, recipients: str | None) -> str:
        return f"{event_id}|{recipients or ''}"

    def is_duplicate(self, key: str) -> bool:
        return key in self.seen or key in self._staged_seen

    def append(
        self,
        fields: dict[str, Any],
        accepted_key: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """The next audit entry (staged until ``commit``); ``at``: ``fields["at"]`` parsed."""
        return self.append_encoded(fields, accepted_key, at)[0]

    def append_encoded(
        self,
        fields: dict[str, Any],
        accepted_key: str | None = None,
        at: datetime | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        """``append``, with the entry's JSON text for the audit topic."""
        prev = self._staged[-1]["hash"] if self._staged else self.head
        entry, text = encoded_chain_entry(prev, self.seq + len(self._staged), fields)
        self._staged.append(entry)
        if accepted_key is not None:
            self._staged_seen[accepted_key] = at or parse_time(fields["at"])
        return entry, text

    def commit(self) -> None:
        if self._staged:
            self.seq += len(self._staged)
            self.head = self._staged[-1]["hash"]
        self.seen.update(self._staged_seen)
        self.abort()

    def abort(self) -> None:
        self._staged = []
        self._staged_seen = {}

    def prune(self, now: datetime) -> None:
        horizon = now - self.window
        self.seen = {k: at for k, at in self.seen.items() if at >= horizon}

    def load(self, entry: dict[str, Any]) -> None:
        self.seq = entry["seq"] + 1
        self.head = entry["hash"]
        if entry.get("decision") == "accepted":
            key = self.dedup_key(entry["ce_id"], entry.get("recipients"))
            self.seen[key] = parse_time(entry["at"])


async def restore_state(cluster: ClusterAccess, node: str, window: timedelta) -> BorderState:
    state = BorderState(window)
    async with LogReader(cluster.bootstrap_servers, security=cluster.security) as reader:
        for record in await reader.read({TopicPartition(audit_topic(node), 0): None}):
            state.load(json.loads(record.value or b"{}"))
    state.prune(datetime.now(UTC))
    return state


def now_text() -> str:
    return format_time(datetime.now(UTC))
