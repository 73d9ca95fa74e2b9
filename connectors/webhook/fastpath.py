"""The webhook's hot path without FastAPI: a plain ASGI callable in front of the FastAPI app
answers ``POST /events/{subject}`` itself (no middleware stack, routing table, dependency
solving or response classes: about a third of a request's CPU), through the same
``SingleRecordIntake`` as the FastAPI route, which stays declared for the OpenAPI document.
Everything else (bulk, health, the documents, other methods, paths Starlette would redirect
or refuse) goes on to FastAPI unchanged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.webhook.handling import Answer, SingleRecordIntake, read_limited

_PREFIX = "/events/"
_JSON = (b"content-type", b"application/json")


class _ClientGone(Exception):  # noqa: N818 (the caller left: nobody to answer)
    """The client disconnected before its body arrived."""


def published_subject(path: str) -> str | None:
    """The subject of a ``/events/{subject}`` path as Starlette matches it (``path`` is
    already URL-decoded: ``%2E`` is a dot, ``%2F`` a slash that makes it another path), or
    None for any other path (``/events/x/`` is Starlette's to redirect, ``/events/x/bulk``
    another route)."""
    if path.startswith(_PREFIX):
        subject = path[len(_PREFIX) :]
        if subject and "/" not in subject:
            return subject
    return None


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        body: bytes = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


class FastPath:
    """ASGI: ``POST /events/{subject}`` answered by ``intake``, anything else by ``app``."""

    def __init__(self, app: ASGIApp, intake: SingleRecordIntake) -> None:
        self.app = app
        self.intake = intake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            subject = published_subject(scope["path"])
            if subject is not None:
                await self._publish(scope, receive, send, subject)
                return
        await self.app(scope, receive, send)

    async def _publish(self, scope: Scope, receive: Receive, send: Send, subject: str) -> None:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # names come lower-cased; the first one counts
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))

        async def read(limit: int) -> bytes:
            return await read_limited(headers.get("content-length"), _chunks(receive), limit)

        try:
            answer = await self.intake.answer(headers, subject, read)
        except _ClientGone:
            return
        await _send(send, answer)


async def _send(send: Send, answer: Answer) -> None:
    """The answer as Starlette's JSONResponse would send it (same bytes, same headers)."""
    body = json.dumps(
        answer.body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (answer.headers or {}).items()
    ]
    headers += [(b"content-length", str(len(body)).encode("latin-1")), _JSON]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
