"""Console sessions: a login with an admin token gives a session id (an HttpOnly,
SameSite=Strict cookie) and a CSRF token that every form sends back.

Sessions live in the console's memory only (a restart logs everyone out). The token a user
logged in with is kept server-side so the gateway's admin API checks the same token and role
itself; it never goes back to the browser.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bus.adminauth import AdminToken, Role, find_token

COOKIE = "lgsp_console"


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    csrf: str
    expires_at: float
    token_name: str | None = None  # None: not logged in (the login form's own session)
    role: Role | None = None
    token: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.role is not None

    def may(self, needed: Role) -> bool:
        return self.role is not None and self.role.allows(needed)

    def csrf_ok(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(self.csrf, sent)


class SessionStore:
    def __init__(self, tokens: Sequence[AdminToken], minutes: int) -> None:
        self.tokens = tuple(tokens)
        self.lifetime_s = minutes * 60.0
        self._sessions: dict[str, Session] = {}

    def _new(self, **fields: object) -> Session:
        self._expire()
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            time.time() + self.lifetime_s,
        )
        session = replace(session, **fields)  # type: ignore[arg-type]
        self._sessions[session.session_id] = session
        return session

    def anonymous(self) -> Session:
        """A session for the login form: it carries the form's CSRF token."""
        return self._new()

    def get(self, session_id: str | None) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is None or session.expires_at < time.time():
            return None
        return session

    def log_in(self, previous: Session, token: str) -> Session | None:
        """A new session (new id: no fixation) for a valid token, or None."""
        holder = find_token(self.tokens, token)
        if holder is None:
            return None
        self._sessions.pop(previous.session_id, None)
        return self._new(token_name=holder.name, role=holder.role, token=token)

    def log_out(self, session: Session) -> None:
        self._sessions.pop(session.session_id, None)

    def _expire(self) -> None:
        now = time.time()
        for key in [k for k, s in self._sessions.items() if s.expires_at < now]:
            del self._sessions[key]
