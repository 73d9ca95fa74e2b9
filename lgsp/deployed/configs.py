"""The files of the topology, written as deploy/ has them: each node's node.yaml (its link's
credentials for the peer's cluster by ``password_file`` and the peer's CA), routes.yaml, the
trust material, the province's tracker.yaml and webhook file, NGSP's HTTP sink file, and each
service's env file (``/etc/lgsp/<node>/<service>.env`` in deploy/systemd)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.localkafka.certs import write_private
from connectors.webhook.config import hash_api_key
from lgsp.demo.nodes import HANOI, NGSP, PORTAL_SYSTEM, PROVINCES, node_key_id, routes, write_trust

NODES = (NGSP, HANOI)


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the services' HTTP endpoints (admin API, tracker API, webhook)."""

    gateway: dict[str, int]
    tracker: int
    webhook: int
    webhook_metrics: int
    sink_metrics: int


@dataclass(frozen=True)
class NodeFiles:
    """Where the files of the topology are."""

    folder: Path

    def node_yaml(self, node: str) -> Path:
        return self.folder / node / "node.yaml"

    def tracker_yaml(self) -> Path:
        return self.folder / HANOI / "tracker.yaml"

    def connector_yaml(self, name: str) -> Path:
        return self.folder / "connectors" / f"{name}.yaml"

    def link_password(self, node: str) -> Path:
        return self.folder / node / "secrets" / "link.pw"

    def link_ca(self, node: str) -> Path:
        return self.folder / node / "secrets" / "peer-ca.pem"

    def service_env(self, name: str) -> Path:
        return self.folder / "env" / f"{name}.env"


def write_nodes(files: NodeFiles, bootstraps: dict[str, str], ports: Ports) -> None:
    write_trust(files.folder)
    for node in NODES:
        peer = HANOI if node == NGSP else NGSP
        folder = files.folder / node
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "routes.yaml").write_text(routes(node), encoding="utf-8")
        link = {
            "peer": peer,
            "bootstrap_servers": bootstraps[peer],
            "security": {
                "protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-512",
                "username": link_user(node, peer),
                "password_file": str(files.link_password(node)),
                "ca_file": str(files.link_ca(node)),
            },
        }
        key_id = node_key_id(node)
        config = {
            "node": node,
            "routes": "routes.yaml",
            "partitions": 3,
            "retry_tiers": ["3s", "10s"],
            "dedup_window": "1h",
            "admin": {"host": "127.0.0.1", "port": ports.gateway[node]},
            "federation": {
                "keys": [{"key_id": key_id, "file": f"../keys/{key_id}.key.pem"}],
                "trust": {
                    "registry": "../registry.json",
                    "anchors": {"ngsp-anchor-1": "../keys/ngsp-anchor-1.pub.pem"},
                    "refresh": "1m",
                    "grace": "24h",
                },
                "upstream": None if node == NGSP else NGSP,
                "links": [link],
            },
        }
        files.node_yaml(node).write_text(json.dumps(config, indent=2), encoding="utf-8")


def write_tracker(files: NodeFiles, port: int) -> None:
    config = {
        "node": HANOI,
        "agency": PROVINCES[HANOI],
        "report_recipient": "000.00.00.G22",
        "partitions": 3,
        "clock": "wall",
        "api": {"host": "127.0.0.1", "port": port},
    }
    files.tracker_yaml().write_text(json.dumps(config, indent=2), encoding="utf-8")


def write_webhook(files: NodeFiles, ports: Ports, keys: dict[str, str]) -> None:
    """The province's one-stop-shop webhook: one API key (its hash here) per commune."""
    config = {
        "kind": "webhook",
        "name": WEBHOOK,
        "node": HANOI,
        "agency": PROVINCES[HANOI],
        "host": "127.0.0.1",
        "port": ports.webhook,
        "metrics_port": ports.webhook_metrics,
        "agencies": [{"code": c, "key_sha256": hash_api_key(k)} for c, k in keys.items()],
        "subjects": {
            "dossier.status": {"key_field": "dossierCode", "agency_field": "receivingAgency.code"}
        },
    }
    _write(files.connector_yaml(WEBHOOK), config)


def write_sink(files: NodeFiles, ports: Ports, url: str) -> None:
    """NGSP's HTTP sink: the portal system's inbox into the portal application at ``url``."""
    config = {
        "kind": "http-sink",
        "name": SINK,
        "node": NGSP,
        "agency": PORTAL_SYSTEM,
        "url": url,
        "metrics_port": ports.sink_metrics,
    }
    _write(files.connector_yaml(SINK), config)


def write_service_env(files: NodeFiles, name: str, lines: dict[str, str]) -> Path:
    """A service's own env file (0600): its admin tokens and log settings."""
    path = files.service_env(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, "".join(f"{k}={v}\n" for k, v in lines.items()).encode())
    return path


def admin_tokens_entry(token: str) -> str:
    """``LGSP_ADMIN_TOKENS`` holding only the hash of the operator's token."""
    entry = AdminToken(name="launcher", role=Role.OPERATOR, token_sha256=hash_admin_token(token))
    return json.dumps([entry.model_dump(mode="json")])


def write_link_secret(files: NodeFiles, node: str, password: str, peer_ca: Path) -> None:
    files.link_password(node).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(files.link_password(node), password.encode())
    write_private(files.link_ca(node), peer_ca.read_bytes())


def link_user(node: str, peer: str) -> str:
    """The principal of ``node``'s link, on ``peer``'s cluster."""
    return f"lgsp-link-{node}-to-{peer}"


def _write(path: Path, config: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")


WEBHOOK = "hanoi-one-stop-shops"
SINK = "ngsp-portal-sink"
