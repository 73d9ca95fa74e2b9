"""The look-up API (FastAPI, OpenAPI at /docs and /openapi.json): a dossier by its code as the
National Public Service Portal shows it to a citizen, a document's recipients and statuses,
lists with filters, figures and the quarterly report.

Errors are JSON ``{"code": ..., "message": ...}``: 404 ``LGSP-TRACKER-NOT-FOUND``, 422
``LGSP-TRACKER-QUERY`` (with ``problems`` when a parameter has the wrong type).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from bus.health import add_health_routes, add_metrics_route
from bus.readiness import ReadinessReport
from tracker.documents import DocumentState, overdue_recipients
from tracker.dossiers import (
    CHANNELS,
    STATUS_LABELS,
    DossierState,
    timeliness,
    working_days_late,
)
from tracker.errors import TrackerError, TrackerNotFoundError, TrackerQueryError
from tracker.figures import count_dossiers, make_filter, select_dossiers
from tracker.periods import parse_quarter
from tracker.quarterly_report import quarter_report, report_csv
from tracker.state import TrackerState
from tracker.workdays import WorkingCalendar

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


@dataclass(frozen=True)
class ApiContext:
    state: TrackerState
    calendar: WorkingCalendar
    now_ms: Callable[[], int]
    registry: CollectorRegistry
    readiness: Callable[[], ReadinessReport]  # what /readyz answers


class StatusStepView(BaseModel):
    status: int
    status_label: str
    at: datetime


class DossierView(BaseModel):
    """What the portal shows about a dossier: no owner, id number, phone or address."""

    dossier_code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    channel: str
    status: int
    status_label: str
    received_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    timeliness: str
    working_days_late: int
    history: list[StatusStepView]


class DossierList(BaseModel):
    total: int
    items: list[DossierView]


class RecipientView(BaseModel):
    agency_code: str
    agency_name: str
    state: str
    status_code: str | None
    at: datetime | None
    overdue: bool


class DocumentView(BaseModel):
    document_id: str
    sender_code: str
    sender_name: str
    subject: str
    number: str
    sent_at: datetime | None
    due_date: date | None
    overdue: bool
    recipients: list[RecipientView]


class DocumentList(BaseModel):
    total: int
    items: list[DocumentView]


def _time(millis: int | None) -> datetime | None:
    return None if millis is None else datetime.fromtimestamp(millis / 1000, UTC)


def dossier_view(d: DossierState, calendar: WorkingCalendar, now_ms: int) -> DossierView:
    return DossierView(
        dossier_code=d.code,
        procedure_code=d.procedure_code,
        procedure_name=d.procedure_name,
        agency_code=d.agency_code,
        agency_name=d.agency_name,
        channel=CHANNELS[d.channel],
        status=d.status,
        status_label=STATUS_LABELS[d.status],
        received_at=datetime.fromtimestamp(d.received_at / 1000, UTC),
        due_at=_time(d.due_at),
        finished_at=_time(d.finished_at),
        returned_at=_time(d.returned_at),
        timeliness=timeliness(d, now_ms).value,
        working_days_late=working_days_late(d, calendar, now_ms),
        history=[
            StatusStepView(
                status=s.status,
                status_label=STATUS_LABELS[s.status],
                at=datetime.fromtimestamp(s.at / 1000, UTC),
            )
            for s in d.history
        ],
    )


def document_view(d: DocumentState, now_ms: int) -> DocumentView:
    late = {r.code for r in overdue_recipients(d, now_ms)}
    return DocumentView(
        document_id=d.document_id,
        sender_code=d.sender_code,
        sender_name=d.sender_name,
        subject=d.subject,
        number=f"{d.code_number}/{d.code_notation}" if d.code_number else "",
        sent_at=_time(d.sent_at),
        due_date=d.due_date,
        overdue=bool(late),
        recipients=[
            RecipientView(
                agency_code=r.code,
                agency_name=r.name,
                state=r.state,
                status_code=r.status_code,
                at=_time(r.at),
                overdue=r.code in late,
            )
            for r in d.recipients
        ],
    )


def tracker_api(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="LGSP tracker",
        version="1",
        description="Dossier and document status, figures and quarterly reports of one node.",
    )

    @app.exception_handler(TrackerError)
    async def _tracker_error(request: Request, error: TrackerError) -> JSONResponse:
        status = 404 if isinstance(error, TrackerNotFoundError) else 422
        return JSONResponse({"code": error.code, "message": error.message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        return JSONResponse(
            {"code": TrackerQueryError.code, "message": "invalid parameters", "problems": problems},
            status_code=422,
        )

    add_health_routes(app, ctx.readiness, lambda: {"dossiers": len(ctx.state.dossiers)})

    add_metrics_route(app, ctx.registry)

    @app.get("/dossiers/{dossier_code}", response_model=DossierView)
    async def get_dossier(dossier_code: str) -> DossierView:
        """A dossier as the national portal shows it (tra cứu hồ sơ)."""
        found = ctx.state.dossiers.get(dossier_code)
        if found is None:
            raise TrackerNotFoundError(f"no dossier {dossier_code!r} is tracked")
        return dossier_view(found, ctx.calendar, ctx.now_ms())

    @app.get("/dossiers", response_model=DossierList)
    async def list_dossiers(
        agency: str | None = None,
        procedure: str | None = None,
        status: int | None = None,
        channel: str | None = None,
        timeliness: str | None = None,
        period: Annotated[str | None, Query(description="2026Q3 or 2026-07 (received)")] = None,
        overdue: bool | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> DossierList:
        chosen = make_filter(
            agency=agency,
            procedure=procedure,
            status=status,
            channel=channel,
            timeliness_name=timeliness,
            period=period,
            overdue=overdue,
        )
        now = ctx.now_ms()
        found = select_dossiers(ctx.state.iter_dossiers(), chosen, now)
        found.sort(key=lambda d: (d.received_at, d.code))
        page = found[offset : offset + limit]
        return DossierList(
            total=len(found), items=[dossier_view(d, ctx.calendar, now) for d in page]
        )

    @app.get("/figures")
    async def figures(
        group_by: str = "agency",
        agency: str | None = None,
        channel: str | None = None,
        period: str | None = None,
    ) -> dict[str, Any]:
        """Dossier counts per agency, procedure, channel, service_level, status, month or
        quarter, with on-time and online shares."""
        now = ctx.now_ms()
        chosen = make_filter(agency=agency, channel=channel, period=period)
        counts = count_dossiers(ctx.state.iter_dossiers(), group_by, now, chosen)
        return {
            "group_by": group_by,
            "as_of": _time(now),
            "groups": {
                key: {
                    **{name: getattr(c, name) for name in c.__slots__},
                    "on_time_ratio": c.on_time_ratio,
                    "online_ratio": c.online_ratio,
                }
                for key, c in counts.items()
            },
        }

    @app.get("/documents/{document_id:path}", response_model=DocumentView)
    async def get_document(document_id: str) -> DocumentView:
        """A document's recipients and their processing statuses."""
        found = ctx.state.documents.get(document_id)
        if found is None:
            raise TrackerNotFoundError(f"no document {document_id!r} is tracked")
        return document_view(found, ctx.now_ms())

    @app.get("/documents", response_model=DocumentList)
    async def list_documents(
        sender: str | None = None,
        recipient: str | None = None,
        overdue: bool | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> DocumentList:
        now = ctx.now_ms()
        views = [
            document_view(d, now)
            for d in sorted(ctx.state.documents.values(), key=lambda d: d.document_id)
            if (sender is None or d.sender_code == sender)
            and (recipient is None or any(r.code == recipient for r in d.recipients))
        ]
        chosen = [v for v in views if overdue is None or v.overdue == overdue]
        return DocumentList(total=len(chosen), items=chosen[offset : offset + limit])

    @app.get("/reports/{quarter}", response_model=None)
    async def report(quarter: str, format: str = "json") -> Any:
        """The quarterly online public-service report, per agency (``format=csv`` for CSV)."""
        if format not in ("json", "csv"):
            raise TrackerQueryError(f"format {format!r} is not json or csv")
        period = parse_quarter(quarter)
        records = quarter_report(ctx.state.iter_dossiers(), period, ctx.calendar, ctx.now_ms())
        if format == "csv":
            return PlainTextResponse(report_csv(records), media_type="text/csv")
        return {"quarter": period.label, "agencies": records}

    return app
