"""The long-running processes' event loop: asyncio's, or uvloop when turned on."""

from __future__ import annotations

import asyncio

import pytest

from bus.eventloop import run_service
from bus.settings import Settings


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_a_service_runs_on_uvloop_when_asked() -> None:
    """use_uvloop=True runs the coroutine on uvloop's loop and returns its result."""
    assert run_service(_loop_module(), use_uvloop=True).startswith("uvloop")


def test_a_service_runs_on_asyncio_when_uvloop_is_turned_off() -> None:
    """use_uvloop=False runs it on asyncio's own loop."""
    assert run_service(_loop_module(), use_uvloop=False).startswith("asyncio")


def test_lgsp_uvloop_true_turns_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting defaults to off (no gain measured) and LGSP_UVLOOP=true turns it on."""
    monkeypatch.delenv("LGSP_UVLOOP", raising=False)
    assert Settings().uvloop is False
    monkeypatch.setenv("LGSP_UVLOOP", "true")
    assert Settings().uvloop is True
