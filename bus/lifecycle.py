"""One lifecycle style: a thing that runs is used as ``async with`` and stopped by ``aclose()``.

A subclass writes ``__aenter__`` (start what it needs, usually on an ``AsyncExitStack``, and
return itself) and ``aclose()``; ``__aexit__`` is written once, here.
"""

from __future__ import annotations

from types import TracebackType


class Closing:
    """Base of what is used as ``async with``: leaving the block awaits ``aclose()``."""

    async def aclose(self) -> None:
        """Stop and release everything ``__aenter__`` started, even after an error."""
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
