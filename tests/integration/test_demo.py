"""The README's main job runs end to end against a real broker."""

from __future__ import annotations

import os
import subprocess
import sys


def test_lgsp_demo_round_trips_every_event_kind(kafka_bootstrap: str) -> None:
    """`lgsp demo` publishes one event of each schema and reads all back verified (exit 0)."""
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": kafka_bootstrap, "COLUMNS": "160"}
    result = subprocess.run(
        [sys.executable, "-m", "lgsp", "demo"], env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10/10 events published, consumed, envelope-checked and decoded equal" in result.stdout
    assert "vn.gov.dossier.status.v1" in result.stdout
