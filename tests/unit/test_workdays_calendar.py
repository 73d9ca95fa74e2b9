"""The working-day calendar covers every date: the bundled Government notices for their years,
the ``holidays`` package's Viet Nam calendar for the others (logged and counted as not
confirmed), and the two agree on the notices' years but for the documented differences."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from tracker.metrics import TrackerMetrics
from tracker.workdays import load_calendar

# Where the bundled notices' file and the package differ on purpose, and why. A new
# difference (a package update, an edited file) fails the test until it is understood here.
DOCUMENTED: dict[date, str] = {
    date(2026, 1, 2): "file: provisional New Year bridge day, awaiting the 2026 notice; "
    "the package has no bridge day",
    date(2026, 8, 22): "package: Saturday worked in exchange for 31/8 (a swap of its own "
    "source); the file keeps 1/9 provisional until the notice is added",
    date(2026, 8, 31): "package: day off swapped from 22/8; not in the file yet",
    date(2026, 11, 24): "package: Vietnam Culture Day (Ngày Văn hóa Việt Nam), not in the "
    "file's notices",
    date(2027, 11, 24): "package: Vietnam Culture Day, not in the file's notices",
}


def _package_working(day: date, calendar: holidays.HolidayBase) -> bool:
    return day in calendar.weekend_workdays or (day.weekday() < 5 and day not in calendar)


def test_the_notices_and_the_package_agree_on_the_notices_years_but_for_documented_days() -> None:
    """Every date of every year the bundled file has is a working day in both sources, or a
    day off in both, except the documented differences (each with its reason)."""
    calendar = load_calendar()
    assert calendar.notice_years == {2025, 2026, 2027}
    differences = set()
    for year in sorted(calendar.notice_years):
        package = holidays.country_holidays("VN", years=year)
        day = date(year, 1, 1)
        while day.year == year:
            if calendar.is_working_day(day) != _package_working(day, package):
                differences.add(day)
            day += timedelta(days=1)
    assert differences == set(DOCUMENTED)


def test_a_year_after_the_notices_does_not_count_tet_as_working_days() -> None:
    """2028 is past the file: its Tết days (from the package) are days off, a due date across
    them skips them, and the year is logged once and reported as not confirmed."""
    heard: list[int] = []
    calendar = load_calendar(on_unconfirmed=heard.append)
    tet = sorted(
        d for d, name in holidays.country_holidays("VN", years=2028).items() if "Lunar" in name
    )
    weekdays_of_tet = [d for d in tet if d.weekday() < 5]
    assert len(weekdays_of_tet) >= 3
    with capture_logs() as logs:
        assert not any(calendar.is_working_day(d) for d in weekdays_of_tet)
        before = tet[0] - timedelta(days=1)
        due = calendar.add_working_days(before, 1)
        assert due > max(weekdays_of_tet)  # the first working day after Tết
        assert calendar.is_working_day(date(2028, 3, 1))  # an ordinary Wednesday
    assert heard == [2028]
    assert [e["year"] for e in logs if e["event"] == "calendar_year_unconfirmed"] == [2028]
    assert not calendar.confirmed(2028) and calendar.confirmed(2026)


def test_a_year_before_the_notices_comes_from_the_package_too() -> None:
    """2024's Reunification Day (30/4, a Tuesday) is a day off though the file starts in 2025."""
    calendar = load_calendar()
    assert not calendar.is_working_day(date(2024, 4, 30))
    assert calendar.is_working_day(date(2024, 5, 6))


def test_the_tracker_metric_says_which_years_a_notice_confirms() -> None:
    """lgsp_tracker_calendar_year_confirmed is 1 for the notices' years, 0 for the years up to
    next year they lack (and for any year used later), with a log line naming them."""
    registry = CollectorRegistry()
    metrics = TrackerMetrics(registry)
    calendar = load_calendar(on_unconfirmed=metrics.calendar_year_unconfirmed)
    with capture_logs() as logs:
        metrics.calendar_years(calendar, this_year=2028)
    value = registry.get_sample_value
    name = "lgsp_tracker_calendar_year_confirmed"
    assert value(name, {"year": "2026"}) == 1
    assert value(name, {"year": "2028"}) == 0 and value(name, {"year": "2029"}) == 0
    [line] = [e for e in logs if e["event"] == "calendar_years_unconfirmed"]
    assert line["years"] == [2028, 2029]
    calendar.is_working_day(date(2031, 1, 1))
    assert value(name, {"year": "2031"}) == 0
