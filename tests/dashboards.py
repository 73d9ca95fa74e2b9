"""The Grafana dashboards of deploy/grafana, read for tests."""

from __future__ import annotations

import json
from pathlib import Path

DASHBOARDS = Path(__file__).parent.parent / "deploy" / "grafana"


def dashboard_expressions() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel of every dashboard."""
    return [
        (panel["title"], target["expr"])
        for path in sorted(DASHBOARDS.glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
        for target in panel["targets"]
    ]
