"""Exponential back-off: how long to wait before trying again, in one place for every loop
that retries (a partition rebuild, a federation link, a sink's delivery)."""

from __future__ import annotations


def exponential_s(first_s: float, retries: int, max_s: float, multiplier: float = 2.0) -> float:
    """The wait before retry ``retries + 1``: ``first_s``, then ``multiplier`` times longer
    each time, never over ``max_s``."""
    return min(max_s, first_s * multiplier ** max(0, retries))


class Backoff:
    """The waits of one retrying loop: ``next()`` after each failure, ``reset()`` on success."""

    def __init__(self, first_s: float = 0.5, max_s: float = 10.0, multiplier: float = 2.0) -> None:
        self.first_s, self.max_s, self.multiplier = first_s, max_s, multiplier
        self.retries = 0

    def peek(self) -> float:
        """The wait the next failure will get."""
        return exponential_s(self.first_s, self.retries, self.max_s, self.multiplier)

    def next(self) -> float:
        """The wait after this failure (the next one waits longer)."""
        delay = self.peek()
        self.retries += 1
        return delay

    def reset(self) -> None:
        self.retries = 0
