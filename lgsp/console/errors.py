"""Errors the console shows on a page (never a 500): bad form input, unknown ids, refusals."""

from __future__ import annotations

from schemas.errors import LgspError


class ConsoleError(LgspError):
    """Something a console user asked that cannot be done; ``status`` is the page's HTTP code."""

    code = "LGSP-CONSOLE-INPUT"
    status = 422


class ConsoleNotFoundError(ConsoleError):
    code = "LGSP-CONSOLE-NOT-FOUND"
    status = 404


class ConsoleCsrfError(ConsoleError):
    code = "LGSP-CONSOLE-CSRF"
    status = 403


class ConsoleConflictError(ConsoleError):
    code = "LGSP-CONSOLE-CONFLICT"
    status = 409
