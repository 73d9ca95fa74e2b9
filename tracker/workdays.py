"""Working days in Viet Nam: Monday to Friday, minus public holidays and substitute days, plus
make-up Saturdays, read from a data file (``tracker/data/holidays.csv``) that ops extend each
year when the Government publishes its holiday notice.

The file takes precedence for the years it has. Every other year comes from the ``holidays``
package's Viet Nam calendar (the statutory days of the Labour Code, Tết by the lunar calendar,
and the swaps the package knows): so a due date past the file's last year never counts Tết
as working days. Such a year is not confirmed by a notice: the first time one is used it is
logged (``calendar_year_unconfirmed``) and reported to ``on_unconfirmed`` (the tracker's
``lgsp_tracker_calendar_year_confirmed`` gauge).

Dates are local dates in Asia/Ho_Chi_Minh (UTC+7 all year: Viet Nam keeps no daylight saving
time, so a fixed offset is exact and needs no time-zone database).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import holidays
import structlog

from tracker.errors import TrackerConfigError

log = structlog.get_logger("lgsp.tracker.calendar")

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
class StatutoryCalendar:
    """Viet Nam's holidays from the ``holidays`` package, one year at a time, for the years no
    Government notice in the file covers. ``on_unconfirmed`` hears of each year once."""

    on_unconfirmed: Callable[[int], None] | None = None
    _years: dict[int, tuple[frozenset[date], frozenset[date]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def year(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """(days off, make-up working days) of ``year``."""
        found = self._years.get(year)
        if found is None:
            calendar = holidays.country_holidays("VN", years=year)
            off = frozenset(d for d in calendar if d.year == year)
            makeup = frozenset(d for d in calendar.weekend_workdays if d.year == year)
            found = self._years[year] = (off, makeup)
            log.warning(
                "calendar_year_unconfirmed",
                year=year,
                source="holidays package (statutory days); no Government notice in the file",
            )
            if self.on_unconfirmed is not None:
                self.on_unconfirmed(year)
        return found

    def is_working_day(self, day: date) -> bool:
        off, makeup = self.year(day.year)
        return day in makeup or (day.weekday() < 5 and day not in off)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Which local dates are working days (ngày làm việc): the notices' file for the years it
    has (``notice_years``), the statutory calendar for every other year."""

    days_off: frozenset[date]
    makeup_days: frozenset[date]
    first_year: int
    last_year: int
    notice_years: frozenset[int] = frozenset()
    statutory: StatutoryCalendar = field(default_factory=StatutoryCalendar, compare=False)

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.notice_years:
            return self.statutory.is_working_day(day)
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def confirmed(self, year: int) -> bool:
        """Whether a Government notice in the file covers ``year``."""
        return year in self.notice_years

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


def parse_calendar(
    lines: Iterable[str],
    source: str,
    on_unconfirmed: Callable[[int], None] | None = None,
) -> WorkingCalendar:
    """A calendar from CSV lines ``date,kind,name`` (``#`` starts a comment line); the years
    the lines have are the notices' years."""
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
    notice_years = frozenset(d.year for d in off | makeup)
    years = sorted(notice_years) or [date.today().year]
    return WorkingCalendar(
        frozenset(off),
        frozenset(makeup),
        years[0],
        years[-1],
        notice_years,
        StatutoryCalendar(on_unconfirmed),
    )


def load_calendar(
    path: Path | None = None, on_unconfirmed: Callable[[int], None] | None = None
) -> WorkingCalendar:
    """The calendar in ``path``, or the bundled one (notices of 2025-2027) when None; other
    years from the statutory calendar, each reported once to ``on_unconfirmed``."""
    if path is None:
        text = resources.files("tracker").joinpath("data/holidays.csv").read_text("utf-8")
        return parse_calendar(text.splitlines(), "tracker/data/holidays.csv", on_unconfirmed)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TrackerConfigError(f"{path}: cannot read: {error.strerror}") from error
    return parse_calendar(text.splitlines(), str(path), on_unconfirmed)
