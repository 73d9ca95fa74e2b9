"""Pages about the node's processes: overview (live), routes, links and trust."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bus.adminauth import Role
from lgsp.console.errors import ConsoleError
from lgsp.console.overview import figures, lags_of, sparkline, trust_age_s
from lgsp.console.routing import decide, parse_question, table_of
from lgsp.console.web import ctx_of, form_of, page, require, session_of


def _refusal(status: int, body: Any) -> ConsoleError:
    """The gateway's refusal (401/403/404/422...) shown as the console's message."""
    error = ConsoleError(
        str(body.get("error") or body.get("problems") or body), code=str(body.get("code"))
    )
    error.status = status if 400 <= status < 600 else 502
    return error


def add_routes(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse)
    async def overview(request: Request) -> Response:
        session = session_of(request)
        return page(request, "overview.html", session, **_live(request))

    @app.get("/overview/live", response_class=HTMLResponse)
    async def overview_live(request: Request) -> Response:
        session = session_of(request)
        return page(request, "_live.html", session, **_live(request))

    @app.get("/routes", response_class=HTMLResponse)
    async def routes(request: Request) -> Response:
        session = session_of(request)
        return await _routes_page(request, session, {})

    @app.post("/routes/where", response_class=HTMLResponse)
    async def where(request: Request) -> Response:
        session = session_of(request)
        form = await form_of(request, session)
        ctx = ctx_of(request)
        question = parse_question(form, ctx.catalog)
        loaded = await ctx.node.gateway("GET", "/admin/routes", session.token)
        if not loaded.ok:
            raise _refusal(loaded.status, loaded.body)
        hops = ctx.gateway.federation.hops() if ctx.gateway.federation else None
        table = table_of(loaded.body, ctx.node_name, ctx.directory, ctx.catalog, hops)
        decision = decide(table, question)
        return await _routes_page(
            request, session, {"question": question, "decision": decision, "form": form}
        )

    @app.post("/routes/reload", response_class=HTMLResponse)
    async def reload(request: Request) -> Response:
        session = session_of(request)
        await form_of(request, session)
        require(request, session, Role.OPERATOR, "reload the routing table")
        answer = await ctx_of(request).node.gateway("POST", "/admin/reload", session.token)
        if answer.status == 422:
            return await _routes_page(request, session, {"reload_problems": answer.body}, 422)
        if not answer.ok:
            raise _refusal(answer.status, answer.body)
        return await _routes_page(request, session, {"reloaded": answer.body})

    @app.get("/links", response_class=HTMLResponse)
    async def links(request: Request) -> Response:
        session = session_of(request)
        ctx = ctx_of(request)
        if ctx.gateway.federation is None:  # a node without federation has no links
            return page(
                request,
                "links.html",
                session,
                info={"links": []},
                lags={},
                errors={},
                why={},
                registry=None,
                registry_error=None,
                now=None,
            )
        answer = await ctx.node.gateway("GET", "/admin/links", session.token)
        if not answer.ok:
            raise _refusal(answer.status, answer.body)
        gateway_state = await ctx.node.state(
            next(p for p in ctx.config.processes if p.kind == "gateway")
        )
        lags = dict(lags_of(gateway_state))
        errors = {
            labels.get("peer"): value
            for labels, value in gateway_state.metrics.get("lgsp_link_errors_total", [])
        }
        why = {
            labels.get("peer"): labels.get("why")
            for labels, value in gateway_state.metrics.get("lgsp_link_paused", [])
            if value
        }
        registry = None
        registry_error = None
        if ctx.trust is not None:
            try:
                registry = await ctx.trust.refresh()
            except Exception as error:  # shown on the page: the registry is what is wrong
                registry_error = str(error)
        return page(
            request,
            "links.html",
            session,
            info=answer.body,
            lags=lags,
            errors=errors,
            why=why,
            registry=registry,
            registry_error=registry_error,
            now=datetime.now(UTC),
        )

    @app.post("/links/{peer}/{action}", response_class=HTMLResponse)
    async def link_action(request: Request, peer: str, action: str) -> Response:
        session = session_of(request)
        await form_of(request, session)
        if action not in ("pause", "resume"):
            raise ConsoleError(f"a link can be paused or resumed, not {action!r}")
        require(request, session, Role.OPERATOR, f"{action} the link to {peer}")
        answer = await ctx_of(request).node.gateway(
            "POST", f"/admin/links/{peer}/{action}", session.token
        )
        if not answer.ok:
            raise _refusal(answer.status, answer.body)
        return RedirectResponse(f"/links?done={action}d+{peer}", status_code=303)


def _live(request: Request) -> dict[str, Any]:
    history = list(ctx_of(request).sampler.history)
    lines = figures(history)
    return {
        "lines": lines,
        "charts": {line.name: sparkline(line.out_series) for line in lines},
        "dead_letters": history[-1].dead_letters if history else None,
        "trust_age_s": trust_age_s(history),
        "sampled_at": (
            datetime.fromtimestamp(history[-1].at, UTC).strftime("%H:%M:%S UTC")
            if history
            else None
        ),
    }


async def _routes_page(
    request: Request, session: Any, extra: dict[str, Any], status_code: int = 200
) -> Response:
    ctx = ctx_of(request)
    loaded = await ctx.node.gateway("GET", "/admin/routes", session.token)
    if not loaded.ok:
        raise _refusal(loaded.status, loaded.body)
    return page(
        request,
        "routes.html",
        session,
        status_code=status_code,
        routes=loaded.body,
        event_types=sorted({v.event_type for v in ctx.catalog}),
        **extra,
    )
