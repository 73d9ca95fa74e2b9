"""The console over HTTP as a user's browser would use it: log in with a token through the
login form (its CSRF token), then keep the session cookie."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx


def csrf_of(html: str) -> str:
    """The CSRF token of the page's (first) form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@contextlib.asynccontextmanager
async def logged_in(base: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the console at ``base``, logged in with ``token``."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        form = await client.get("/login")
        done = await client.post("/login", data={"csrf": csrf_of(form.text), "token": token})
        assert done.status_code == 303, done.text
        yield client
