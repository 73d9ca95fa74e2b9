"""The delivery SLA decision: how long a record took from its ``ce_time`` to the agency
system's acknowledgement, and whether that is on time.

The delivery point is the sink's target acknowledging the record (HTTP 2xx, the file written):
the moment the receiving agency really has it, whatever gateways and federation links it
crossed on the way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

Outcome = Literal["on_time", "late"]
OUTCOMES: tuple[Outcome, ...] = ("on_time", "late")


def delivery_delay_s(ce_time: datetime, acknowledged: datetime) -> float:
    """Seconds from the event's time to its acknowledgement; 0 when the sender's clock runs
    ahead of ours (a negative delay would hide in the histogram's first bucket anyway)."""
    return max(0.0, (acknowledged - ce_time).total_seconds())


def sla_outcome(delay_s: float, sla_s: float) -> Outcome:
    """On time when acknowledged within the SLA, the SLA itself included."""
    return "on_time" if delay_s <= sla_s else "late"
