"""Reading the files of deploy/ for tests: YAML documents, and the dry start of an `lgsp`
command line (the same sub-command, asked for --help)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
SYSTEMD = DEPLOY / "systemd"


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    """Every non-empty document of a YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def dry_start(arguments: list[str]) -> str:
    """Run `lgsp <sub-command words> --help` for an lgsp command line's arguments (its options
    and paths dropped) and return the usage it prints; fails if the sub-command does not exist."""
    words = [w for w in arguments if not w.startswith(("-", "/"))]
    result = subprocess.run(
        [str(BIN / "lgsp"), *words, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"lgsp {' '.join(words)}: {result.stderr}"
    usage = " ".join(result.stdout.split())
    assert f"Usage: lgsp {' '.join(words)}" in usage, usage
    return usage


def unit_directives(unit: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of every line: systemd allows a key more than once."""
    section, found = "", []
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def unit_service_options(unit: Path) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for section, key, value in unit_directives(unit):
        if section == "Service":
            options.setdefault(key, []).append(value)
    return options


def check_jsonschema(schema_args: list[str], *files: Path) -> subprocess.CompletedProcess[str]:
    """Validate files with check-jsonschema (a dev dependency; schemas bundled, offline)."""
    return subprocess.run(
        [str(BIN / "check-jsonschema"), *schema_args, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def rule_groups() -> list[dict[str, Any]]:
    """The groups of every deploy/prometheus/lgsp-*-rules.yml, in file order."""
    return [
        group
        for path in sorted((DEPLOY / "prometheus").glob("lgsp-*-rules.yml"))
        for group in yaml_documents(path)[0]["groups"]
    ]


PROMETHEUS_RULE_HEADER = """\
# The alert rules of deploy/prometheus/lgsp-*-rules.yml for the Prometheus Operator, generated
# by `python -m tests.deployfiles > deploy/kubernetes/prometheusrule.yaml`;
# tests/unit/test_deploy_kubernetes.py fails when its groups differ from the rule files'.
"""


def prometheus_rule_yaml() -> str:
    """The PrometheusRule resource holding the rule files' groups (multi-line PromQL kept as
    block text, as in the rule files)."""

    class _Dumper(yaml.SafeDumper):
        pass

    def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
        style = "|" if "\n" in text else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    _Dumper.add_representer(str, _text)
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "lgsp-alerts",
            "namespace": "lgsp-hanoi",
            "labels": {"app.kubernetes.io/part-of": "lgsp", "release": "prometheus"},
        },
        "spec": {"groups": rule_groups()},
    }
    body = yaml.dump(resource, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return PROMETHEUS_RULE_HEADER + body


if __name__ == "__main__":
    print(prometheus_rule_yaml(), end="")
