"""One service of the topology as its own OS process (``lgsp gateway|tracker|connector run``),
started with its principal's env file as its environment, killed, stopped and restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import structlog

from schemas.errors import LgspError

log = structlog.get_logger("lgsp.deployed")
_READY_POLL_S = 0.25
_STOP_WAIT_S = 30.0
# Settings a service must take from its own env file only, never from the launcher's shell.
_OWN = ("LGSP_BOOTSTRAP_SERVERS", "LGSP_KAFKA_", "LGSP_ADMIN_TOKENS")


class ServiceError(LgspError):
    """A service process did not become ready, or exited while it should run."""

    code = "LGSP-DEPLOYED-SERVICE"
    retriable = False


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines as systemd's EnvironmentFile= reads them (comments, blanks skipped)."""
    found: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


@dataclass(frozen=True)
class ServiceSpec:
    """What starts one service: its ``lgsp`` arguments, environment files and readiness URL."""

    name: str
    principal: str
    args: tuple[str, ...]
    env_files: tuple[Path, ...]
    ready_url: str
    log_file: Path
    extra_env: tuple[tuple[str, str], ...] = ()

    def environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(_OWN)}
        for path in self.env_files:
            base |= read_env_file(path)
        return base | dict(self.extra_env)


@dataclass
class ServiceProcess:
    """A running (or stopped) service; ``starts`` counts its starts."""

    spec: ServiceSpec
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    started_at: list[float] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        running = self.process is not None and self.process.returncode is None
        return self.process.pid if running and self.process else None

    async def start(self, ready_timeout_s: float = 120.0) -> None:
        """Start the process and return once its ``/readyz`` answers 200."""
        if self.pid is not None:
            return
        self.spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.spec.log_file.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *dies_with_parent(sys.executable, "-m", "lgsp", *self.spec.args),
                stdout=out, stderr=out, env=self.spec.environment(), start_new_session=True,
            )  # fmt: skip
        self.starts += 1
        self.started_at.append(time.monotonic())
        log.info("service_started", service=self.spec.name, pid=self.process.pid)
        await self.wait_ready(ready_timeout_s)

    async def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if self.pid is None:
                    raise ServiceError(
                        f"{self.spec.name} exited before it was ready: see {self.spec.log_file}"
                    )
                try:
                    if (await client.get(self.spec.ready_url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"{self.spec.name} not ready within {timeout_s:g} s at "
                        f"{self.spec.ready_url}: see {self.spec.log_file}"
                    )
                await asyncio.sleep(_READY_POLL_S)

    async def kill(self) -> None:
        """SIGKILL the process (and anything it started), as a crash or the OOM killer would."""
        await self._signal(signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM (as systemd stops a unit), SIGKILL after the wait."""
        await self._signal(signal.SIGTERM)

    async def restart(self, ready_timeout_s: float = 300.0) -> None:
        """Start it again; a gateway restarted after SIGKILL waits for the group to drop the
        killed member (its session timeout) and restores its partitions' state first."""
        await self.start(ready_timeout_s)

    async def _signal(self, sig: signal.Signals) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        log.info("service_signalled", service=self.spec.name, signal=sig.name, pid=process.pid)
        _kill_group(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), _STOP_WAIT_S)
        except TimeoutError:
            _kill_group(process.pid, signal.SIGKILL)
            await process.wait()


def dies_with_parent(*argv: str) -> tuple[str, ...]:
    """``argv`` run so that it gets SIGTERM when the launcher dies, even by SIGKILL, instead of
    running on as an orphan (util-linux ``setpriv --pdeathsig``; as is where it is missing)."""
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "TERM", *argv) if setpriv else argv


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pid, sig)
