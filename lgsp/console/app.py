"""The console's FastAPI app: login and logout, the pages, static files, error pages."""

from __future__ import annotations

import structlog
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lgsp.console import pages_node, pages_records
from lgsp.console.context import ConsoleContext, static_dir
from lgsp.console.errors import ConsoleCsrfError, ConsoleError, ConsoleNotFoundError
from lgsp.console.sessions import COOKIE
from lgsp.console.web import (
    NotLoggedInError,
    ctx_of,
    error_page,
    form_of,
    page,
    session_of,
    set_session_cookie,
    to_login,
)
from schemas.errors import LgspError

log = structlog.get_logger("lgsp.console")


def console_app(ctx: ConsoleContext) -> FastAPI:
    app = FastAPI(
        title=f"lgsp console {ctx.node_name}",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = ctx
    app.mount("/static", StaticFiles(directory=str(static_dir())), name="static")

    @app.exception_handler(NotLoggedInError)
    async def _login_first(request: Request, error: NotLoggedInError) -> Response:
        return to_login()

    @app.exception_handler(ConsoleError)
    async def _console_error(request: Request, error: ConsoleError) -> Response:
        return error_page(request, error)

    @app.exception_handler(LgspError)
    async def _lgsp_error(request: Request, error: LgspError) -> Response:
        return error_page(request, ConsoleError(error.message, code=error.code))

    @app.exception_handler(KafkaError)
    async def _kafka_error(request: Request, error: KafkaError) -> Response:
        log.warning("console_kafka_error", path=request.url.path, error=repr(error))
        failed = ConsoleError(f"the node's Kafka did not answer: {error!r}; try again")
        failed.status, failed.code = 503, "LGSP-CONSOLE-UNREACHABLE"
        return error_page(request, failed)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in error.errors()
        )
        return error_page(request, ConsoleError(f"invalid request: {problems}"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return error_page(request, ConsoleNotFoundError(f"no page {request.url.path}"))
        failed = ConsoleError(str(error.detail))
        failed.status = error.status_code
        return error_page(request, failed)

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness: the console's server answers (no session needed, as for the probes)."""
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> Response:
        """Ready once the overview has sampled the node; a Kafka or process that is away
        does not make it unready (the pages say so, and an operator needs them most then)."""
        history = ctx.sampler.history
        if not history:
            body = {"status": "starting", "missing": [{"name": "overview", "reason": "no sample"}]}
            return JSONResponse(body, status_code=503)
        last = history[-1]
        return JSONResponse(
            {
                "status": "ready",
                "kafka": "readable" if last.dead_letters is not None else "unreadable",
                "processes_ready": sum(1 for s in last.processes if s.ready),
            }
        )

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        session = ctx_of(request).sessions.anonymous()
        response = page(request, "login.html", None, csrf=session.csrf)
        set_session_cookie(response, request, session)
        return response

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        sessions = ctx_of(request).sessions
        pending = sessions.get(request.cookies.get(COOKIE))
        form = await request.form()
        sent_csrf = form.get("csrf")
        if pending is None or not pending.csrf_ok(
            sent_csrf if isinstance(sent_csrf, str) else None
        ):
            log.warning("console_login", outcome="csrf")
            return error_page(
                request,
                ConsoleCsrfError("the login form expired or was forged: open /login again"),
            )
        token = form.get("token")
        session = sessions.log_in(pending, token.strip() if isinstance(token, str) else "")
        if session is None:
            log.warning("console_login", outcome="unknown")
            fresh = sessions.anonymous()
            response = page(
                request,
                "login.html",
                None,
                status_code=401,
                csrf=fresh.csrf,
                error="That token is not one of this node's admin tokens.",
            )
            set_session_cookie(response, request, fresh)
            return response
        log.info(
            "console_login",
            outcome="allowed",
            token_name=session.token_name,
            role=str(session.role),
        )
        redirect = RedirectResponse("/", status_code=303)
        set_session_cookie(redirect, request, session)
        return redirect

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        session = session_of(request)
        await form_of(request, session)
        ctx_of(request).sessions.log_out(session)
        response = to_login()
        response.delete_cookie(COOKIE, path="/")
        return response

    pages_node.add_routes(app)
    pages_records.add_routes(app)
    return app
