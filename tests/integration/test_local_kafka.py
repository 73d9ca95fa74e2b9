"""The local-broker launcher: idempotent start, independent named clusters, clean stop, and
clear errors for every way a start can go wrong."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.factory import PLAINTEXT, new_admin
from bus.localkafka import cluster_status, start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths
from bus.settings import Settings
from schemas.errors import LocalKafkaError


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def _topics(bootstrap: str) -> set[str]:
    admin = new_admin(bootstrap, PLAINTEXT)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def side_cluster(settings: Settings) -> Iterator[str]:
    """A second cluster beside the run's main one, purged at the end."""
    name = _unique("pytest-side")
    asyncio.run(start_cluster(settings, name))
    yield name
    asyncio.run(stop_cluster(settings, name, purge=True))


async def test_second_up_reuses_the_running_broker(settings: Settings, side_cluster: str) -> None:
    """Starting a running cluster again returns at once with the same process and address."""
    first = cluster_status(settings, side_cluster)
    began = time.monotonic()
    again = await start_cluster(settings, side_cluster)
    assert again.reused
    assert (again.pid, again.bootstrap_servers) == (first.pid, first.bootstrap_servers)
    assert time.monotonic() - began < 5


async def test_named_clusters_run_side_by_side_independently(
    settings: Settings, side_cluster: str, kafka_bootstrap: str
) -> None:
    """Two named clusters have their own ports and their own topics."""
    side = cluster_status(settings, side_cluster)
    assert side.running and side.bootstrap_servers and side.bootstrap_servers != kafka_bootstrap
    topic = _unique("only-on-side")
    await ensure_topics(side.bootstrap_servers, [TopicSpec(topic)])
    assert topic in await _topics(side.bootstrap_servers)
    assert topic not in await _topics(kafka_bootstrap)


async def test_down_stops_the_broker_and_up_restarts_it_with_its_data(
    settings: Settings, side_cluster: str
) -> None:
    """`down` ends the java process; the next `up` comes back on the same port, topics kept."""
    before = cluster_status(settings, side_cluster)
    assert before.pid and before.bootstrap_servers
    topic = _unique("kept")
    await ensure_topics(before.bootstrap_servers, [TopicSpec(topic)])

    assert await stop_cluster(settings, side_cluster)
    assert not _alive(before.pid)
    assert not cluster_status(settings, side_cluster).running

    after = await start_cluster(settings, side_cluster)
    assert not after.reused and after.bootstrap_servers == before.bootstrap_servers
    assert topic in await _topics(after.bootstrap_servers)


def _jvm_arguments(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


async def test_quick_jit_is_a_setting_of_the_brokers_jvm(
    settings: Settings, side_cluster: str
) -> None:
    """Brokers compile with C1 only by default; LGSP_KAFKA_QUICK_JIT=false gives the JVM's
    full tiered compilation."""
    running = cluster_status(settings, side_cluster)
    assert running.pid and "-XX:TieredStopAtLevel=1" in _jvm_arguments(running.pid)
    assert await stop_cluster(settings, side_cluster)
    full_jit = settings.model_copy(update={"kafka_quick_jit": False})
    tiered = await start_cluster(full_jit, side_cluster)
    assert tiered.pid and not tiered.reused
    arguments = _jvm_arguments(tiered.pid)
    assert "kafka.Kafka" in arguments and "-XX:TieredStopAtLevel=1" not in arguments


async def test_port_in_use_is_refused_with_its_code(settings: Settings) -> None:
    """Asking for a port another program holds fails at once with LGSP-KAFKA-PORT-IN-USE."""
    name = _unique("pytest-busy")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        with pytest.raises(LocalKafkaError) as raised:
            await start_cluster(settings, name, port=busy)
    assert raised.value.code == "LGSP-KAFKA-PORT-IN-USE"
    assert str(busy) in raised.value.message
    await stop_cluster(settings, name, purge=True)


async def test_broker_dying_at_start_is_reported_with_its_log(settings: Settings) -> None:
    """A broker whose JVM cannot start fails fast with LGSP-KAFKA-START-FAILED and the log path."""
    name = _unique("pytest-dies")
    impossible = settings.model_copy(update={"kafka_heap_mb": 100_000_000})
    began = time.monotonic()
    with pytest.raises(LocalKafkaError) as raised:
        await start_cluster(impossible, name)
    assert raised.value.code == "LGSP-KAFKA-START-FAILED"
    assert str(ClusterPaths.of(settings.home, name).broker_log) in raised.value.message
    assert time.monotonic() - began < 30
    await stop_cluster(settings, name, purge=True)


def test_a_stale_pid_file_is_not_taken_for_a_running_broker(settings: Settings) -> None:
    """A pid file naming a process that is not this cluster's broker is cleared, not trusted."""
    name = _unique("pytest-stale")
    paths = ClusterPaths.of(settings.home, name)
    paths.root.mkdir(parents=True)
    paths.pid_file.write_text(str(os.getpid()))  # alive, but a Python process, not the broker
    status = cluster_status(settings, name)
    assert not status.running and status.pid is None
    assert not paths.pid_file.exists()
    asyncio.run(stop_cluster(settings, name, purge=True))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgsp", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_interrupted_start_leaves_no_orphan_java(settings: Settings) -> None:
    """Ctrl-C while `lgsp kafka up` waits for the broker kills the java process it launched."""
    name = _unique("pytest-ctrlc")
    paths = ClusterPaths.of(settings.home, name)
    env = {**os.environ, "LGSP_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lgsp", "kafka", "up", "--name", name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not paths.pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    java_pid = int(paths.pid_file.read_text())
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) != 0
    time.sleep(0.5)
    assert not _alive(java_pid)
    asyncio.run(stop_cluster(settings, name, purge=True))


def test_missing_java_says_what_to_install(settings: Settings) -> None:
    """Without java on PATH or JAVA_HOME, `up` exits 1 with LGSP-KAFKA-JAVA-MISSING."""
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env.update(PATH="", LGSP_HOME=str(settings.home))
    result = _cli(["kafka", "up", "--name", _unique("pytest-nojava")], env)
    assert result.returncode == 1
    assert "LGSP-KAFKA-JAVA-MISSING" in result.stderr and "openjdk" in result.stderr


def test_missing_maven_without_cached_jars_says_what_to_install(tmp_path: Path) -> None:
    """With java but no mvn and an empty jar cache, `up` exits 1 with LGSP-KAFKA-MAVEN-MISSING."""
    only_java = tmp_path / "bin"
    only_java.mkdir()
    java = subprocess.run(
        ["sh", "-c", "command -v java"], capture_output=True, text=True
    ).stdout.strip()
    (only_java / "java").symlink_to(Path(java).resolve())
    env = {**os.environ, "PATH": str(only_java), "LGSP_HOME": str(tmp_path / "home")}
    result = _cli(["kafka", "up", "--name", "nomaven"], env)
    assert result.returncode == 1
    assert "LGSP-KAFKA-MAVEN-MISSING" in result.stderr and "apt-get install maven" in result.stderr
