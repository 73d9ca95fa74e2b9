"""CPU time of a piece of work, for the benchmarks that time code without Kafka: measured with
``time.process_time`` (a busy neighbour does not move it), the best of several runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_us(run: Callable[[], T], count: int, repeat: int) -> tuple[float, T]:
    """Microseconds of CPU per item of ``run`` (which handles ``count`` items), the best of
    ``repeat`` runs, with what the last run returned."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        started = time.process_time()
        result = run()
        best = min(best, time.process_time() - started)
    return best / count * 1e6, result
