"""deploy/kubernetes: every manifest parses, core resources pass the Kubernetes schemas
(kubernetes-validate, offline), operator resources have their required fields, probes hit the
admin API, config equals deploy/config, and the PrometheusRule equals the rule files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lgsp.console.config import ConsoleConfig
from tests.deployfiles import DEPLOY, dry_start, prometheus_rule_yaml, rule_groups, yaml_documents

KUBERNETES = DEPLOY / "kubernetes"
CONFIG = DEPLOY / "config"
KUBERNETES_VERSION = "1.30.0"
NAMESPACE = "lgsp-hanoi"
# apiVersion of each kind we ship; kubernetes-validate has no schema for operators' kinds,
# checked here field by field instead.
CORE = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
}
OPERATORS = {
    "Kafka": "kafka.strimzi.io/v1beta2",
    "KafkaNodePool": "kafka.strimzi.io/v1beta2",
    "KafkaTopic": "kafka.strimzi.io/v1beta2",
    "KafkaUser": "kafka.strimzi.io/v1beta2",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
}


def _resources() -> list[dict[str, Any]]:
    kustomization = yaml_documents(KUBERNETES / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in yaml_documents(KUBERNETES / name)]


def _one(kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in _resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def test_the_kustomization_lists_every_manifest() -> None:
    """`kubectl apply -k deploy/kubernetes` applies every file of the folder."""
    kustomization = yaml_documents(KUBERNETES / "kustomization.yaml")[0]
    files = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)


def test_every_resource_is_a_known_kind_in_the_node_namespace() -> None:
    """Only known kinds with their apiVersion; every namespaced resource in the node's one."""
    kinds = {**CORE, **OPERATORS}
    resources = _resources()
    assert {r["kind"] for r in resources} == set(kinds)
    for resource in resources:
        assert resource["apiVersion"] == kinds[resource["kind"]], resource["metadata"]
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == NAMESPACE, resource["metadata"]


def test_core_resources_pass_the_kubernetes_schemas() -> None:
    """Namespace, ConfigMaps, Deployments and Services validate strictly (no unknown field)
    against the bundled Kubernetes OpenAPI schemas."""
    core = [r for r in _resources() if r["kind"] in CORE]
    assert len(core) >= 7
    for resource in core:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_catches_a_wrong_field() -> None:
    """The same check refuses a probe with a misspelt field (so it can fail)."""
    deployment = _one("Deployment", "lgsp-gateway")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_kafka_is_a_kraft_cluster_of_node_pools() -> None:
    """Strimzi runs the cluster in KRaft mode from node pools, with SCRAM over TLS, ACLs, and
    the topic and user operators; every node pool, topic and user belongs to it."""
    kafka = _one("Kafka", "hanoi")
    annotations = kafka["metadata"]["annotations"]
    assert annotations == {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"]["type"] == "scram-sha-512"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    assert set(kafka["spec"]["entityOperator"]) == {"topicOperator", "userOperator"}
    pools = [r for r in _resources() if r["kind"] == "KafkaNodePool"]
    assert {role for pool in pools for role in pool["spec"]["roles"]} == {"controller", "broker"}
    assert all(pool["spec"]["storage"]["type"] for pool in pools)
    for resource in _resources():
        if resource["kind"] in ("KafkaNodePool", "KafkaTopic", "KafkaUser"):
            assert resource["metadata"]["labels"]["strimzi.io/cluster"] == "hanoi"


def test_topics_have_the_gateway_partitions_and_a_contract_name() -> None:
    """Each KafkaTopic is an event topic of the node, with node.yaml's partition count."""
    node = yaml_documents(CONFIG / "node.yaml")[0]
    topics = [r for r in _resources() if r["kind"] == "KafkaTopic"]
    assert topics
    for topic in topics:
        name = topic["spec"]["topicName"]
        assert name.startswith(f"lgsp.{node['node']}.") and name.endswith(".v1")
        assert topic["spec"]["partitions"] == node["partitions"]
        assert topic["spec"]["replicas"] > topic["spec"]["config"]["min.insync.replicas"]


def _container(deployment: str) -> dict[str, Any]:
    (container,) = _one("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def _ports(container: dict[str, Any]) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container["ports"]}


def test_gateway_probes_ask_the_admin_api_for_liveness_and_readiness() -> None:
    """Liveness on /healthz and readiness on /readyz, both on node.yaml's admin port, which
    node.yaml keeps on loopback and the pod opens with LGSP_ADMIN_HOST; the admin tokens come
    from a Secret, never from the manifest."""
    node = yaml_documents(CONFIG / "node.yaml")[0]
    gateway = _container("lgsp-gateway")
    ports = _ports(gateway)
    env = {e["name"]: e for e in gateway["env"]}
    assert ports["admin"] == node["admin"]["port"] and node["admin"]["host"] == "127.0.0.1"
    assert env["LGSP_ADMIN_HOST"]["value"] == "0.0.0.0"
    assert env["LGSP_ADMIN_TOKENS"]["valueFrom"]["secretKeyRef"]["name"] == "lgsp-admin-tokens"
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "admin"}
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "admin"}


def test_connector_probes_ask_its_metrics_port_for_liveness_and_readiness() -> None:
    """The connector's probes ask /healthz and /readyz on the metrics port its file configures
    (where every connector kind serves them); the webhook's own port is published too."""
    config = yaml_documents(CONFIG / "connectors" / "hanoi-webhook.yaml")[0]
    connector = _container("lgsp-connector-hanoi-webhook")
    ports = _ports(connector)
    assert ports == {"http": config["port"], "metrics": config["metrics_port"]}
    assert config["metrics_host"] == "0.0.0.0"
    assert connector["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert connector["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}


def test_tracker_probes_ask_its_api_port_for_liveness_and_readiness() -> None:
    """One tracker process per node (Recreate), its probes on tracker.yaml's API port, served
    by the Service lgsp-tracker that Prometheus scrapes (job "lgsp-tracker")."""
    config = yaml_documents(CONFIG / "tracker.yaml")[0]
    tracker = _container("lgsp-tracker")
    assert _ports(tracker) == {"api": config["api"]["port"]}
    assert config["api"]["host"] == "0.0.0.0"
    assert tracker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "api"}
    assert tracker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "api"}
    deployment = _one("Deployment", "lgsp-tracker")["spec"]
    assert deployment["replicas"] == 1 and deployment["strategy"] == {"type": "Recreate"}
    (port,) = _one("Service", "lgsp-tracker")["spec"]["ports"]
    assert port["targetPort"] == "api"
    monitor = _one("ServiceMonitor", "lgsp")
    assert {"port": "api", "path": "/metrics", "interval": "15s"} in monitor["spec"]["endpoints"]


def test_the_console_probes_its_port_reads_the_gateways_files_and_reaches_every_process() -> None:
    """One console process (Recreate: sessions are in its memory), /healthz and /readyz on
    its console.yaml port, node.yaml from the gateway's ConfigMap where console.yaml says,
    each process at a Service and port of the node, and the gateway's admin-token Secret."""
    console = _container("lgsp-console")
    raw = yaml.safe_load(_one("ConfigMap", "lgsp-console-config")["data"]["console.yaml"])
    config = ConsoleConfig.model_validate(raw)
    assert _ports(console) == {"console": config.listen.port} and config.listen.host == "0.0.0.0"
    assert console["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "console"}
    assert console["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "console"}
    deployment = _one("Deployment", "lgsp-console")["spec"]
    assert deployment["replicas"] == 1 and deployment["strategy"] == {"type": "Recreate"}
    dry_start(console["args"])
    mounts = {m["name"]: m["mountPath"] for m in console["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["template"]["spec"]["volumes"]}
    assert volumes["node"]["configMap"]["name"] == "lgsp-gateway-config"
    assert str(config.gateway_config) == f"{mounts['node']}/node.yaml"
    assert console["args"][-1] == f"{mounts['config']}/console.yaml"
    services = {
        (r["metadata"]["name"], p["port"])
        for r in _resources()
        if r["kind"] == "Service"
        for p in r["spec"]["ports"]
    }
    for process in config.processes:
        host, port = process.url.removeprefix("http://").split(":")
        assert (host, int(port)) in services, process
    env = {e["name"]: e for e in console["env"]}
    gateway_env = {e["name"]: e for e in _container("lgsp-gateway")["env"]}
    assert env["LGSP_ADMIN_TOKENS"] == gateway_env["LGSP_ADMIN_TOKENS"]


@pytest.mark.parametrize(
    ("deployment", "config_map", "files"),
    [
        ("lgsp-gateway", "lgsp-gateway-config", ["node.yaml", "routes.yaml"]),
        ("lgsp-connector-hanoi-webhook", "lgsp-connector-hanoi-webhook", ["hanoi-webhook.yaml"]),
        ("lgsp-tracker", "lgsp-tracker-config", ["tracker.yaml"]),
    ],
)
def test_pods_run_real_commands_on_config_equal_to_deploy_config(
    deployment: str, config_map: str, files: list[str]
) -> None:
    """The ConfigMap holds deploy/config's files byte for byte, mounted where the container's
    `lgsp` command reads it; the command is a real sub-command (dry start)."""
    data = _one("ConfigMap", config_map)["data"]
    for name in files:
        source = CONFIG / name if name != "hanoi-webhook.yaml" else CONFIG / "connectors" / name
        assert data[name] == source.read_text(), f"{config_map}/{name} differs from {source}"
    container = _container(deployment)
    dry_start(container["args"])
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "config"]
    config_path = Path(container["args"][-1])
    assert str(config_path.parent) == mount["mountPath"] and config_path.name in data


def test_pods_reach_kafka_as_their_scram_user_without_a_secret_in_the_repo() -> None:
    """Each pod names its KafkaUser, takes the password from the Secret the user operator
    writes, and trusts the cluster CA; containers run unprivileged on a read-only root."""
    users = {r["metadata"]["name"] for r in _resources() if r["kind"] == "KafkaUser"}
    for deployment in (
        "lgsp-gateway",
        "lgsp-connector-hanoi-webhook",
        "lgsp-tracker",
        "lgsp-console",
    ):
        container = _container(deployment)
        env = {e["name"]: e for e in container["env"]}
        user = env["LGSP_KAFKA_USERNAME"]["value"]
        assert user in users
        assert env["LGSP_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": user,
            "key": "password",
        }
        assert env["LGSP_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_service_monitor_scrapes_the_ports_the_services_expose() -> None:
    """The ServiceMonitor's endpoints are named ports of the node's Services, whose names are
    the job labels the alert rules use."""
    monitor = _one("ServiceMonitor", "lgsp")
    services = [r for r in _resources() if r["kind"] == "Service"]
    ports = {port["name"] for service in services for port in service["spec"]["ports"]}
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports
    assert {s["metadata"]["name"] for s in services} == {
        "lgsp-gateway",
        "lgsp-connector",
        "lgsp-tracker",
        "lgsp-console",
    }
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert all(selector.items() <= s["metadata"]["labels"].items() for s in services)


def test_the_prometheus_rule_holds_exactly_the_rule_files_groups() -> None:
    """The PrometheusRule's groups equal deploy/prometheus's, and the file is what the
    generator writes (so the two cannot drift)."""
    rule = _one("PrometheusRule", "lgsp-alerts")
    assert rule["spec"]["groups"] == rule_groups()
    assert (KUBERNETES / "prometheusrule.yaml").read_text() == prometheus_rule_yaml()
