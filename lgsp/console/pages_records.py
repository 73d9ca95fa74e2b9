"""Pages about records: dead letters (list, one record, redrive and purge with a
confirmation), trace of a document or dossier, and the tracker's dossiers and figures."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from bus.adminauth import Role
from lgsp.console.deadletters import FILTER_FIELDS, decode, parse_selection
from lgsp.console.errors import ConsoleError
from lgsp.console.trace import NodeLogs, audit_entries, trace
from lgsp.console.tracelogs import logged_hops
from lgsp.console.web import ctx_of, form_of, page, require, session_of

ACTIONS = {"redrive": "redriven", "purge": "purged"}


def add_routes(app: FastAPI) -> None:
    @app.get("/dead-letters", response_class=HTMLResponse)
    async def dead_letters(request: Request) -> Response:
        session = session_of(request)
        query = dict(request.query_params)
        include_done = query.get("all") == "on"
        selection = parse_selection(query, include_done=include_done)
        letters = await ctx_of(request).dead_letters.select(selection)
        return page(
            request,
            "dead_letters.html",
            session,
            letters=letters,
            form={k: query.get(k, "") for k in FILTER_FIELDS},
            include_done=include_done,
            hidden=selection.as_form(),
        )

    @app.get("/dead-letters/{ref}", response_class=HTMLResponse)
    async def dead_letter(request: Request, ref: str) -> Response:
        session = session_of(request)
        ctx = ctx_of(request)
        letter = await ctx.dead_letters.one(ref)
        personal = session.may(Role.OPERATOR)
        record = await decode(letter, may_see_personal=personal, wire=ctx.gateway.wire_format)
        return page(
            request,
            "dead_letter.html",
            session,
            letter=letter,
            record=json.dumps(record, ensure_ascii=False, indent=2),
            masked=not personal,
            headers=[(k, v.decode("utf-8", "replace")) for k, v in letter.headers],
            trace_key=(letter.key or b"").decode("utf-8", "replace"),
        )

    @app.post("/dead-letters/confirm", response_class=HTMLResponse)
    async def confirm(request: Request) -> Response:
        session = session_of(request)
        form = await form_of(request, session)
        action = _action(form)
        require(request, session, Role.OPERATOR, f"{action} dead letters")
        selection = parse_selection(form)
        letters = await ctx_of(request).dead_letters.to_act_on(selection)
        return page(
            request,
            "confirm.html",
            session,
            action=action,
            letters=letters,
            hidden=selection.as_form(),
        )

    @app.post("/dead-letters/act", response_class=HTMLResponse)
    async def act(request: Request) -> Response:
        session = session_of(request)
        form = await form_of(request, session)
        action = _action(form)
        require(request, session, Role.OPERATOR, f"{action} dead letters")
        store = ctx_of(request).dead_letters
        selection = parse_selection(form)
        letters = await store.to_act_on(selection)
        expected = form.get("count", "")
        if expected != str(len(letters)):
            raise ConsoleError(
                f"the selection changed since you confirmed ({expected} then, {len(letters)} "
                "now): nothing done; confirm again"
            )
        count = await store.act(action, letters)
        return page(
            request,
            "done.html",
            session,
            message=f"{count} dead letter(s) {ACTIONS[action]}.",
            refs=[letter.ref for letter in letters],
        )

    @app.get("/trace", response_class=HTMLResponse)
    async def trace_page(request: Request) -> Response:
        session = session_of(request)
        subject = (request.query_params.get("subject") or "").strip()
        found = None
        if subject:
            if len(subject) > 200:
                raise ConsoleError("a document id or dossier code has at most 200 characters")
            ctx = ctx_of(request)
            logs = NodeLogs(
                ctx.node_name,
                await audit_entries(ctx.bootstrap, ctx.node_name, ctx.security),
                await logged_hops(ctx.bootstrap, ctx.node_name, subject, ctx.security),
                ctx.agency_name,
            )
            found = await trace(subject, session.token, ctx.node, ctx.dead_letters, logs)
        return page(request, "trace.html", session, subject=subject, found=found)

    @app.get("/dossiers", response_class=HTMLResponse)
    async def dossiers(request: Request) -> Response:
        session = session_of(request)
        ctx = ctx_of(request)
        code = (request.query_params.get("code") or "").strip()
        dossier = None
        if code:
            answer = await ctx.node.tracker(f"/dossiers/{quote(code, safe='')}")
            if not answer.ok:
                error = ConsoleError(
                    str(answer.body.get("message") or answer.body),
                    code=str(answer.body.get("code")),
                )
                error.status = answer.status if answer.status in (404, 422) else 502
                raise error
            dossier = answer.body
        figures = await ctx.node.tracker("/figures?group_by=agency")
        return page(
            request,
            "dossiers.html",
            session,
            code=code,
            dossier=dossier,
            figures=figures.body.get("groups", {}) if figures.ok else {},
            figures_error=None if figures.ok else figures.body,
        )


def _action(form: dict[str, str]) -> str:
    action = form.get("action", "")
    if action not in ACTIONS:
        raise ConsoleError(f"action {action!r} is not redrive or purge")
    return action
