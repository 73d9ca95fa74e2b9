"""Every Grafana dashboard of deploy/grafana: its PromQL parses (promtool), its variables are
defined, and the national view covers what national operators watch per node."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.dashboards import as_prometheus_query, dashboard_expressions, dashboards


def test_both_dashboards_are_there_with_unique_ids() -> None:
    """A node dashboard and the national view, each with a unique uid and unique panel ids."""
    found = dashboards()
    assert {"lgsp-node-gateway.json", "lgsp-national.json"} <= set(found)
    assert len({d["uid"] for d in found.values()}) == len(found)
    for name, dashboard in found.items():
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), name


def test_every_panel_expression_parses(tmp_path: Path) -> None:
    """`promtool check rules` parses each panel's PromQL as a recording rule (the real
    Prometheus also evaluates them in tests/integration/test_prometheus_scrape.py)."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package prometheus)"
    expressions = dashboard_expressions()
    rules = {
        "groups": [
            {
                "name": "panels",
                "rules": [
                    {"record": f"lgsp:panel_{i}", "expr": as_prometheus_query(expr)}
                    for i, (_title, expr) in enumerate(expressions)
                ],
            }
        ]
    }
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(expressions)} rules found" in result.stdout


def test_the_parse_check_refuses_broken_promql(tmp_path: Path) -> None:
    """The same promtool check fails on an unbalanced expression (so the test above can fail)."""
    promtool = shutil.which("promtool")
    assert promtool
    path = tmp_path / "broken.yml"
    rule = {"record": "lgsp:broken", "expr": "sum(rate(lgsp_gateway_records_in_total[5m])"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode != 0


def test_every_variable_a_panel_uses_is_defined() -> None:
    """A `$name` in a panel's expression is a templating variable of its dashboard."""
    for name, dashboard in dashboards().items():
        defined = {v["name"] for v in dashboard["templating"]["list"]}
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                used = set(re.findall(r"\$(\w+)", target["expr"]))
                assert used <= defined, f"{name}: {panel['title']} uses {used - defined}"


def test_the_national_view_covers_what_national_operators_watch() -> None:
    """Per node: records in and out, links forwarded and their lag, border refusals by code,
    trust registry age and usability, dead-letter growth and look-up timeouts."""
    national = dashboards()["lgsp-national.json"]
    exprs = [t["expr"] for panel in national["panels"] for t in panel["targets"]]
    for metric in (
        "lgsp_gateway_records_in_total",
        "lgsp_gateway_records_out_total",
        "lgsp_link_forwarded_records_total",
        "lgsp_link_lag_records",
        "lgsp_border_refused_records_total",
        "lgsp_trust_registry_age_seconds",
        "lgsp_trust_registry_usable",
        "lgsp_gateway_parked_total",
        "lgsp_lookup_requests_total",
    ):
        uses = [e for e in exprs if metric in e]
        assert uses, f"no panel shows {metric}"
        assert all(re.search(r"by \([^)]*\bnode\b", e) for e in uses), f"{metric}: not per node"
    assert any("code" in e and "lgsp_border_refused_records_total" in e for e in exprs)
    assert any('outcome="timeout"' in e for e in exprs)


def _exprs(name: str) -> list[str]:
    return [t["expr"] for panel in dashboards()[name]["panels"] for t in panel["targets"]]


def test_the_node_dashboard_shows_the_delivery_sla_and_the_tracker_per_agency() -> None:
    """Per agency: the on-time share of deliveries, their p95 time from ce_time against the
    SLA, late deliveries; and the tracker's on-time ratio, backlog, overdue dossiers and
    documents."""
    exprs = _exprs("lgsp-node-gateway.json")
    per_agency = [e for e in exprs if re.search(r"by \([^)]*\bagency\b", e)]
    assert any(
        'outcome="on_time"' in e and "/ sum by (agency) (rate(lgsp_connector_deliveries_total" in e
        for e in per_agency
    )
    assert any(
        e.startswith("histogram_quantile(0.95,") and "lgsp_connector_delivery_seconds_bucket" in e
        for e in per_agency
    )
    for metric in (
        "lgsp_connector_delivery_sla_seconds",
        "lgsp_tracker_on_time_ratio",
        "lgsp_tracker_backlog_dossiers",
        "lgsp_tracker_overdue_dossiers",
        "lgsp_tracker_overdue_documents",
    ):
        assert any(metric in e for e in per_agency), f"no per-agency panel shows {metric}"


def test_the_national_view_shows_the_delivery_sla_per_node_and_agency() -> None:
    """National operators see each agency's on-time delivery share and p95 delivery time,
    grouped by node and agency."""
    exprs = _exprs("lgsp-national.json")
    sla = [e for e in exprs if "lgsp_connector_deliver" in e and "by (node, agency" in e]
    assert any('outcome="on_time"' in e for e in sla)
    assert any("histogram_quantile(0.95" in e and "_bucket" in e for e in sla)
