"""deploy/compose: the one-node compose file is valid compose-spec, runs the real `lgsp`
commands on the package's image, mounts files that exist, and checks every service's health."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from lgsp.console.config import ConsoleConfig
from tests.deployfiles import DEPLOY, check_jsonschema, dry_start, yaml_documents

COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"


def _services() -> dict[str, dict[str, Any]]:
    (compose,) = yaml_documents(COMPOSE)
    return dict(compose["services"])


def test_the_compose_file_is_valid_compose_spec() -> None:
    """check-jsonschema accepts the file against the bundled compose-spec schema."""
    result = check_jsonschema(["--builtin-schema", "vendor.compose-spec"], COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_node_has_its_broker_gateway_connector_tracker_console_and_prometheus() -> None:
    """Six services, each on a pinned image (no :latest), each with a healthcheck."""
    services = _services()
    assert set(services) == {"kafka", "gateway", "webhook", "tracker", "console", "prometheus"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["prometheus"]["image"].startswith("prom/prometheus:v")
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), name
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service.get("restart") == "unless-stopped", name


def test_the_broker_is_a_single_kraft_node_with_durable_data() -> None:
    """Kafka runs broker and controller in one process (KRaft), never auto-creates topics,
    and keeps its log on a named volume."""
    kafka = _services()["kafka"]
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert f"kafka-data:{env['KAFKA_LOG_DIRS']}" in kafka["volumes"]


def test_gateway_and_connector_run_real_lgsp_commands_on_the_package_image() -> None:
    """Both are built from deploy/compose/Dockerfile (entrypoint lgsp); their commands are real
    sub-commands (dry start), their config files exist where mounted, and they wait for Kafka."""
    services = _services()
    dockerfile = (COMPOSE_DIR / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["lgsp"]' in dockerfile and "pip install --no-cache-dir ." in dockerfile
    for name, config_arg in (("gateway", -1), ("webhook", -1), ("tracker", -1), ("console", -1)):
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/compose/Dockerfile"
        assert (COMPOSE_DIR / service["build"]["context"] / "pyproject.toml").is_file()
        assert service["environment"]["LGSP_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        dry_start(service["command"])
        container_path = service["command"][config_arg]
        assert _host_path(service, container_path).is_file(), container_path


def _host_path(service: dict[str, Any], container_path: str) -> Path:
    """The host file a container path comes from, through the service's bind mounts."""
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith(".") and container_path == target:  # a file mounted alone
            return Path(COMPOSE_DIR, source)
        if source.startswith(".") and container_path.startswith(target + "/"):
            return Path(COMPOSE_DIR, source, container_path[len(target) + 1 :])
    raise AssertionError(f"{container_path} is not mounted")


def test_health_checks_probe_the_admin_and_webhook_ports_of_the_config() -> None:
    """The gateway's healthcheck asks /readyz on node.yaml's admin port; the webhook's asks
    /readyz on its configured metrics port; the gateway's and the webhook's ports are
    published."""
    services = _services()
    node = yaml_documents(DEPLOY / "config" / "node.yaml")[0]
    webhook = yaml_documents(DEPLOY / "config" / "connectors" / "hanoi-webhook.yaml")[0]
    gateway_check = " ".join(services["gateway"]["healthcheck"]["test"])
    assert f"127.0.0.1:{node['admin']['port']}/readyz" in gateway_check
    assert f"{node['admin']['port']}:{node['admin']['port']}" in services["gateway"]["ports"]
    webhook_check = " ".join(services["webhook"]["healthcheck"]["test"])
    assert f"127.0.0.1:{webhook['metrics_port']}/readyz" in webhook_check
    assert f"{webhook['port']}:{webhook['port']}" in services["webhook"]["ports"]


def test_the_tracker_health_check_asks_readyz_on_its_api_port() -> None:
    """The tracker's healthcheck asks /readyz on tracker.yaml's API port, bound on every
    interface of the container, and that port is published."""
    tracker = _services()["tracker"]
    config = yaml_documents(DEPLOY / "config" / "tracker.yaml")[0]
    port = config["api"]["port"]
    assert config["api"]["host"] == "0.0.0.0"
    assert f"127.0.0.1:{port}/readyz" in " ".join(tracker["healthcheck"]["test"])
    assert f"{port}:{port}" in tracker["ports"]


def test_prometheus_loads_the_rules_and_scrapes_every_process(tmp_path: Path) -> None:
    """`promtool check config` accepts prometheus.yml with the rules where compose mounts them,
    and it scrapes the gateway's admin port, the connector's metrics port and the tracker's API
    port, as the jobs the alert rules name."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package prometheus)"
    services = _services()
    mounts = dict(v.split(":")[:2] for v in services["prometheus"]["volumes"] if v[0] == ".")
    rules_dir = mounts["../prometheus"]
    (prometheus,) = yaml_documents(COMPOSE_DIR / "prometheus.yml")
    assert prometheus["rule_files"] == [f"{rules_dir}/lgsp-*-rules.yml"]
    # the same config, its rule glob pointed at the repository's rules: promtool loads them
    local = (
        (COMPOSE_DIR / "prometheus.yml").read_text().replace(rules_dir, str(DEPLOY / "prometheus"))
    )
    (tmp_path / "prometheus.yml").write_text(local)
    result = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lgsp-gateway-rules.yml" in result.stdout + result.stderr
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]
    }
    node = yaml_documents(DEPLOY / "config" / "node.yaml")[0]
    webhook = yaml_documents(DEPLOY / "config" / "connectors" / "hanoi-webhook.yaml")[0]
    tracker = yaml_documents(DEPLOY / "config" / "tracker.yaml")[0]
    assert targets == {
        "lgsp-gateway": [f"gateway:{node['admin']['port']}"],
        "lgsp-connector": [f"webhook:{webhook['metrics_port']}"],
        "lgsp-tracker": [f"tracker:{tracker['api']['port']}"],
    }


def test_the_image_copies_every_package_the_project_installs() -> None:
    """The Dockerfile copies each top-level package pyproject.toml installs (a package added
    later and not copied would be missing from the image)."""
    project = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {
        source
        for line in (COMPOSE_DIR / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    }
    assert packages <= copied, packages - copied
    assert {"pyproject.toml", "README.md"} <= copied


def test_the_install_guide_names_every_deploy_file() -> None:
    """docs/operations.md's "Install a node" mentions each file of deploy/systemd, compose and
    kubernetes, so a file added there is documented."""
    guide = (DEPLOY.parent / "docs" / "operations.md").read_text()
    section = guide[guide.index("## Install a node") : guide.index("## Add an agency")]
    for folder in ("systemd", "compose", "kubernetes"):
        for path in sorted((DEPLOY / folder).iterdir()):
            if path.name != "kustomization.yaml":
                assert path.name in section, f"deploy/{folder}/{path.name} is not in the guide"


def test_the_gateway_opens_its_admin_port_and_takes_token_hashes_from_the_environment() -> None:
    """node.yaml binds the admin API on loopback; the compose gateway opens it to the
    published port with LGSP_ADMIN_HOST and takes its token hashes from LGSP_ADMIN_TOKENS of
    the operator's .env (an empty list, i.e. every admin call refused, when unset)."""
    node = yaml_documents(DEPLOY / "config" / "node.yaml")[0]
    env = _services()["gateway"]["environment"]
    assert node["admin"]["host"] == "127.0.0.1"
    assert env["LGSP_ADMIN_HOST"] == "0.0.0.0"
    assert env["LGSP_ADMIN_TOKENS"] == "${LGSP_ADMIN_TOKENS:-[]}"


def test_the_console_serves_on_host_loopback_and_reaches_every_service() -> None:
    """The console's file loads, names node.yaml where compose mounts deploy/config, each
    process at a compose service on its configured port; its healthcheck asks /readyz on its
    port, published on the host's loopback only; it takes the gateway's token hashes."""
    services = _services()
    console = services["console"]
    (raw,) = yaml_documents(COMPOSE_DIR / "console.yaml")
    config = ConsoleConfig.model_validate(raw)
    assert _host_path(console, str(config.gateway_config)).is_file()
    port = config.listen.port
    assert config.listen.host == "0.0.0.0" and console["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"127.0.0.1:{port}/readyz" in " ".join(console["healthcheck"]["test"])
    node = yaml_documents(DEPLOY / "config" / "node.yaml")[0]
    webhook = yaml_documents(DEPLOY / "config" / "connectors" / "hanoi-webhook.yaml")[0]
    tracker = yaml_documents(DEPLOY / "config" / "tracker.yaml")[0]
    assert {p.url for p in config.processes} == {
        f"http://gateway:{node['admin']['port']}",
        f"http://webhook:{webhook['metrics_port']}",
        f"http://tracker:{tracker['api']['port']}",
    }
    assert console["environment"]["LGSP_ADMIN_TOKENS"] == "${LGSP_ADMIN_TOKENS:-[]}"
