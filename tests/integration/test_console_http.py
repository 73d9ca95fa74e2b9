"""The console over plain HTTP against a real gateway on loopback: the session cookie's
protections, login refusals, CSRF and role checks on actions, and bad input answered with a
page and a code (never a 500) on a node without federation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.httpserver import bound_port, http_server
from gateway.ops.admin import admin_app
from lgsp.console.config import ConsoleConfig, ListenConfig, ProcessKind, ProcessSpec
from lgsp.console.server import running_console
from tests.consoleharness import csrf_of, logged_in
from tests.gatewayharness import (
    DOSSIER,
    PORTAL_ROUTES,
    PrivateNode,
    make_event,
    publish,
    read_all,
    running_gateway,
)

VIEWER = "http-viewer-token-0123456789"
OPERATOR = "http-operator-token-0123456789"
TOKENS = [
    AdminToken(name="an-viewer", role=Role.VIEWER, token_sha256=hash_admin_token(VIEWER)),
    AdminToken(name="binh-ops", role=Role.OPERATOR, token_sha256=hash_admin_token(OPERATOR)),
]


@dataclass
class Console:
    url: str
    node: PrivateNode


@pytest.fixture
async def console(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[Console]:
    """A private node's gateway, its admin API and its console, all on loopback."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(PORTAL_ROUTES)
    async with (
        running_gateway(config) as gateway,
        http_server(admin_app(gateway, tokens=TOKENS), "127.0.0.1", 0) as admin,
    ):
        console_config = ConsoleConfig(
            gateway_config=config,
            listen=ListenConfig(port=0),
            poll_s=1.0,
            processes=[
                ProcessSpec(
                    name="gateway",
                    kind=ProcessKind.GATEWAY,
                    url=f"http://127.0.0.1:{bound_port(admin)}",
                ),
                ProcessSpec(name="gone", kind=ProcessKind.CONNECTOR, url="http://127.0.0.1:9"),
            ],
        )
        async with running_console(console_config, TOKENS) as (_, server):
            yield Console(f"http://127.0.0.1:{bound_port(server)}", node)


async def test_session_cookie_login_andcsrf_of(console: Console) -> None:
    """The cookie is HttpOnly and SameSite=Strict; pages need a login; a wrong token or a
    login without the form's CSRF token is refused; a logged-in form without CSRF is 403."""
    async with httpx.AsyncClient(base_url=console.url, timeout=30) as anonymous:
        assert (await anonymous.get("/dead-letters")).headers["location"] == "/login"
        login = await anonymous.get("/login")
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        no_csrf = await anonymous.post("/login", data={"token": OPERATOR})
        assert no_csrf.status_code == 403 and "LGSP-CONSOLE-CSRF" in no_csrf.text
        wrong = await anonymous.post("/login", data={"csrf": csrf_of(login.text), "token": "x"})
        assert wrong.status_code == 401 and "That token is not one of this" in wrong.text
    async with logged_in(console.url, OPERATOR) as operator:
        overview = await operator.get("/")
        assert overview.status_code == 200 and "binh-ops · operator" in overview.text
        forged = await operator.post(
            "/dead-letters/confirm", data={"action": "purge", "csrf": "forged"}
        )
        assert forged.status_code == 403 and "LGSP-CONSOLE-CSRF" in forged.text
        missing = await operator.post("/routes/reload")
        assert missing.status_code == 403 and "LGSP-CONSOLE-CSRF" in missing.text


async def test_viewer_actions_and_bad_input_get_pages_with_codes(console: Console) -> None:
    """A viewer's reload is 403 LGSP-ADMIN-FORBIDDEN; unknown refs, bad times, unknown event
    types and actions, a node without links and a process that does not answer all give a page
    with a code, never a 500."""
    async with logged_in(console.url, VIEWER) as viewer:
        page = await viewer.get("/routes")
        assert page.status_code == 200 and "dossiers-to-portal" in page.text
        csrf = csrf_of(page.text)
        reload = await viewer.post("/routes/reload", data={"csrf": csrf})
        assert reload.status_code == 403 and "LGSP-ADMIN-FORBIDDEN" in reload.text
        answers = {
            "unknown ref": await viewer.get("/dead-letters/lgsp.x.dlq:0:1"),
            "bad time": await viewer.get("/dead-letters", params={"until": "noon"}),
            "bad agency": await viewer.get("/dead-letters", params={"agency": "H24"}),
            "unknown page": await viewer.get("/nothing-here"),
            "no tracker": await viewer.get("/dossiers", params={"code": "H24.1"}),
            "long subject": await viewer.get("/trace", params={"subject": "x" * 300}),
            "bad event type": await viewer.post(
                "/routes/where", data={"csrf": csrf, "event_type": "vn.gov.x.v1", "sender": "1"}
            ),
            "bad action": await viewer.post(
                "/dead-letters/confirm", data={"csrf": csrf, "action": "delete"}
            ),
            "bad link action": await viewer.post("/links/ngsp/explode", data={"csrf": csrf}),
        }
        codes = {name: (a.status_code, a.text) for name, a in answers.items()}
        assert all(400 <= status < 500 for status, _ in codes.values()), codes
        assert all('id="error"' in text for _, text in codes.values())
        assert "LGSP-CONSOLE-NOT-FOUND" in codes["unknown ref"][1]
        assert "is not a time like" in codes["bad time"][1]
        assert "LGSP-CONSOLE-NO-TRACKER" in codes["no tracker"][1]
        links = await viewer.get("/links")
        assert links.status_code == 200 and "no federation section" in links.text
        where = await viewer.post(
            "/routes/where",
            data={
                "csrf": csrf,
                "event_type": "vn.gov.dossier.status.v1",
                "sender": "000.01.02.H24",
                "recipients": "",
            },
        )
        assert where.status_code == 200 and "dossiers-to-portal" in where.text
        overview = await viewer.get("/overview/live")
        assert overview.status_code == 200 and "gone" in overview.text


async def test_purge_confirms_the_count_and_refuses_a_changed_selection(
    console: Console, kafka_bootstrap: str
) -> None:
    """An operator's purge of the filtered dead letters first shows how many it touches; the
    act with that count purges them; the same act again finds the selection changed (0 now)
    and does nothing."""
    dossier = make_event("dossier.status", source="000.01.02.H24")
    await publish(kafka_bootstrap, console.node.topic(DOSSIER), [dossier])
    await read_all(kafka_bootstrap, [console.node.topic(DOSSIER) + ".dlq"], 1, timeout_s=60)
    async with logged_in(console.url, OPERATOR) as operator:
        listed = await operator.get("/dead-letters", params={"event_type": DOSSIER})
        assert "1 dead letter(s)." in listed.text
        csrf = csrf_of(listed.text)
        selection = {"csrf": csrf, "event_type": DOSSIER, "ce_id": dossier[0].id}
        confirm = await operator.post(
            "/dead-letters/confirm", data={**selection, "action": "purge"}
        )
        assert confirm.status_code == 200 and "<b>1</b> dead letter(s)" in confirm.text
        done = await operator.post(
            "/dead-letters/act", data={**selection, "action": "purge", "count": "1"}
        )
        assert done.status_code == 200 and "1 dead letter(s) purged." in done.text
        again = await operator.post(
            "/dead-letters/act", data={**selection, "action": "purge", "count": "1"}
        )
        assert again.status_code == 422 and "the selection changed" in again.text
        everything = await operator.get("/dead-letters", params={"all": "on"})
        assert "purged" in everything.text
