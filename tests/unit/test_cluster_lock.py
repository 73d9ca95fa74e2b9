"""The lock that serialises a local cluster's starts and stops (``bus.localkafka.cluster``)
never blocks the event loop: a stop waiting in the process whose start holds the lock lets
that start go on and finish, then runs; a cancelled wait leaves the lock free."""

from __future__ import annotations

import asyncio
import fcntl
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bus.localkafka.cluster import stop_cluster
from bus.localkafka.layout import ClusterPaths
from bus.localkafka.lock import exclusive
from bus.settings import Settings


def _run_bounded(scenario: Coroutine[Any, Any, None], timeout_s: float = 20.0) -> None:
    """Run ``scenario`` (a coroutine) in a thread of its own; a frozen event loop fails the
    test after ``timeout_s`` instead of hanging the run."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario)
        except BaseException as error:  # reported to the test below
            failure.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), "the event loop froze waiting for the cluster's lock"
    if failure:
        raise failure[0]


def test_a_stop_waiting_for_the_lock_in_the_same_process_lets_the_holder_finish(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    paths = ClusterPaths.of(settings.home, "locked")
    paths.root.mkdir(parents=True)
    order: list[str] = []

    async def scenario() -> None:
        release = asyncio.Event()

        async def holder() -> None:  # a start that holds the lock while brokers come up
            async with exclusive(paths):
                order.append("held")
                await release.wait()
                order.append("released")

        task = asyncio.create_task(holder())
        await asyncio.sleep(0.2)
        asyncio.get_running_loop().call_later(0.5, release.set)  # needs the loop to run
        await asyncio.wait_for(stop_cluster(settings, "locked"), 10)
        order.append("stopped")
        await task

    _run_bounded(scenario())
    assert order == ["held", "released", "stopped"]


def test_a_cancelled_wait_leaves_the_lock_free(tmp_path: Path) -> None:
    paths = ClusterPaths.of(tmp_path, "cancelled")
    paths.root.mkdir(parents=True)

    async def scenario() -> None:
        async def wait_for_lock() -> None:
            async with exclusive(paths):
                raise AssertionError("the lock was held: this wait cannot have it")

        async with exclusive(paths):
            waiting = asyncio.create_task(wait_for_lock())
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the wait did not wait for the held lock"
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
            assert waiting.cancelled()
        # free again: another process takes it at once (a lock left held would refuse it)
        with paths.lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)

    _run_bounded(scenario())
