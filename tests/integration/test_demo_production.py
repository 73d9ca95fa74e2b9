"""``lgsp demo --production`` runs the production topology briefly and prints its summary."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.timeout(900)
@pytest.mark.parametrize("brokers", [3, 1])
def test_lgsp_demo_production_runs_the_topology_and_prints_its_summary(brokers: int) -> None:
    """`lgsp demo --production` starts NGSP and Hà Nội on two 3-broker (or, with `--brokers 1`,
    1-broker) SASL_SSL clusters, each service its own process and principal, delivers
    everything it sent (exit 0), prints the processes, principals, counts and latency split, and
    leaves no service running."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("LGSP_BOOTSTRAP_SERVERS", None)
    command = ["demo", "--production", "--brokers", str(brokers), "--duration", "8", "--rate", "10"]
    result = subprocess.run(
        [sys.executable, "-m", "lgsp", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in ("gateway-ngsp", "gateway-hanoi", "tracker-hanoi", "hanoi-one-stop-shops",
                 "ngsp-portal-sink"):  # fmt: skip
        assert name in output, output
    assert "as lgsp-gateway-hanoi" in output and "lgsp-link-hanoi-to-ngsp" in output
    assert "into an inbox, no retry" in output and "at the portal (HTTP sink)" in output
    assert "look-ups answered" in output and "brokers' memory" in output
    assert f"MiB ({brokers} broker{'s' if brokers > 1 else ''})" in output, output
    left = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "demo-production/topology" not in left, "a service outlived the demo"
