"""Retry tiers: named delays (``30s``, ``5m``, ``1h``), each with its own topic."""

from __future__ import annotations

import re
from collections.abc import Sequence

_DELAY = re.compile(r"^([1-9]\d*)(s|m|h|d)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_delay(text: str) -> float:
    """Seconds of a delay such as ``30s``, ``5m``, ``1h``, ``2d``."""
    match = _DELAY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a delay: a number and s, m, h or d (e.g. 30s)")
    return int(match[1]) * _SECONDS[match[2]]


class RetryTiers:
    """The ordered tiers a retriable record goes through before the dead-letter topic."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._delays = [parse_delay(n) for n in names]
        if len(set(self._names)) != len(self._names):
            raise ValueError("retry tiers must be distinct")

    def __len__(self) -> int:
        return len(self._names)

    def name(self, index: int) -> str:
        return self._names[index]

    def delay(self, index: int) -> float:
        return self._delays[index]

    def index(self, name: str) -> int:
        return self._names.index(name)

    @property
    def names(self) -> list[str]:
        return list(self._names)
