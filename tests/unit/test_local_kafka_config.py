"""Pure parts of the local-broker launcher: names, cluster ids, rendered configuration."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from bus.localkafka.config import new_cluster_id, server_properties
from bus.localkafka.layout import ClusterPaths, check_cluster_name
from bus.settings import Settings
from schemas.errors import LocalKafkaError


@pytest.mark.parametrize("name", ["ngsp", "hanoi", "da-nang", "lgsp_h29", "0"])
def test_valid_cluster_names_are_accepted(name: str) -> None:
    """Lower-case names with digits, '-' and '_' name a cluster folder."""
    assert check_cluster_name(name) == name


@pytest.mark.parametrize("name", ["", "Hanoi", "../etc", "a b", "-x", "x" * 41])
def test_names_that_are_not_safe_folder_names_are_refused(name: str) -> None:
    """A name that could escape the clusters folder or is not portable fails with its code."""
    with pytest.raises(LocalKafkaError) as raised:
        check_cluster_name(name)
    assert raised.value.code == "LGSP-KAFKA-BAD-NAME"


def test_cluster_ids_are_16_random_bytes_in_url_safe_base64() -> None:
    """Cluster ids have Kafka's format: 22 URL-safe characters decoding to 16 bytes."""
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id) and not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_server_properties_bind_loopback_and_use_kraft_bootstrap_servers() -> None:
    """The broker listens on 127.0.0.1 only, in combined mode, with single-node replication."""
    props = dict(
        line.split("=", 1)
        for line in server_properties(
            port=9192, controller_port=9193, data_dir=Path("/d")
        ).splitlines()
        if line and not line.startswith("#")
    )
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:9193"
    assert "controller.quorum.voters" not in props
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "share.coordinator.state.topic.replication.factor",
    ):
        assert props[key] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "false"
    assert int(props["log.cleaner.dedupe.buffer.size"]) <= 32 * 1024 * 1024  # fits a small heap


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")


def test_nodes_of_a_multi_node_cluster_take_fewer_request_threads() -> None:
    """Three nodes of one cluster share the host's cores: one network and two I/O threads each,
    where a cluster's only node keeps two and four."""
    alone = _props(server_properties(port=9192, controller_port=9193, data_dir=Path("/d")))
    one_of_three = _props(
        server_properties(
            port=9192,
            controller_port=9193,
            data_dir=Path("/d"),
            node_id=2,
            voters=[(1, 9193), (2, 9195), (3, 9197)],
        )
    )
    assert (alone["num.network.threads"], alone["num.io.threads"]) == ("2", "4")
    assert (one_of_three["num.network.threads"], one_of_three["num.io.threads"]) == ("1", "2")
    assert one_of_three["background.threads"] == "2"


def test_settings_resolve_home_to_an_absolute_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A relative LGSP_HOME is resolved once, so child processes see the same folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LGSP_HOME", "rel-home")
    settings = Settings()
    assert settings.home == tmp_path.resolve() / "rel-home"
    assert (
        ClusterPaths.of(settings.home, "ngsp").root == tmp_path.resolve() / "rel-home/clusters/ngsp"
    )
