"""Who may call a process's admin API: bearer tokens with a role, kept as SHA-256 hashes.

A process's tokens come from its settings (``LGSP_ADMIN_TOKENS``, a JSON list of
``{"name", "role", "token_sha256"}``); only the hash is ever stored, the way the webhook keeps
its API keys (``lgsp security token-hash`` prints one). Roles are ordered: an ``operator`` may
do everything a ``viewer`` may. Reading (routes, links, receipts) needs a viewer; changing
anything (reload, pause, resume, redrive, purge) an operator. ``/healthz``, ``/readyz`` and
``/metrics`` are never guarded: the kubelet and Prometheus call them without a token.

Every decision is one structlog line ``admin_auth`` with the token's *name*, never the token.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.errors import LgspError

log = structlog.get_logger("lgsp.admin")

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class Role(enum.StrEnum):
    """What a token may do; later members may do everything earlier ones may."""

    VIEWER = "viewer"
    OPERATOR = "operator"

    def allows(self, needed: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(needed)


class AdminToken(BaseModel):
    """One admin token as configured: a name for the audit log, a role, the token's hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, description="Who holds it, for the logs.")
    role: Role
    token_sha256: str = Field(description="SHA-256 of the token (`lgsp security token-hash`).")

    @field_validator("token_sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        value = value.strip().lower()
        if not _SHA256_HEX.match(value):
            raise ValueError("token_sha256 must be 64 hex digits (lgsp security token-hash)")
        return value


def hash_admin_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is configured."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AuthOutcome(enum.StrEnum):
    ALLOWED = "allowed"
    MISSING = "missing"  # no bearer token in the request
    UNKNOWN = "unknown"  # a token none of the configured hashes matches
    FORBIDDEN = "forbidden"  # a known token whose role is too low


@dataclass(frozen=True, slots=True)
class AuthDecision:
    outcome: AuthOutcome
    token_name: str | None = None
    role: Role | None = None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def find_token(tokens: Sequence[AdminToken], token: str) -> AdminToken | None:
    """The configured token whose hash is the token's (compared in constant time)."""
    digest = hash_admin_token(token)
    found = None
    for candidate in tokens:  # no early exit: the time does not say which entry matched
        if hmac.compare_digest(candidate.token_sha256, digest):
            found = candidate
    return found


def authorize(tokens: Sequence[AdminToken], token: str | None, needed: Role) -> AuthDecision:
    """Whether a request carrying ``token`` may do what needs ``needed``."""
    if token is None:
        return AuthDecision(AuthOutcome.MISSING)
    holder = find_token(tokens, token)
    if holder is None:
        return AuthDecision(AuthOutcome.UNKNOWN)
    if not holder.role.allows(needed):
        return AuthDecision(AuthOutcome.FORBIDDEN, holder.name, holder.role)
    return AuthDecision(AuthOutcome.ALLOWED, holder.name, holder.role)


class AdminAuthError(LgspError):
    """A request to an admin endpoint without a valid token (401) or with too low a role (403)."""

    code = "LGSP-ADMIN-UNAUTHENTICATED"
    status = 401


class AdminForbiddenError(AdminAuthError):
    code = "LGSP-ADMIN-FORBIDDEN"
    status = 403


def refusal(decision: AuthDecision, needed: Role, configured: bool) -> AdminAuthError | None:
    """The error to answer with, or None when the request may go on."""
    if decision.outcome is AuthOutcome.ALLOWED:
        return None
    if decision.outcome is AuthOutcome.FORBIDDEN:
        return AdminForbiddenError(
            f"token {decision.token_name!r} has role {decision.role}; this needs {needed}"
        )
    if not configured:
        return AdminAuthError("this process has no admin tokens: set LGSP_ADMIN_TOKENS")
    if decision.outcome is AuthOutcome.MISSING:
        return AdminAuthError("send 'Authorization: Bearer <token>' (a viewer or operator token)")
    return AdminAuthError("the bearer token is not one of this process's admin tokens")


class AdminGuard:
    """FastAPI dependencies that let a request through only with a token of enough role."""

    def __init__(self, tokens: Sequence[AdminToken], process: str) -> None:
        self.tokens = tuple(tokens)
        self.process = process

    def check(self, request: Request, needed: Role) -> AuthDecision:
        """Decide, audit, and raise ``AdminAuthError`` when refused."""
        decision = authorize(
            self.tokens, bearer_token(request.headers.get("authorization")), needed
        )
        error = refusal(decision, needed, bool(self.tokens))
        emit = log.info if error is None else log.warning
        emit(
            "admin_auth",
            process=self.process,
            method=request.method,
            path=request.url.path,
            client=request.client.host if request.client else None,
            needed=str(needed),
            outcome=str(decision.outcome),
            token_name=decision.token_name,
            code=None if error is None else error.code,
        )
        if error is not None:
            raise error
        return decision

    def require(self, needed: Role) -> Callable[[Request], Awaitable[AuthDecision]]:
        """A dependency for ``Depends(...)`` of a route that needs ``needed``."""

        async def dependency(request: Request) -> AuthDecision:
            return self.check(request, needed)

        return dependency

    @property
    def viewer(self) -> Callable[[Request], Awaitable[AuthDecision]]:
        return self.require(Role.VIEWER)

    @property
    def operator(self) -> Callable[[Request], Awaitable[AuthDecision]]:
        return self.require(Role.OPERATOR)

    def install(self, app: FastAPI) -> None:
        """Answer refused requests with 401/403 and ``{"code", "error"}``."""

        @app.exception_handler(AdminAuthError)
        async def _refused(request: Request, error: AdminAuthError) -> JSONResponse:
            headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
            return JSONResponse(
                {"code": error.code, "error": error.message},
                status_code=error.status,
                headers=headers,
            )
