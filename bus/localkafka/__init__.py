"""Runs single-node Apache Kafka clusters (KRaft, broker+controller) on loopback for
development, tests, the demo and benchmarks. The broker jars come from Maven Central."""

from bus.localkafka.cluster import (
    ClusterStatus,
    cluster_status,
    list_clusters,
    local_cluster,
    start_cluster,
    stop_cluster,
)

__all__ = [
    "ClusterStatus",
    "cluster_status",
    "list_clusters",
    "local_cluster",
    "start_cluster",
    "stop_cluster",
]
