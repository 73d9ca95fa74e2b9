"""An HTTP session with the portal: log in, keep the ``session``, log in again when it expires,
and turn every answer into success or a delivery error the SDK understands."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

import httpx
import structlog

from connectors.dvcqg.hoso import PortalReply, ReplyCodes, ReplyKind, read_reply
from connectors.errors import PermanentDeliveryError, RetriableDeliveryError
from connectors.retry import check_status

log = structlog.get_logger("lgsp.connector.dvcqg")
_UNAUTHORISED: Any = object()  # an HTTP 401, told apart from every JSON body


class PortalSession:
    """Calls the portal's services with a session shared by every delivery of the sink; the
    first call, and any call after the portal says the session expired, logs in again (once
    for all the calls that noticed at the same time)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        login_url: str,
        service_url: str,
        credentials: Mapping[str, str],
        codes: ReplyCodes,
    ) -> None:
        self.client = client
        self.login_url, self.service_url = login_url, service_url
        self.credentials = dict(credentials)
        self.codes = codes
        self.session: str | None = None
        self.logins = 0
        self._login_lock = asyncio.Lock()

    async def call(
        self, service: str, fields: Mapping[str, Any], *, also_ok: Collection[str] = ()
    ) -> PortalReply:
        """Call ``service`` and return its successful reply (or one whose error_code is in
        ``also_ok``); raise RetriableDeliveryError (5xx, timeouts, retriable error codes, a
        session that expires twice in a row) or PermanentDeliveryError (a refusal, with the
        portal's code and message)."""
        for _ in range(2):
            session = await self._session()
            reply = await self._post(service, {"session": session, "service": service, **fields})
            if reply.kind is ReplyKind.SESSION_EXPIRED:
                log.info("dvcqg_session_expired", service=service, error_code=reply.error_code)
                self._expired(session)
                continue
            if reply.error_code in also_ok:
                return reply
            return self._judge(service, reply)
        raise RetriableDeliveryError(
            f"the portal refused a fresh session for {service} (error_code {reply.error_code}: "
            f"{reply.message})",
            code="LGSP-CONN-PORTAL-SESSION",
        )

    def _judge(self, service: str, reply: PortalReply) -> PortalReply:
        if reply.kind is ReplyKind.SUCCESS:
            return reply
        said = f"{service}: portal error_code {reply.error_code or '(none)'}: {reply.message}"
        if reply.kind is ReplyKind.RETRIABLE:
            raise RetriableDeliveryError(said, code="LGSP-CONN-PORTAL-UNAVAILABLE")
        raise PermanentDeliveryError(said, code="LGSP-CONN-PORTAL-REFUSED")

    def _expired(self, session: str) -> None:
        if self.session == session:
            self.session = None

    async def _session(self) -> str:
        if self.session is not None:
            return self.session
        async with self._login_lock:
            if self.session is None:  # another delivery may have logged in meanwhile
                self.session = await self._login()
            return self.session

    async def _login(self) -> str:
        reply = await self._post_json(self.login_url, self.credentials, what="login")
        answer = read_reply({"error_code": "401"} if reply is _UNAUTHORISED else reply, self.codes)
        session = answer.body.get("session")
        if answer.kind is not ReplyKind.SUCCESS or not isinstance(session, str) or not session:
            # wrong credentials are an operator's fix, not the record's fault: the records wait
            # in Kafka (retried) instead of being parked one by one
            raise RetriableDeliveryError(
                f"portal login refused (error_code {answer.error_code or '(none)'}: "
                f"{answer.message or 'no session in the reply'})",
                code="LGSP-CONN-PORTAL-LOGIN",
            )
        self.logins += 1
        log.info("dvcqg_logged_in", logins=self.logins)
        return session

    async def _post(self, service: str, body: Mapping[str, Any]) -> PortalReply:
        answer = await self._post_json(self.service_url, body, what=service)
        if answer is _UNAUTHORISED:
            return PortalReply(ReplyKind.SESSION_EXPIRED, "401", "HTTP 401", {})
        return read_reply(answer, self.codes)

    async def _post_json(self, url: str, body: Mapping[str, Any], *, what: str) -> Any:
        try:
            response = await self.client.post(url, json=body)
        except httpx.HTTPError as error:  # timeouts, refused connections, broken streams
            raise RetriableDeliveryError(
                f"{what}: {type(error).__name__} calling the portal: {error}",
                code="LGSP-CONN-PORTAL-UNAVAILABLE",
            ) from error
        if response.status_code == 401:  # a portal that says "log in again" in HTTP
            return _UNAUTHORISED
        check_status(response.status_code, response.text, response.headers.get("retry-after"))
        try:
            return response.json()
        except ValueError as error:
            raise RetriableDeliveryError(
                f"{what}: the portal answered {response.status_code} with no JSON",
                code="LGSP-CONN-PORTAL-UNAVAILABLE",
            ) from error
