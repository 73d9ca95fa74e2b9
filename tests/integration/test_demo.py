"""The README's main job runs end to end against a real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def test_lgsp_demo_runs_the_contract_tour_and_a_national_exchange(kafka_bootstrap: str) -> None:
    """`lgsp demo` round-trips every event kind, then runs NGSP, Hà Nội and Đà Nẵng linked by
    federation under live traffic: no duplicate, every dossier at the national portal in order,
    every bad record parked, every look-up answered across the links (exit 0)."""
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": kafka_bootstrap, "COLUMNS": "160"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lgsp",
            "demo",
            "--duration",
            "5",
            "--rate",
            "100",
            "--admin-port",
            "0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "10/10 events published, consumed, envelope-checked and decoded equal" in output
    assert "duplicates 0" in output
    assert "reached the national portal with every status in order" in output
    assert "LGSP-GW-NO-ROUTE" in output and "LGSP-ENVELOPE-MISSING" in output
    assert "ngsp -> hanoi" in output and "danang -> ngsp" in output
    assert "answered by the national population database" in output
    flat = " ".join(output.split())  # rich wraps long lines at the terminal's width
    assert "DongBoHoSoMC syncs through its dvcqg-sink connector" in flat and "x 202" in output
    assert ", 0 duplicated," in flat
    assert "fees paid through NGSP's national payment platform" in flat
    assert "reported back: 1 (MaLoi 05)" in flat
    assert "tracker: " in output and "on-time rate" in output
    assert "admin API token of this run (operator): " in output


def test_ctrl_c_during_live_traffic_stops_the_demo_cleanly(kafka_bootstrap: str) -> None:
    """Ctrl-C (SIGINT to the demo's process group, as a terminal sends it) while the agencies
    publish: the demo says it stops, stops every part within a bounded time, prints no
    traceback and exits 130."""
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": kafka_bootstrap, "COLUMNS": "160"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "lgsp", "demo", "--duration", "60", "--admin-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert demo.stdout is not None
    seen = []
    for line in demo.stdout:  # the connectors start last, just before the traffic
        seen.append(line)
        if line.startswith("connectors:"):
            break
    time.sleep(5)
    began = time.monotonic()
    os.killpg(demo.pid, signal.SIGINT)
    rest, _ = demo.communicate(timeout=120)
    stopped_in = time.monotonic() - began
    output = "".join(seen) + rest
    assert demo.returncode == 130, output
    assert "stopping: connectors, gateways" in output and "stopped cleanly in" in output
    assert "Traceback" not in output
    assert stopped_in < 60, output
