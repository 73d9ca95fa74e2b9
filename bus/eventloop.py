"""The event loop a long-running process runs on: asyncio's own, or uvloop when turned on
(``LGSP_UVLOOP=true``) and installed. Measured without a clear gain for the gateway, the
webhook or the HTTP sink on a 2-core machine, so off by default (docs/performance.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("lgsp.eventloop")


def run_service(main: Coroutine[Any, Any, T], *, use_uvloop: bool) -> T:
    """Run ``main`` to completion on the chosen loop, like ``asyncio.run``."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:  # an optional speed-up: say so once and carry on
            log.warning("uvloop_missing", fallback="asyncio")
        else:
            return uvloop.run(main)
    return asyncio.run(main)
