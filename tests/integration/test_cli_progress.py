"""Long commands show progress on stderr and keep stdout for data: `tracker replay` on the
real broker publishes with a progress bar, and says what it published."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from lgsp.cli import app


def test_tracker_replay_publishes_with_progress_on_stderr(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tracker replay --yes` publishes a small quarter: exit 0, the bar and the summary on
    stderr (records counted to the end), nothing on stdout."""
    monkeypatch.setenv("LGSP_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("COLUMNS", "120")
    node = f"replay-{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(
        app,
        ["tracker", "replay", "--node", node, "--dossiers", "30", "--documents", "5", "--yes"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"publishing to {node}" in result.stderr
    summary = [line for line in result.stderr.splitlines() if line.startswith("published")]
    assert summary and "of 30 dossiers" in summary[0]
    published = int(summary[0].split()[1])
    assert f"{published}/{published}" in result.stderr
