"""Counts of dossiers per agency, procedure, channel, service level, status or period, and the
filters the look-up API offers: pure functions over the tracked states."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tracker.dossiers import CHANNELS, STATUS_LABELS, DossierState, Timeliness, timeliness
from tracker.errors import TrackerQueryError
from tracker.periods import Period, month_of, parse_period, quarter_of


@dataclass(slots=True)
class DossierCounts:
    """Figures of one group of dossiers (mutable while counting, then read)."""

    received: int = 0
    online: int = 0
    in_person: int = 0
    post: int = 0
    finished: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0

    def add(self, dossier: DossierState, when: Timeliness) -> None:
        self.received += 1
        channel = CHANNELS[dossier.channel]
        if channel == "online":
            self.online += 1
        elif channel == "in_person":
            self.in_person += 1
        else:
            self.post += 1
        if when in (Timeliness.ON_TIME, Timeliness.LATE):
            self.finished += 1
            self.on_time += when is Timeliness.ON_TIME
            self.late += when is Timeliness.LATE
        elif when is Timeliness.CLOSED:
            self.closed += 1
        else:
            self.open += 1
            self.overdue += when is Timeliness.OVERDUE

    @property
    def on_time_ratio(self) -> float | None:
        return self.on_time / self.finished if self.finished else None

    @property
    def online_ratio(self) -> float | None:
        return self.online / self.received if self.received else None


GROUPINGS: Mapping[str, Callable[[DossierState], str]] = {
    "agency": lambda d: d.agency_code,
    "procedure": lambda d: d.procedure_code,
    "channel": lambda d: CHANNELS[d.channel],
    "service_level": lambda d: d.service_level,
    "status": lambda d: str(d.status),
    "month": lambda d: month_of(d.received_at),
    "quarter": lambda d: quarter_of(d.received_at),
}


@dataclass(frozen=True, slots=True)
class DossierFilter:
    """Which dossiers a list or count covers; None means any."""

    agency: str | None = None
    procedure: str | None = None
    status: int | None = None
    channel: str | None = None
    timeliness: Timeliness | None = None
    period: Period | None = None  # of receipt (ngày tiếp nhận)
    overdue: bool | None = None

    def matches(self, dossier: DossierState, when: Timeliness) -> bool:
        return (
            (self.agency is None or dossier.agency_code == self.agency)
            and (self.procedure is None or dossier.procedure_code == self.procedure)
            and (self.status is None or dossier.status == self.status)
            and (self.channel is None or CHANNELS[dossier.channel] == self.channel)
            and (self.timeliness is None or when is self.timeliness)
            and (self.period is None or self.period.contains(dossier.received_at))
            and (self.overdue is None or (when is Timeliness.OVERDUE) == self.overdue)
        )


def make_filter(
    *,
    agency: str | None = None,
    procedure: str | None = None,
    status: int | None = None,
    channel: str | None = None,
    timeliness_name: str | None = None,
    period: str | None = None,
    overdue: bool | None = None,
) -> DossierFilter:
    """A filter from query parameters; invalid values raise ``TrackerQueryError``."""
    if status is not None and status not in STATUS_LABELS:
        raise TrackerQueryError(f"status {status} is not a dossier status (1..10)")
    if channel is not None and channel not in CHANNELS.values():
        raise TrackerQueryError(f"channel {channel!r} is not one of {sorted(CHANNELS.values())}")
    when = None
    if timeliness_name is not None:
        try:
            when = Timeliness(timeliness_name)
        except ValueError:
            names = ", ".join(t.value for t in Timeliness)
            raise TrackerQueryError(
                f"timeliness {timeliness_name!r} is not one of {names}"
            ) from None
    return DossierFilter(
        agency=agency,
        procedure=procedure,
        status=status,
        channel=channel,
        timeliness=when,
        period=parse_period(period) if period else None,
        overdue=overdue,
    )


def select_dossiers(
    dossiers: Iterable[DossierState], chosen: DossierFilter, as_of_ms: int
) -> list[DossierState]:
    return [d for d in dossiers if chosen.matches(d, timeliness(d, as_of_ms))]


def count_dossiers(
    dossiers: Iterable[DossierState],
    group_by: str,
    as_of_ms: int,
    chosen: DossierFilter | None = None,
) -> dict[str, DossierCounts]:
    """Counts per group (``agency``, ``procedure``, ``channel``, ``service_level``, ``status``,
    ``month`` or ``quarter`` of receipt) of the dossiers the filter selects."""
    try:
        key = GROUPINGS[group_by]
    except KeyError:
        raise TrackerQueryError(
            f"group_by {group_by!r} is not one of {', '.join(GROUPINGS)}"
        ) from None
    counts: dict[str, DossierCounts] = {}
    for dossier in dossiers:
        when = timeliness(dossier, as_of_ms)
        if chosen is not None and not chosen.matches(dossier, when):
            continue
        group = key(dossier)
        held = counts.get(group)
        if held is None:
            held = counts[group] = DossierCounts()
        held.add(dossier, when)
    return dict(sorted(counts.items()))
