"""The Prometheus alert rules: valid, unit-tested with promtool, each with a runbook, each on
a metric the gateway, the connectors or the tracker really export (or a rule records)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client import CollectorRegistry

from bus.requestreply import LookupMetrics
from connectors.metrics import ConnectorMetrics
from gateway.federation.metrics import FederationMetrics
from gateway.metrics import GatewayMetrics
from tests.dashboards import dashboard_expressions
from tracker.metrics import TrackerMetrics

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


def _rules() -> list[dict[str, object]]:
    """Every alerting and recording rule."""
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def _alerts() -> list[dict[str, object]]:
    return [rule for rule in _rules() if "alert" in rule]


def _recorded() -> set[str]:
    """Series the recording rules write (level:metric:operations)."""
    return {str(rule["record"]) for rule in _rules() if "record" in rule}


def _metric_names(expr: str) -> list[str]:
    """The lgsp_ metric names an expression reads, recorded series aside."""
    for name in _recorded():
        expr = expr.replace(name, "")
    return re.findall(r"\b(lgsp_[a-z_]+)", expr)


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
    ConnectorMetrics(registry, "dms")
    TrackerMetrics(registry)
    return {
        name
        for metric in registry.collect()
        for name in (metric.name, f"{metric.name}_total", f"{metric.name}_bucket")
    }


def test_every_metric_in_the_rules_is_exported_by_the_code() -> None:
    """No rule watches a metric name the code does not produce, and every recorded series an
    alert reads is written by a recording rule."""
    exported = _exported()
    for rule in _rules():
        name_of = rule.get("alert", rule.get("record"))
        for name in _metric_names(str(rule["expr"])):
            assert name in exported, f"{name_of} uses {name}, which no process exports"
        for recorded in re.findall(r"\b([a-z_]+:[a-z_]+:[a-z_0-9]+)", str(rule["expr"])):
            assert recorded in _recorded(), f"{name_of} reads {recorded}, which no rule records"


def test_the_metric_check_catches_an_unknown_name() -> None:
    """The name check above sees a misspelt metric, and does not mistake a recorded series for
    one."""
    assert "lgsp_connector_delivery_secs_bucket" not in _exported()
    recorded = "node_agency_connector:lgsp_connector_deliveries_late:ratio_rate30m"
    assert recorded in _recorded()
    assert _metric_names(f"{recorded} > 0.05 and lgsp_connector_delivery_secs_bucket") == [
        "lgsp_connector_delivery_secs_bucket"
    ]


def test_every_dashboard_panel_reads_metrics_the_code_exports() -> None:
    """Dashboards name no metric the code does not produce (their PromQL is evaluated by a
    real Prometheus in tests/integration/test_prometheus_scrape.py)."""
    exported = _exported()
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    for title, expr in expressions:
        for name in re.findall(r"\b(lgsp_[a-z_]+)", expr):
            assert name in exported, f"panel {title!r} uses {name}, which no process exports"
