"""Three federated nodes for tests: NGSP and two provinces (Hà Nội, Đà Nẵng), each on its own
local Kafka cluster, with keys, a signed trust registry, routes and links written to a folder.

Node names are unique per test (the clusters are shared by the session), and the agency
directory is rewritten so that H24 agencies belong to this test's Hà Nội node, and so on.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bus.kafka.security import PLAINTEXT, KafkaSecurity
from bus.localkafka import start_cluster, stop_cluster
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.federation.runtime import Federation
from gateway.federation.trust.authoring import registry_key, write_key_pair
from gateway.federation.trust.registry import RegistryDocument, RegistryNode, sign_registry
from gateway.federation.trust.signing import load_private_key
from gateway.runner import run_gateway
from gateway.runtime.gateway import Gateway

ROLES = ("ngsp", "hanoi", "danang")
MINISTRIES = [
    "under 000.00.00.G22",
    "under 000.00.00.G01",
    "under 000.00.00.G09",
    "under 000.00.00.G12",
    "under 000.00.00.G17",
]
ROUTES = {
    "ngsp": """
routes:
  - name: ministry-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22]
    to: [000.00.00.H24, 000.00.00.H15]
    deliver: recipients
    fan_out: commune
  - name: province-to-province
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [under 000.00.00.H24, under 000.00.00.H15]
  - name: status-feedback
    types: [vn.gov.document.status.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [under 000.00.00.G22]
  - name: lookups
    types: [vn.gov.lookup.request.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [000.00.00.G01]
  - name: lookup-replies
    types: [vn.gov.lookup.reply.v1]
    from: [000.00.00.G01]
    to: [under 000.00.00.H24, under 000.00.00.H15]
  - name: payments
    types: [vn.gov.payment.request.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [000.00.11.G22]
  - name: payment-results
    types: [vn.gov.payment.result.v1]
    from: [000.00.11.G22]
    to: [under 000.00.00.H24, under 000.00.00.H15]
  - name: dossiers
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [000.00.00.G22]
  - name: receipts
    types: [vn.gov.delivery.receipt.v1]
    from: [any]
    to: [any]
""",
    "province": """
routes:
  - name: national-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22]
    to: [under PROVINCE]
  - name: documents-out
    types: [vn.gov.document.sent.v1]
    from: [under PROVINCE]
    to: [any]
  - name: documents-in
    types: [vn.gov.document.sent.v1]
    from: [under OTHER]
    to: [under PROVINCE]
  - name: status-feedback
    types: [vn.gov.document.status.v1]
    from: [under PROVINCE]
    to: [under 000.00.00.G22]
  - name: lookups
    types: [vn.gov.lookup.request.v1]
    from: [under PROVINCE]
    to: [000.00.00.G01]
  - name: lookup-replies
    types: [vn.gov.lookup.reply.v1]
    from: [000.00.00.G01]
    to: [under PROVINCE]
  - name: payments
    types: [vn.gov.payment.request.v1]
    from: [under PROVINCE]
    to: [000.00.11.G22]
  - name: payment-results
    types: [vn.gov.payment.result.v1]
    from: [000.00.11.G22]
    to: [under PROVINCE]
  - name: dossiers
    types: [vn.gov.dossier.status.v1]
    from: [under PROVINCE]
    to: [000.00.00.G22]
  - name: receipts
    types: [vn.gov.delivery.receipt.v1]
    from: [any]
    to: [any]
""",
}
PROVINCE = {
    "hanoi": ("000.00.00.H24", "000.00.00.H15"),
    "danang": ("000.00.00.H15", "000.00.00.H24"),
}
OPERATOR = {"ngsp": "000.00.00.G22", "hanoi": "000.00.00.H24", "danang": "000.00.00.H15"}
ALGORITHM = {"ngsp": "Ed25519", "hanoi": "Ed25519", "danang": "ECDSA-P256-SHA256"}


@pytest.fixture(scope="session")
def clusters(settings: Settings) -> Iterator[dict[str, str]]:
    """Bootstrap servers of three local clusters: ngsp, hanoi, danang."""
    started: dict[str, str] = {}
    reused: set[str] = set()
    try:
        for role in ROLES:
            status = asyncio.run(start_cluster(settings, f"fed-{role}"))
            assert status.bootstrap_servers
            started[role] = status.bootstrap_servers
            if status.reused:
                reused.add(role)
        yield started
    finally:
        for role in started:
            if role not in reused:
                asyncio.run(stop_cluster(settings, f"fed-{role}"))


@dataclass
class Federated:
    """The files of three nodes; ``names[role]`` is the unique node name of this test."""

    folder: Path
    clusters: dict[str, str]
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    grace: str = "24h"
    max_age: str = "7d"
    roles: tuple[str, ...] = ROLES
    # (node role, peer role) -> the link's ``security`` section in node.yaml
    link_security: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = {role: f"{role[:2]}{self.suffix}" for role in ROLES}
        self.keys = self.folder / "keys"
        self.registry_file = self.folder / "registry.json"

    def write(self, registry_source: str | None = None) -> dict[str, Path]:
        """Keys, the signed registry, and each node's directory, routes and node.yaml."""
        write_key_pair(self.keys, "anchor-1")
        for role in self.roles:
            write_key_pair(self.keys, f"{self.names[role]}-k1", ALGORITHM[role])  # type: ignore[arg-type]
        self.sign_registry()
        return {role: self._write_node(role, registry_source) for role in self.roles}

    def registry_nodes(self, extra_keys: dict[str, list[str]] | None = None) -> list[RegistryNode]:
        now = datetime.now(UTC)
        nodes = []
        for role in self.roles:
            agencies = MINISTRIES if role == "ngsp" else [f"under {OPERATOR[role]}"]
            key_ids = [f"{self.names[role]}-k1", *(extra_keys or {}).get(role, [])]
            keys = [
                registry_key(
                    k,
                    self.keys / f"{k}.pub.pem",
                    now - timedelta(days=1),
                    now + timedelta(days=365),
                )
                for k in key_ids
            ]
            nodes.append(
                RegistryNode(
                    name=self.names[role],
                    operator=OPERATOR[role],
                    hub=role == "ngsp",
                    agencies=agencies,
                    keys=keys,
                )
            )
        return nodes

    def sign_registry(self, nodes: list[RegistryNode] | None = None, serial: int = 1) -> None:
        document = RegistryDocument(
            serial=serial, issued_at=datetime.now(UTC), nodes=nodes or self.registry_nodes()
        )
        anchor = load_private_key(self.keys / "anchor-1.key.pem")
        self.registry_file.write_bytes(sign_registry(document, "anchor-1", anchor))

    def _directory(self) -> str:
        bundled = (Path(__file__).parent.parent / "schemas/data/agencies.csv").read_text("utf-8")
        rows = list(csv.reader(line for line in bundled.splitlines() if not line.startswith("#")))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            writer.writerow([*row[:4], self.names.get(row[4], row[4]), *row[5:]])
        return out.getvalue()

    def _write_node(self, role: str, registry_source: str | None) -> Path:
        folder = self.folder / role
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "agencies.csv").write_text(self._directory(), encoding="utf-8")
        routes = ROUTES["ngsp"] if role == "ngsp" else ROUTES["province"]
        if role != "ngsp":
            routes = routes.replace("PROVINCE", PROVINCE[role][0]).replace(
                "OTHER", PROVINCE[role][1]
            )
        (folder / "routes.yaml").write_text(routes, encoding="utf-8")
        peers = [
            p for p in (["hanoi", "danang"] if role == "ngsp" else ["ngsp"]) if p in self.roles
        ]
        federation = {
            "keys": [
                {
                    "key_id": f"{self.names[role]}-k1",
                    "file": str(self.keys / f"{self.names[role]}-k1.key.pem"),
                }
            ],
            "trust": {
                "registry": registry_source or str(self.registry_file),
                "anchors": {"anchor-1": str(self.keys / "anchor-1.pub.pem")},
                "refresh": "1s",
                "grace": self.grace,
            },
            "upstream": None if role == "ngsp" else self.names["ngsp"],
            "links": [
                {"peer": self.names[p], "bootstrap_servers": self.clusters[p]}
                | (
                    {"security": self.link_security[(role, p)]}
                    if (role, p) in self.link_security
                    else {}
                )
                for p in peers
            ],
            "max_age": self.max_age,
        }
        config = {
            "node": self.names[role],
            "routes": "routes.yaml",
            "directory": "agencies.csv",
            "bootstrap_servers": self.clusters[role],
            "partitions": 2,
            "retry_tiers": ["1s", "2s"],
            "dedup_window": "1h",
            "admin": {"port": 0},
            "federation": federation,
        }
        path = folder / "node.yaml"
        path.write_text(json.dumps(config), encoding="utf-8")
        return path


@contextlib.asynccontextmanager
async def running_node(
    config: Path,
    security: KafkaSecurity = PLAINTEXT,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[tuple[Gateway, Federation]]:
    """A node's gateway and its federation, running in this process until the block ends
    (``security``: on its own cluster; ``environ``: where links' password_env are read)."""
    async with run_gateway(
        load_gateway_config(config), Settings(), admin_port=0, security=security, environ=environ
    ) as running:
        assert running.federation is not None
        await running.wait_ready(60)
        yield running.gateway, running.federation


@contextlib.asynccontextmanager
async def running_federation(
    configs: dict[str, Path],
) -> AsyncIterator[dict[str, tuple[Gateway, Federation]]]:
    async with contextlib.AsyncExitStack() as stack:
        nodes = {}
        for role in ROLES:
            nodes[role] = await stack.enter_async_context(running_node(configs[role]))
        yield nodes
