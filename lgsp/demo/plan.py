"""What one demo run shares across its steps: its plan (duration, rate, ports, the events that
end it) and the nodes it runs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gateway.runtime.gateway import Gateway


@dataclass(frozen=True)
class DemoPlan:
    duration_s: float
    rate: int
    admin_port: int  # NGSP's; the provinces use the next two (0: any free ports)
    keep_running: bool
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)  # Ctrl-C or SIGTERM
    exploring: asyncio.Event = field(default_factory=asyncio.Event)  # --keep-running, summary out


class DemoInterruptedError(Exception):
    """Ctrl-C arrived while traffic was generated: unwind, stopping everything on the way."""


@dataclass
class RunningNode:
    role: str
    gateway: Gateway
    port: int
