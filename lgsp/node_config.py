"""Reading a node's gateway file for commands that act on a running node."""

from __future__ import annotations

from pathlib import Path

from bus.kafka.access import ClusterAccess
from bus.settings import Settings
from gateway.config import GatewayConfig, load_gateway_config
from gateway.federation.config import FederationConfig
from schemas.errors import LgspError


def node_cluster(config: Path) -> tuple[GatewayConfig, ClusterAccess]:
    """The node's gateway file and its cluster as this process reaches it (LGSP_KAFKA_*)."""
    gateway_config, bootstrap = node_and_bootstrap(config)
    access = ClusterAccess(bootstrap, Settings().kafka_security(), gateway_config.replication)
    return gateway_config, access


def node_and_bootstrap(config: Path) -> tuple[GatewayConfig, str]:
    gateway_config = load_gateway_config(config)
    bootstrap = gateway_config.bootstrap_servers or Settings().bootstrap_servers
    if not bootstrap:
        raise LgspError(
            "no Kafka to connect to: set bootstrap_servers in the config or LGSP_BOOTSTRAP_SERVERS",
            code="LGSP-CONFIG-INVALID",
        )
    return gateway_config, bootstrap


def federation_of_config(config: GatewayConfig) -> FederationConfig:
    if config.federation is None:
        raise LgspError(
            f"node {config.node} has no federation section in its node.yaml",
            code="LGSP-CONFIG-INVALID",
        )
    return config.federation
