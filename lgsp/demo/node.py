"""The demo's provincial node: Hà Nội's gateway configuration, routes and inbox topics."""

from __future__ import annotations

import json
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from schemas.ids.directory import AgencyDirectory
from schemas.topics import inbox_topic, link_topic

NODE = "hanoi"
PORTAL_INBOX = inbox_topic(NODE, "000.00.00.G22")
LATE_AGENCY = "000.02.03.H24"  # UBND phường Hàng Trống: its sink is provisioned late
ROUTES = f"""
routes:
  - name: ministry-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22, under 000.00.00.G12, under 000.00.00.G09]
    to: [under 000.00.00.H24]
  - name: city-documents-to-wards
    types: [vn.gov.document.sent.v1]
    from: [000.00.01.H24]
    to: [under 000.00.00.H24]
    fan_out: commune
  - name: status-feedback-to-ministries
    types: [vn.gov.document.status.v1]
    from: [under 000.00.00.H24]
    to: [under 000.00.00.G22, under 000.00.00.G12, under 000.00.00.G09]
  - name: dossiers-to-national-portal
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H24]
    deliver: topic
    topic: {PORTAL_INBOX}
    transform:
      schema_version: 1
      mask: [owner.idNumber, owner.phone]
      redact: [owner.address, owner.email]
      enrich: true
  - name: citizen-lookups
    types: [vn.gov.lookup.request.v1]
    from: [under 000.00.00.H24]
    to: [000.00.00.G01]
"""


def write_node(folder: Path, bootstrap: str, admin_port: int) -> Path:
    """node.yaml and routes.yaml for the Hà Nội node; returns node.yaml's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "routes.yaml").write_text(ROUTES, encoding="utf-8")
    config = folder / "node.yaml"
    config.write_text(
        json.dumps(
            {
                "node": NODE,
                "routes": "routes.yaml",
                "bootstrap_servers": bootstrap,
                "partitions": 3,
                "retry_tiers": ["3s", "10s"],
                "dedup_window": "1h",
                "admin": {"port": admin_port},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return config


def destinations(directory: AgencyDirectory) -> list[str]:
    """Every topic the node delivers to: its agencies' inboxes, the portal's, the NGSP link."""
    local = [
        inbox_topic(NODE, str(a.code)) for a in directory if directory.node_for(a.code) == NODE
    ]
    return sorted({*local, PORTAL_INBOX, link_topic(NODE, "ngsp")})


async def provision(bootstrap: str, topics: list[str]) -> None:
    await ensure_topics(bootstrap, [TopicSpec(topic, 3) for topic in topics])
