"""The overview's figures: samples of every process taken on a schedule, and what a page
shows from them (rates per minute, lags, small SVG charts). The figures are pure functions
of the samples."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from lgsp.console.config import ProcessKind
from lgsp.console.node import NodeClient, ProcessState, metric_sum

log = structlog.get_logger("lgsp.console")
HISTORY = 120


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    processes: tuple[ProcessState, ...]
    dead_letters: int | None


@dataclass(frozen=True, slots=True)
class Figures:
    """One process's line on the overview."""

    name: str
    kind: str
    ready: bool
    reason: str
    in_per_min: float | None
    out_per_min: float | None
    lags: tuple[tuple[str, float], ...]  # (what, records)
    out_series: tuple[float, ...]  # records out per minute, oldest first


_COUNTERS = {
    ProcessKind.GATEWAY: ("lgsp_gateway_records_in_total", "lgsp_gateway_records_out_total"),
    ProcessKind.TRACKER: ("lgsp_tracker_events_total", "lgsp_tracker_events_total"),
    ProcessKind.CONNECTOR: ("lgsp_connector_records_total", "lgsp_connector_records_total"),
}


def _counter(state: ProcessState, name: str) -> float:
    return metric_sum(state.metrics, name)


def per_minute(points: Sequence[tuple[float, float]]) -> list[float]:
    """Rates per minute between consecutive (time, counter) points; a reset counts from 0."""
    rates = []
    for (t0, v0), (t1, v1) in itertools.pairwise(points):
        if t1 > t0:
            rates.append(max(v1 - v0 if v1 >= v0 else v1, 0.0) * 60.0 / (t1 - t0))
    return rates


def lags_of(state: ProcessState) -> tuple[tuple[str, float], ...]:
    metrics = state.metrics
    lags: dict[str, float] = {}
    for labels, value in metrics.get("lgsp_link_lag_records", []):
        key = f"link to {labels.get('peer', '?')}"
        lags[key] = lags.get(key, 0.0) + value
    for name in ("lgsp_gateway_consumer_lag_records", "lgsp_connector_consumer_lag_records"):
        if name in metrics:
            lags["consumer"] = sum(v for _, v in metrics[name])
    return tuple(sorted(lags.items()))


def figures(history: Sequence[Sample]) -> list[Figures]:
    if not history:
        return []
    latest = history[-1]
    result = []
    for index, state in enumerate(latest.processes):
        in_name, out_name = _COUNTERS[state.spec.kind]
        points = [(s.at, s.processes[index]) for s in history if s.processes[index].reachable]
        ins = per_minute([(t, _counter(p, in_name)) for t, p in points])
        outs = per_minute([(t, _counter(p, out_name)) for t, p in points])
        reason = "ready" if state.ready else ("; ".join(state.missing) or "not ready")
        result.append(
            Figures(
                state.spec.name,
                str(state.spec.kind),
                state.ready,
                reason,
                round(ins[-1], 1) if ins else None,
                round(outs[-1], 1) if outs else None,
                lags_of(state),
                tuple(outs[-30:]),
            )
        )
    return result


def trust_age_s(history: Sequence[Sample]) -> float | None:
    if not history:
        return None
    for state in history[-1].processes:
        found = state.metrics.get("lgsp_trust_registry_age_seconds")
        if found:
            return found[0][1]
    return None


def sparkline(values: Sequence[float], width: int = 160, height: int = 28) -> str:
    """An inline SVG polyline of ``values`` (empty when fewer than two)."""
    if len(values) < 2:
        return ""
    top = max(values) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="records out per minute, peak {top:.0f}">'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/></svg>'
    )


class Sampler:
    """Samples every process (and the dead letters waiting) every ``poll_s`` seconds."""

    def __init__(
        self,
        node: NodeClient,
        count_dead_letters: Callable[[], Awaitable[int]],
        poll_s: float,
    ) -> None:
        self.node = node
        self.count_dead_letters = count_dead_letters
        self.poll_s = poll_s
        self.history: deque[Sample] = deque(maxlen=HISTORY)

    async def sample(self) -> Sample:
        states = await asyncio.gather(*(self.node.state(p) for p in self.node.config.processes))
        try:
            waiting: int | None = await self.count_dead_letters()
        except Exception as error:  # a broker away must not stop the overview
            log.warning("console_dead_letters_unavailable", error=repr(error))
            waiting = None
        sample = Sample(time.time(), tuple(states), waiting)
        self.history.append(sample)
        return sample

    async def _loop(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception as error:
                log.warning("console_sample_failed", error=repr(error))
            await asyncio.sleep(self.poll_s)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Sampler]:
        task = asyncio.create_task(self._loop())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
