"""Replication settings of the topics a process creates: unset means the cluster's own, a
topic keeps its own min.insync, and a min.insync above the factor is refused with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.kafka.replication import CLUSTER_DEFAULT, Replication, ReplicationError
from bus.localkafka.config import replication_of, server_properties
from connectors.config import SinkConfig
from schemas.errors import LgspError
from tracker.config import TrackerConfig, load_tracker_config


def test_unset_replication_leaves_topics_to_the_cluster() -> None:
    """By default no factor is sent (CreateTopics -1) and no topic-level min.insync written."""
    assert CLUSTER_DEFAULT.replication_factor is None
    assert CLUSTER_DEFAULT.topic_configs({"cleanup.policy": "compact"}) == {
        "cleanup.policy": "compact"
    }


def test_min_insync_is_added_unless_the_topic_sets_its_own() -> None:
    """A node's min.insync reaches each topic; a topic's own value is kept."""
    replication = Replication(replication_factor=3, min_insync_replicas=2)
    assert replication.topic_configs({}) == {"min.insync.replicas": "2"}
    assert replication.topic_configs({"min.insync.replicas": "3"}) == {"min.insync.replicas": "3"}


def test_min_insync_above_the_factor_is_refused_with_a_code() -> None:
    """No write could ever be acknowledged: LGSP-KAFKA-REPLICATION."""
    with pytest.raises(ReplicationError) as raised:
        Replication(replication_factor=2, min_insync_replicas=3)
    assert raised.value.code == "LGSP-KAFKA-REPLICATION"


def test_config_files_carry_replication(tmp_path: Path) -> None:
    """tracker.yaml and connector files have replication_factor and min_insync_replicas."""
    path = tmp_path / "tracker.yaml"
    path.write_text("node: hanoi\nreplication_factor: 3\nmin_insync_replicas: 2\n")
    assert load_tracker_config(path).replication == Replication(
        replication_factor=3, min_insync_replicas=2
    )
    assert TrackerConfig(node="hanoi").replication == CLUSTER_DEFAULT
    sink = SinkConfig.model_validate(
        {"kind": "http-sink", "name": "dms", "node": "hanoi", "agency": "000.01.02.H24",
         "replication_factor": 3}
    )  # fmt: skip
    assert sink.replication.replication_factor == 3


def test_a_config_file_with_min_insync_above_the_factor_names_its_problem(tmp_path: Path) -> None:
    """The YAML loader reports the impossible pair as a config error, not a crash."""
    path = tmp_path / "tracker.yaml"
    path.write_text("node: hanoi\nreplication_factor: 1\nmin_insync_replicas: 2\n")
    with pytest.raises(LgspError) as raised:
        load_tracker_config(path)
    assert "min_insync_replicas 2 is above replication_factor 1" in raised.value.message


def test_three_nodes_get_three_replicas_and_min_insync_two() -> None:
    """From three nodes on: 3 / 2 (one broker may be lost); fewer: all of them / 1."""
    assert replication_of(1) == (1, 1)
    assert replication_of(2) == (2, 1)
    assert replication_of(3) == (3, 2)
    assert replication_of(5) == (3, 2)


def test_a_node_of_three_joins_a_static_quorum_with_replicated_internal_topics() -> None:
    """Node 2 of 3 names all three voters and replicates offsets and transactions 3 / 2."""
    text = server_properties(
        port=9292, controller_port=9293, data_dir=Path("/d"), node_id=2,
        voters=[(1, 9193), (2, 9293), (3, 9393)],
    )  # fmt: skip
    props = dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:9193,2@127.0.0.1:9293,3@127.0.0.1:9393"
    )
    assert "controller.quorum.bootstrap.servers" not in props
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
    ):
        assert props[key] == "3"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
