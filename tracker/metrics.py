"""The tracker's Prometheus metrics, registered on an injected registry.

Labels are bounded: event type, outcome, and agency code (the agencies of one node, tens to a
few hundred); never a dossier or document id.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from prometheus_client import Gauge

from bus.metrics import Metrics, counter, gauge
from tracker.documents import overdue_recipients
from tracker.figures import count_dossiers
from tracker.state import TrackerState
from tracker.workdays import WorkingCalendar

log = structlog.get_logger("lgsp.tracker.calendar")


class TrackerMetrics(Metrics):
    """Every metric the tracker exports (one tracker per node: no node label)."""

    events = counter(
        "lgsp_tracker_events_total",
        "Events read by the tracker, by event type and outcome (tracked or parked).",
        "type",
        "outcome",
    )
    batches = counter(
        "lgsp_tracker_transactions_total",
        "Transactions committed (changelog writes and source offsets together).",
    )
    table_rows = gauge("lgsp_tracker_table_rows", "Rows in the tracker's tables.", "table")
    calendar_confirmed = gauge(
        "lgsp_tracker_calendar_year_confirmed",
        "1 when a year's working days come from a Government notice (the holidays file), "
        "0 when from the holidays package's statutory calendar, not confirmed by a notice.",
        "year",
    )
    recovery_seconds = gauge(
        "lgsp_tracker_recovery_seconds",
        "How long the last start took to rebuild the tables from the changelog.",
    )
    on_time_ratio = gauge(
        "lgsp_tracker_on_time_ratio",
        "Share of an agency's finished dossiers finished on or before their due time.",
        "agency",
    )
    backlog = gauge(
        "lgsp_tracker_backlog_dossiers",
        "Dossiers an agency still has to finish (not finished, refused or stopped).",
        "agency",
    )
    overdue = gauge(
        "lgsp_tracker_overdue_dossiers",
        "Dossiers of an agency past their due time and not finished.",
        "agency",
    )
    overdue_documents = gauge(
        "lgsp_tracker_overdue_documents",
        "Documents an agency received and has not finished past their due date.",
        "agency",
    )

    def calendar_years(self, calendar: WorkingCalendar, this_year: int) -> None:
        """Say which years, from the notices' first to next year, a notice confirms; log the
        ones it does not (their working days come from the statutory calendar)."""
        years = range(min(calendar.first_year, this_year), this_year + 2)
        for year in years:
            self.calendar_confirmed.labels(str(year)).set(1 if calendar.confirmed(year) else 0)
        unconfirmed = [year for year in years if not calendar.confirmed(year)]
        if unconfirmed:
            log.warning(
                "calendar_years_unconfirmed",
                years=unconfirmed,
                notice_years=sorted(calendar.notice_years),
                fix="add the Government's holiday notice of these years to the holidays file",
            )

    def calendar_year_unconfirmed(self, year: int) -> None:
        """A year outside the notices was used: its working days are statutory ones."""
        self.calendar_confirmed.labels(str(year)).set(0)

    def refresh(self, state: TrackerState, as_of_ms: int) -> None:
        """Recompute the per-agency gauges from the tables (one pass over each)."""
        self.table_rows.labels("dossiers").set(len(state.dossiers))
        self.table_rows.labels("documents").set(len(state.documents))
        for agency, counts in count_dossiers(state.iter_dossiers(), "agency", as_of_ms).items():
            if counts.on_time_ratio is not None:
                self.on_time_ratio.labels(agency).set(counts.on_time_ratio)
            self.backlog.labels(agency).set(counts.open)
            self.overdue.labels(agency).set(counts.overdue)
        late: dict[str, int] = {}
        for document in list(state.documents.values()):
            for recipient in overdue_recipients(document, as_of_ms):
                late[recipient.code] = late.get(recipient.code, 0) + 1
        for agency in _known(self.overdue_documents, late):
            self.overdue_documents.labels(agency).set(late.get(agency, 0))


def _known(gauge: Gauge, current: dict[str, int]) -> Iterable[str]:
    """Agencies seen now or before: an agency whose overdue count fell to 0 must show 0."""
    seen = {sample.labels["agency"] for metric in gauge.collect() for sample in metric.samples}
    return sorted(seen | set(current))
