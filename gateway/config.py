"""The gateway's configuration file (``node.yaml``) and its routing table (``routes.yaml``).

node: hanoi
routes: routes.yaml            # relative to this file; reloaded on SIGHUP or POST /admin/reload
directory: agencies.csv        # optional; default: the contract's bundled directory
partitions: 3                  # of every topic the gateway creates
replication_factor: 3          # optional; default: the cluster's default.replication.factor
min_insync_replicas: 2         # optional; default: the cluster's min.insync.replicas
retry_tiers: [30s, 5m, 1h]
dedup_window: 1h
trace_log_retention: 7d         # optional; how long traces see what was routed and forwarded
admin: {host: 127.0.0.1, port: 8091}
wire_format:                   # optional; default: single-object encoding on every topic
  registry: http://127.0.0.1:8081            # Confluent-API schema registry
  confluent_topics: ["lgsp.hanoi.inbox.*"]   # topics the gateway writes as Confluent frames
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bus.kafka.replication import ReplicationFields
from bus.wireformat import WireFormatConfig
from bus.yamlconfig import load_yaml_model
from gateway.federation.config import FederationConfig
from gateway.routing.retry_tiers import parse_delay
from gateway.routing.table import RouteTable, RoutingTableSpec
from gateway.routing.tracelog import DEFAULT_RETENTION
from schemas.catalog import SchemaCatalog
from schemas.ids.directory import AgencyDirectory, bundled_directory
from schemas.topics import link_topic


class AdminConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8091, ge=0, le=65535)


class GatewayConfig(ReplicationFields):
    """One node's gateway settings."""

    model_config = ConfigDict(extra="forbid")

    node: str
    routes: Path = Path("routes.yaml")
    directory: Path | None = None
    bootstrap_servers: str | None = None
    partitions: int = Field(default=3, ge=1, le=1000)
    retry_tiers: list[str] = Field(default_factory=lambda: ["30s", "5m", "1h"])
    dedup_window: str = "1h"
    # how long the route log and link log keep what was routed and forwarded (traces)
    trace_log_retention: str = DEFAULT_RETENTION
    max_batch: int = Field(default=2000, ge=1)
    # The broker can hold a read_committed fetch for its whole wait: short waits bound latency.
    fetch_max_wait_ms: int = Field(default=50, ge=1, le=500)
    # Larger records are parked (LGSP-GW-TOO-LARGE) instead of failing every transaction that
    # tries to produce them: under the producer's and broker's 1 MiB defaults, with headroom.
    max_record_bytes: int = Field(default=1_000_000, ge=1024)
    admin: AdminConfig = Field(default_factory=AdminConfig)
    federation: FederationConfig | None = None
    wire_format: WireFormatConfig = Field(default_factory=WireFormatConfig)
    base_dir: Path = Field(default=Path(), exclude=True)

    @field_validator("node")
    @classmethod
    def _node_name(cls, node: str) -> str:
        link_topic(node, node)  # raises for a name that cannot be part of a topic
        return node

    @field_validator("retry_tiers")
    @classmethod
    def _tiers(cls, tiers: list[str]) -> list[str]:
        for tier in tiers:
            parse_delay(tier)
        return tiers

    @field_validator("dedup_window", "trace_log_retention")
    @classmethod
    def _window(cls, window: str) -> str:
        parse_delay(window)
        return window

    @property
    def group_id(self) -> str:
        return f"lgsp-gateway-{self.node}"

    @property
    def routes_path(self) -> Path:
        return self.routes if self.routes.is_absolute() else self.base_dir / self.routes

    def load_directory(self) -> AgencyDirectory:
        if self.directory is None:
            return bundled_directory()
        path = self.directory if self.directory.is_absolute() else self.base_dir / self.directory
        return AgencyDirectory.from_csv(path)


def load_gateway_config(path: Path) -> GatewayConfig:
    config = load_yaml_model(path, GatewayConfig)
    return config.model_copy(update={"base_dir": path.resolve().parent})


def load_route_table(
    config: GatewayConfig, directory: AgencyDirectory, catalog: SchemaCatalog
) -> RouteTable:
    """Load and compile the routing table; a ``ConfigError`` names every bad line."""
    spec = load_yaml_model(config.routes_path, RoutingTableSpec, context={"catalog": catalog})
    hops = config.federation.hops() if config.federation else None
    return RouteTable(spec, config.node, directory, hops)
