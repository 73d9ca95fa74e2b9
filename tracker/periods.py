"""Reporting periods: a quarter (``2026Q3``) or a month (``2026-07``) in Vietnamese local
time, as half-open ranges of UTC milliseconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tracker.errors import TrackerQueryError
from tracker.workdays import VIETNAM, local_date

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start_ms: int
    end_ms: int  # exclusive

    def contains(self, millis: int | None) -> bool:
        return millis is not None and self.start_ms <= millis < self.end_ms

    @property
    def year(self) -> int:
        return int(self.label[:4])

    @property
    def quarter(self) -> int:
        return int(self.label[5]) if "Q" in self.label else (int(self.label[5:7]) + 2) // 3


def _start(year: int, month: int) -> int:
    return int(datetime(year, month, 1, tzinfo=VIETNAM).timestamp() * 1000)


def parse_period(text: str) -> Period:
    """``2026Q3`` or ``2026-07``; anything else raises ``TrackerQueryError``."""
    if match := _QUARTER.match(text.strip()):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * quarter - 2
        end = _start(year + 1, 1) if quarter == 4 else _start(year, first + 3)
        return Period(f"{year}Q{quarter}", _start(year, first), end)
    if match := _MONTH.match(text.strip()):
        year, month = int(match[1]), int(match[2])
        end = _start(year + 1, 1) if month == 12 else _start(year, month + 1)
        return Period(f"{year}-{month:02d}", _start(year, month), end)
    raise TrackerQueryError(f"period {text!r}: use a quarter like 2026Q3 or a month like 2026-07")


def parse_quarter(text: str) -> Period:
    """``2026Q3``; a month or anything else raises ``TrackerQueryError`` (reports are quarterly)."""
    period = parse_period(text)
    if "Q" not in period.label:
        raise TrackerQueryError(f"{text!r} is a month: reports are quarterly (e.g. 2026Q3)")
    return period


def month_of(millis: int) -> str:
    day = local_date(millis)
    return f"{day.year}-{day.month:02d}"


def quarter_of(millis: int) -> str:
    day = local_date(millis)
    return f"{day.year}Q{(day.month + 2) // 3}"
