"""Working days in Viet Nam: Monday to Friday, minus public holidays and substitute days, plus
make-up Saturdays, read from a data file (``tracker/data/holidays.csv``) that ops extend each
year when the Government publishes its holiday notice.

Dates are local dates in Asia/Ho_Chi_Minh (UTC+7 all year: Viet Nam keeps no daylight saving
time, so a fixed offset is exact and needs no time-zone database).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from tracker.errors import TrackerConfigError

VIETNAM = timezone(timedelta(hours=7), "ICT")
_OFF_KINDS = frozenset({"holiday", "substitute", "provisional"})
_KINDS = _OFF_KINDS | {"makeup"}


def local_date(millis: int) -> date:
    """The Vietnamese calendar date of a UTC instant in milliseconds."""
    return datetime.fromtimestamp(millis / 1000, VIETNAM).date()


def millis_of(instant: datetime) -> int:
    return int(instant.astimezone(UTC).timestamp() * 1000)


def optional_millis(value: datetime | int | None) -> int | None:
    """A decoded Avro timestamp-millis (a datetime, or already milliseconds) as milliseconds."""
    if value is None or isinstance(value, int):
        return value
    return int(value.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Which local dates are working days (ngày làm việc)."""

    days_off: frozenset[date]
    makeup_days: frozenset[date]
    first_year: int
    last_year: int

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
        if end == start:
            return 0
        sign = 1 if end > start else -1
        low, high = (start, end) if sign == 1 else (end, start)
        count = 0
        day = low + timedelta(days=1)
        while day <= high:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return sign * count

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (how a due date is set)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            remaining -= self.is_working_day(day)
        return day


def parse_calendar(lines: Iterable[str], source: str) -> WorkingCalendar:
    """A calendar from CSV lines ``date,kind,name`` (``#`` starts a comment line)."""
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    off: set[date] = set()
    makeup: set[date] = set()
    problems: list[str] = []
    for number, row in enumerate(csv.DictReader(rows), start=2):
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
        except ValueError:
            problems.append(f"row {number}: date {row.get('date')!r} is not YYYY-MM-DD")
            continue
        kind = (row.get("kind") or "").strip()
        if kind not in _KINDS:
            problems.append(f"row {number}: kind {kind!r} is not one of {sorted(_KINDS)}")
        (makeup if kind == "makeup" else off).add(day)
    if problems:
        raise TrackerConfigError(f"{source}: " + "; ".join(problems))
    years = [d.year for d in off | makeup] or [date.today().year]
    return WorkingCalendar(frozenset(off), frozenset(makeup), min(years), max(years))


def load_calendar(path: Path | None = None) -> WorkingCalendar:
    """The calendar in ``path``, or the bundled one (2025-2027) when None."""
    if path is None:
        text = resources.files("tracker").joinpath("data/holidays.csv").read_text("utf-8")
        return parse_calendar(text.splitlines(), "tracker/data/holidays.csv")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TrackerConfigError(f"{path}: cannot read: {error.strerror}") from error
    return parse_calendar(text.splitlines(), str(path))
