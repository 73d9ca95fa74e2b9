"""The Prometheus alert rules: valid, unit-tested with promtool, each with a runbook, each on
a metric the gateway really exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from bus.requestreply import LookupMetrics
from gateway.federation.metrics import FederationMetrics
from gateway.metrics import GatewayMetrics
from tests.dashboards import dashboard_expressions

PROMETHEUS = Path(__file__).parent.parent.parent / "deploy" / "prometheus"
RULES = sorted(PROMETHEUS.glob("lgsp-*-rules.yml"))
OPERATIONS = Path(__file__).parent.parent.parent / "docs" / "operations.md"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package prometheus); .ci/run installs it"
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, cwd=PROMETHEUS, timeout=120
    )


def test_the_rules_are_valid() -> None:
    """`promtool check rules` accepts every rules file."""
    assert len(RULES) >= 2
    result = _promtool("check", "rules", *(r.name for r in RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_fire_when_they_should_and_not_before() -> None:
    """`promtool test rules` passes every firing and quiet case of every rule test file, and
    every rules file has one."""
    tests = sorted((PROMETHEUS / "tests").glob("*-rules-test.yml"))
    assert len(tests) == len(RULES)
    result = _promtool("test", "rules", *(f"tests/{t.name}" for t in tests))
    assert result.returncode == 0, result.stdout + result.stderr


def _alerts() -> list[dict[str, object]]:
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def test_every_alert_has_a_runbook_section() -> None:
    """Each alert's runbook_url names a section of docs/operations.md."""
    headings = {
        line.lstrip("#").strip().lower()
        for line in OPERATIONS.read_text().splitlines()
        if line.startswith("### ")
    }
    for alert in _alerts():
        anchor = str(alert["annotations"]["runbook_url"]).split("#")[1]  # type: ignore[index]
        assert anchor in headings, f"{alert['alert']}: no '### {anchor}' in docs/operations.md"


def _exported() -> set[str]:
    registry = CollectorRegistry()
    GatewayMetrics(registry, "hanoi")
    FederationMetrics(registry, "hanoi")
    LookupMetrics(registry)
    return {
        name
        for metric in registry.collect()
        for name in (metric.name, f"{metric.name}_total", f"{metric.name}_bucket")
    }


def test_every_metric_in_the_rules_is_exported_by_the_gateway() -> None:
    """No rule watches a metric name the code does not produce."""
    exported = _exported()
    for alert in _alerts():
        for name in re.findall(r"\b(lgsp_[a-z_]+)", str(alert["expr"])):
            assert name in exported, f"{alert['alert']} uses {name}, which no gateway exports"


def test_every_dashboard_panel_reads_metrics_the_gateway_exports() -> None:
    """Dashboards name no metric the code does not produce (their PromQL is evaluated by a
    real Prometheus in tests/integration/test_prometheus_scrape.py)."""
    exported = _exported()
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    for title, expr in expressions:
        for name in re.findall(r"\b(lgsp_[a-z_]+)", expr):
            assert name in exported, f"panel {title!r} uses {name}, which no gateway exports"
