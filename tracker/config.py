"""The tracker's configuration file (``tracker.yaml``).

node: hanoi                      # the node whose event topics it reads
agency: 000.00.00.H24            # the node's agency: sender of the reports (ce_source)
report_recipient: 000.00.00.G22  # NGSP's reporting agency (the Government Office by default)
holidays: holidays.csv           # optional, relative to this file; default: bundled 2025-2027
partitions: 3                    # of the topics the tracker creates (changelog, parked)
replication_factor: 3            # optional; default: the cluster's default.replication.factor
min_insync_replicas: 2           # optional; default: the cluster's min.insync.replicas
clock: wall                      # 'wall' or 'events': what "now" is when deciding overdue
api: {host: 127.0.0.1, port: 8093}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bus.kafka.replication import ReplicationFields
from bus.wireformat import WireFormatConfig
from bus.yamlconfig import load_yaml_model
from schemas.ids.agency import AgencyCode
from schemas.topics import link_topic


class ApiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8093, ge=0, le=65535, description="0: any free port")


class TrackerConfig(ReplicationFields):
    """One node's tracker settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: str
    agency: str | None = Field(
        default=None, description="The node's own agency: sender of the report events."
    )
    report_recipient: str = "000.00.00.G22"
    bootstrap_servers: str | None = None
    holidays: Path | None = None
    partitions: int = Field(default=3, ge=1, le=1000)
    max_batch: int = Field(default=2000, ge=1, le=50_000)
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=500)
    clock: Literal["wall", "events"] = "wall"
    metrics_refresh_s: float = Field(default=5.0, gt=0)
    api: ApiConfig = Field(default_factory=ApiConfig)
    wire_format: WireFormatConfig = Field(
        default_factory=WireFormatConfig,
        description="Schema registry for values in the Confluent wire format (bus.wireformat).",
    )

    @field_validator("node")
    @classmethod
    def _node_name(cls, node: str) -> str:
        link_topic(node, node)  # raises for a name that cannot be part of a topic
        return node

    @field_validator("agency", "report_recipient")
    @classmethod
    def _agency_code(cls, code: str | None) -> str | None:
        return None if code is None else str(AgencyCode.parse(code))

    @property
    def group_id(self) -> str:
        return f"lgsp-tracker-{self.node}"

    @property
    def transactional_id(self) -> str:
        return f"lgsp-tracker-{self.node}"


def load_tracker_config(path: Path) -> TrackerConfig:
    """Read ``tracker.yaml``; a relative ``holidays`` path is taken from the file's folder."""
    config = load_yaml_model(path, TrackerConfig)
    if config.holidays is not None and not config.holidays.is_absolute():
        config = config.model_copy(update={"holidays": path.parent / config.holidays})
    return config
