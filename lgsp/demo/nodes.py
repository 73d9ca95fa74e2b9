"""The demo's three nodes: NGSP and two provinces (Hà Nội, Đà Nẵng), their routes, trust
material (keys and a signed registry) and node.yaml files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from gateway.federation.trust.authoring import registry_key, write_key_pair
from gateway.federation.trust.registry import RegistryDocument, RegistryNode, sign_registry
from gateway.federation.trust.signing import load_private_key
from schemas.ids.directory import AgencyDirectory
from schemas.topics import inbox_topic

NGSP, HANOI, DANANG = "ngsp", "hanoi", "danang"
ROLES = (NGSP, HANOI, DANANG)
PROVINCES = {HANOI: "000.00.00.H24", DANANG: "000.00.00.H15"}
OPERATORS = {NGSP: "000.00.00.G22", **PROVINCES}
MINISTRIES = ["000.00.00.G22", "000.00.00.G12", "000.00.00.G09"]
PORTAL = "000.00.00.G22"  # the National Public Service Portal (DVCQG), run by the Government Office
POPULATION_DB = (
    "000.00.00.G01"  # the national population database, run by the Ministry of Public Security
)
PAYMENT_PLATFORM = "000.00.11.G22"  # the national payment platform, behind NGSP
# The national portal's dossier sync system: the inbox its HTTP sink connector reads
PORTAL_SYSTEM = "000.00.10.G22"
LATE_AGENCY = "000.02.03.H24"  # UBND phường Hàng Trống: its sink is provisioned late
NATIONAL_AGENCIES = [
    "under 000.00.00.G22",
    "under 000.00.00.G01",
    "under 000.00.00.G09",
    "under 000.00.00.G12",
    "under 000.00.00.G17",
]

_RECEIPTS = """  - name: receipts
    types: [vn.gov.delivery.receipt.v1]
    from: [any]
    to: [any]
"""
_NGSP_ROUTES = (
    """routes:
  - name: government-directives-to-every-commune
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22]
    to: [000.00.00.H24, 000.00.00.H15]
    fan_out: commune
  - name: ministry-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22, under 000.00.00.G12, under 000.00.00.G09]
    to: [under 000.00.00.H24, under 000.00.00.H15]
  - name: status-feedback
    types: [vn.gov.document.status.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [under 000.00.00.G22, under 000.00.00.G12, under 000.00.00.G09]
  - name: dossiers-to-national-portal
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    deliver: topic
    topic: lgsp.ngsp.inbox.000-00-10-g22
  - name: citizen-lookups
    types: [vn.gov.lookup.request.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [000.00.00.G01]
  - name: lookup-replies
    types: [vn.gov.lookup.reply.v1]
    from: [000.00.00.G01]
    to: [under 000.00.00.H24, under 000.00.00.H15]
  - name: fee-payments
    types: [vn.gov.payment.request.v1]
    from: [under 000.00.00.H24, under 000.00.00.H15]
    to: [000.00.11.G22]
  - name: fee-payment-results
    types: [vn.gov.payment.result.v1]
    from: [000.00.11.G22]
    to: [under 000.00.00.H24, under 000.00.00.H15]
"""
    + _RECEIPTS
)
_PROVINCE_ROUTES = (
    """routes:
  - name: national-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22, under 000.00.00.G12, under 000.00.00.G09]
    to: [under PROVINCE]
  - name: city-documents-to-wards
    types: [vn.gov.document.sent.v1]
    from: [OFFICE]
    to: [under PROVINCE]
    fan_out: commune
  - name: status-feedback-to-ministries
    types: [vn.gov.document.status.v1]
    from: [under PROVINCE]
    to: [under 000.00.00.G22, under 000.00.00.G12, under 000.00.00.G09]
  - name: dossiers-to-national-portal
    types: [vn.gov.dossier.status.v1]
    from: [under PROVINCE]
    deliver: topic
    topic: lgsp.NODE.link.ngsp
    transform:
      schema_version: 1
      mask: [owner.idNumber, owner.phone]
      redact: [owner.address, owner.email]
      enrich: true
  - name: citizen-lookups
    types: [vn.gov.lookup.request.v1]
    from: [under PROVINCE]
    to: [000.00.00.G01]
  - name: lookup-replies
    types: [vn.gov.lookup.reply.v1]
    from: [000.00.00.G01]
    to: [under PROVINCE]
  - name: fee-payments
    types: [vn.gov.payment.request.v1]
    from: [under PROVINCE]
    to: [000.00.11.G22]
  - name: fee-payment-results
    types: [vn.gov.payment.result.v1]
    from: [000.00.11.G22]
    to: [under PROVINCE]
"""
    + _RECEIPTS
)


def routes(role: str) -> str:
    if role == NGSP:
        return _NGSP_ROUTES
    province = PROVINCES[role]
    office = province.replace("000.00.00.", "000.00.01.")
    text = _PROVINCE_ROUTES.replace("PROVINCE", province).replace("OFFICE", office)
    return text.replace("NODE", role)


def node_key_id(role: str) -> str:
    return f"{role}-node-key-1"


def write_trust(folder: Path) -> None:
    """A key per node and the registry NGSP signs with its anchor key."""
    keys = folder / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    write_key_pair(keys, "ngsp-anchor-1")
    now = datetime.now(UTC)
    nodes = []
    for role in ROLES:
        key_id = node_key_id(role)
        write_key_pair(keys, key_id, "Ed25519" if role != DANANG else "ECDSA-P256-SHA256")
        key = registry_key(
            key_id, keys / f"{key_id}.pub.pem", now - timedelta(days=1), now + timedelta(days=365)
        )
        agencies = NATIONAL_AGENCIES if role == NGSP else [f"under {PROVINCES[role]}"]
        nodes.append(
            RegistryNode(
                name=role, operator=OPERATORS[role], hub=role == NGSP, agencies=agencies, keys=[key]
            )
        )
    document = RegistryDocument(serial=1, issued_at=now, nodes=nodes)
    anchor = load_private_key(keys / "ngsp-anchor-1.key.pem")
    (folder / "registry.json").write_bytes(sign_registry(document, "ngsp-anchor-1", anchor))


def write_node(folder: Path, role: str, bootstraps: dict[str, str], admin_port: int) -> Path:
    node_folder = folder / role
    node_folder.mkdir(parents=True, exist_ok=True)
    (node_folder / "routes.yaml").write_text(routes(role), encoding="utf-8")
    key_id = node_key_id(role)
    peers = [HANOI, DANANG] if role == NGSP else [NGSP]
    federation = {
        "keys": [{"key_id": key_id, "file": f"../keys/{key_id}.key.pem"}],
        "trust": {
            "registry": "../registry.json",
            "anchors": {"ngsp-anchor-1": "../keys/ngsp-anchor-1.pub.pem"},
            "refresh": "1m",
            "grace": "24h",
        },
        "upstream": None if role == NGSP else NGSP,
        "links": [{"peer": p, "bootstrap_servers": bootstraps[p]} for p in peers],
    }
    config = {
        "node": role,
        "routes": "routes.yaml",
        "bootstrap_servers": bootstraps[role],
        "partitions": 3,
        "retry_tiers": ["3s", "10s"],
        "dedup_window": "1h",
        "admin": {"port": admin_port},
        "federation": federation,
    }
    path = node_folder / "node.yaml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def inboxes(role: str, directory: AgencyDirectory) -> list[str]:
    """The inbox topic of every agency the node serves (its agencies' sinks read them)."""
    served = {
        inbox_topic(role, str(a.code)) for a in directory if directory.node_for(a.code) == role
    }
    if role == NGSP:
        served.add(inbox_topic(NGSP, PORTAL_SYSTEM))
    return sorted(served)


async def provision(bootstrap: str, topics: list[str]) -> None:
    await ensure_topics(bootstrap, [TopicSpec(topic, 3) for topic in topics])
