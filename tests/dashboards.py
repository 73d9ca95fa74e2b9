"""The Grafana dashboards of deploy/grafana, read for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).parent.parent / "deploy" / "grafana"


def dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard file's JSON, by file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def dashboard_expressions() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel of every dashboard."""
    return [
        (panel["title"], target["expr"])
        for dashboard in dashboards().values()
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


def as_prometheus_query(expr: str) -> str:
    """A panel's PromQL with Grafana's variables replaced as "All" selects them."""
    return expr.replace("$node", ".*")
