"""The console's web plumbing: templates, the logged-in session of a request, CSRF checks on
every form, role checks on every action, and error pages (a clear message, never a 500)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bus.adminauth import Role
from lgsp.console.context import ConsoleContext, templates_dir
from lgsp.console.errors import ConsoleCsrfError, ConsoleError
from lgsp.console.sessions import COOKIE, Session

log = structlog.get_logger("lgsp.console")
templates = Jinja2Templates(directory=str(templates_dir()))


class NotLoggedInError(Exception):
    """The request has no live session: the page answers with a redirect to /login."""


class ForbiddenError(ConsoleError):
    code = "LGSP-ADMIN-FORBIDDEN"
    status = 403


def ctx_of(request: Request) -> ConsoleContext:
    context: ConsoleContext = request.app.state.console
    return context


def session_of(request: Request) -> Session:
    session = ctx_of(request).sessions.get(request.cookies.get(COOKIE))
    if session is None or not session.logged_in:
        raise NotLoggedInError
    return session


async def form_of(request: Request, session: Session) -> dict[str, str]:
    """The posted form once its CSRF token matches the session's."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not session.csrf_ok(values.get("csrf")):
        log.warning("console_csrf_refused", path=request.url.path, token_name=session.token_name)
        raise ConsoleCsrfError("the form's CSRF token is missing or wrong: reload the page")
    return values


def require(request: Request, session: Session, needed: Role, action: str) -> None:
    """Refuse (and audit) an action the session's role may not do."""
    allowed = session.may(needed)
    (log.info if allowed else log.warning)(
        "console_action",
        action=action,
        path=request.url.path,
        token_name=session.token_name,
        role=str(session.role),
        outcome="allowed" if allowed else "forbidden",
    )
    if not allowed:
        raise ForbiddenError(
            f"your role ({session.role}) may not {action}: log in with an operator token"
        )


def set_session_cookie(response: Response, request: Request, session: Session) -> None:
    secure = ctx_of(request).config.secure_cookie or request.url.scheme == "https"
    response.set_cookie(
        COOKIE,
        session.session_id,
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=int(ctx_of(request).sessions.lifetime_s),
        path="/",
    )


def page(
    request: Request,
    template: str,
    session: Session | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    ctx = ctx_of(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "session": session,
            "node": ctx.node_name,
            "agency_name": ctx.agency_name,
            "Role": Role,
            **values,
        },
        status_code=status_code,
    )


def error_page(request: Request, error: ConsoleError) -> HTMLResponse:
    session = ctx_of(request).sessions.get(request.cookies.get(COOKIE))
    return page(
        request,
        "error.html",
        session if session and session.logged_in else None,
        status_code=error.status,
        code=error.code,
        message=error.message,
    )


def to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=303)
