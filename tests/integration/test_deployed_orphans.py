"""A service the topology launcher started does not outlive a launcher killed with SIGKILL
(``lgsp.deployed.services.dies_with_parent``): it gets SIGTERM and stops, as it would under
systemd, instead of running on against clusters nobody will stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lgsp.deployed.services import dies_with_parent

# The launcher: starts a long-running child the way ServiceProcess does, prints its pid, waits.
_LAUNCHER = """
import subprocess, sys, time
from lgsp.deployed.services import dies_with_parent
child = subprocess.Popen(dies_with_parent(sys.executable, "-c", "import time; time.sleep(120)"),
                         start_new_session=True)
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("ascii")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_service_ends_when_its_launcher_is_killed() -> None:
    launcher = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert launcher.stdout is not None
        child = int(launcher.stdout.readline())
        time.sleep(0.5)
        assert _alive(child), "the service did not start"
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait()
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the service outlived its killed launcher"
    finally:
        launcher.kill()
        launcher.wait()
        if "child" in locals() and _alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_command_is_the_service_s_own_when_setpriv_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert dies_with_parent("python", "-m", "lgsp") == ("python", "-m", "lgsp")
