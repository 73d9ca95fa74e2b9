"""Per-partition state of the gateway: keys held behind a retry, and ids already routed.

Both are rebuilt from Kafka when a partition is assigned (see ``gateway/runtime/restore.py``), so a
restarted or rebalanced gateway keeps order per key and drops duplicates like before.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class KeyHold:
    """Records of one key waiting in the retry tiers, and the tier later ones must join."""

    pending: int = 0
    tier: int = 0
    head: str = ""


@dataclass
class PartitionState:
    """State of one partition number (all of the node's topics share partition numbers)."""

    dedup_window_s: float
    holds: dict[tuple[str, bytes | None], KeyHold] = field(default_factory=dict)
    routed: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def hold_of(self, base_topic: str, key: bytes | None) -> KeyHold | None:
        return self.holds.get((base_topic, key))

    def park_in_tier(self, base_topic: str, key: bytes | None, tier: int, ce_id: str) -> None:
        """A record of ``key`` entered a retry tier (first failure or held behind another)."""
        hold = self.holds.setdefault((base_topic, key), KeyHold(head=ce_id))
        hold.pending += 1
        hold.tier = max(hold.tier, tier)

    def moved_to_tier(self, base_topic: str, key: bytes | None, tier: int) -> None:
        """A parked record of ``key`` went on to a later tier: later records follow it there."""
        hold = self.holds.get((base_topic, key))
        if hold is not None:
            hold.tier = max(hold.tier, tier)

    def left_tiers(self, base_topic: str, key: bytes | None) -> None:
        """A parked record of ``key`` was delivered or dead-lettered."""
        hold = self.holds.get((base_topic, key))
        if hold is not None:
            hold.pending -= 1
            if hold.pending <= 0:
                del self.holds[(base_topic, key)]

    def seen(self, ce_id: str, now: float) -> bool:
        """True when ``ce_id`` was routed within the dedup window."""
        routed_at = self.routed.get(ce_id)
        return routed_at is not None and now - routed_at <= self.dedup_window_s

    def mark_routed(self, ce_id: str, when: float) -> None:
        if ce_id in self.routed:
            self.routed.move_to_end(ce_id)
        self.routed[ce_id] = when

    def prune(self, now: float) -> int:
        """Forget ids older than the window; return how many were forgotten."""
        dropped = 0
        while self.routed:
            ce_id, when = next(iter(self.routed.items()))
            if now - when <= self.dedup_window_s:
                break
            del self.routed[ce_id]
            dropped += 1
        return dropped
