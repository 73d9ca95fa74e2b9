"""The README's main job runs end to end against a real broker."""

from __future__ import annotations

import os
import subprocess
import sys


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
    assert "through its HTTP sink connector" in output and "x 202" in output
    assert "tracker: " in output and "on-time rate" in output
