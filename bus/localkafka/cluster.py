"""Start, stop and inspect named KRaft clusters on loopback: one node, or several
(``brokers=3``: three nodes, each controller and broker, one quorum).

Each cluster lives in ``<home>/clusters/<name>/`` (node 1's properties, data and
``broker.log``; nodes 2.. in ``node-2/``...) and keeps its ports across restarts.
``start_cluster`` is idempotent: running nodes are reused and only missing ones started, so
a killed broker comes back alone. Brokers run in their own sessions so they outlive the
``lgsp kafka up`` command; an interrupted start kills what it launched, leaving no orphan.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from bus.localkafka import config, nodes, secure, toolchain
from bus.localkafka.layout import (
    ClusterPaths,
    NodePaths,
    Ports,
    free_port,
    load_ports,
    port_is_free,
    read_pid,
    resident_memory_mb,
    save_ports,
)
from bus.localkafka.lock import exclusive
from bus.settings import Settings
from schemas.errors import LocalKafkaError

MAX_BROKERS = 5


@dataclass(frozen=True)
class BrokerStatus:
    """One node (controller+broker) of a local cluster."""

    node_id: int
    running: bool
    bootstrap_servers: str | None
    pid: int | None
    log_path: Path
    resident_memory_mb: float | None = None


@dataclass(frozen=True)
class ClusterStatus:
    """What an operator needs to know about one local cluster (``running``: every broker)."""

    name: str
    running: bool
    bootstrap_servers: str | None
    pid: int | None
    log_path: Path
    resident_memory_mb: float | None = None
    reused: bool = False
    started_in_s: float | None = None
    secure: bool = False
    brokers: tuple[BrokerStatus, ...] = ()


async def start_cluster(
    settings: Settings,
    name: str,
    port: int | None = None,
    *,
    secure_mode: bool = False,
    brokers: int | None = None,
) -> ClusterStatus:
    """Start cluster ``name`` (its missing brokers; all when new) and return once every broker
    answers metadata. ``brokers``: the node count of a new cluster (default 1); an existing
    cluster keeps its own. ``port``: node 1's client port.

    ``secure_mode`` makes a new cluster secure (TLS, SASL/SCRAM, ACLs: see ``secure``); a
    cluster made secure stays secure at every later start.
    """
    paths = ClusterPaths.of(settings.home, name)
    paths.root.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    async with exclusive(paths):
        files = secure.SecureFiles.of(paths)
        if secure_mode and paths.formatted and not files.exists:
            raise LocalKafkaError(
                f"cluster {name!r} was created without --secure; start it afresh with "
                f"`lgsp kafka down --name {name} --purge`, then `up --secure`.",
                code="LGSP-KAFKA-NOT-SECURE",
            )
        count = _broker_count(paths, brokers)
        if secure_mode:
            secure.prepare(files)
        security = secure.client_security(files) if files.exists else None
        members = [paths.node(i) for i in range(1, count + 1)]
        running = {n.node_id for n in members if read_pid(n) is not None}
        saved = {n.node_id: load_ports(n) for n in members}
        node1 = saved[1]
        if 1 in running and node1 is not None and port is not None and port != node1.broker:
            raise LocalKafkaError(
                f"cluster {name!r} is already running on port {node1.broker}, not {port}; "
                f"stop it first with `lgsp kafka down --name {name}`.",
                code="LGSP-KAFKA-PORT-CONFLICT",
            )
        known = {i: p for i, p in saved.items() if p is not None}
        if len(running) == count and len(known) == count:
            await asyncio.gather(
                *(nodes.wait_ready(settings, n, known[n.node_id], None, security) for n in members)
            )
            return cluster_status(settings, name, reused=True)
        java = toolchain.find_java()
        await toolchain.check_java_version(java)
        libs = await toolchain.ensure_jars(settings.home, settings.kafka_version)
        ports = _choose_ports(members, saved, running, port)
        voters = [(n.node_id, ports[n.node_id].controller) for n in members] if count > 1 else []
        missing = [n for n in members if n.node_id not in running]
        cluster_id = _cluster_id(paths)
        for member in missing:
            nodes.write_config(member, ports[member.node_id], files if security else None, voters)
            if not member.formatted:
                await nodes.format_storage(
                    java,
                    libs,
                    member,
                    files if security else None,
                    cluster_id=cluster_id,
                    standalone=count == 1,
                )
        paths.brokers_file.write_text(str(count))
        launched = [(m, nodes.launch(settings, java, libs, m)) for m in missing]
        try:
            await asyncio.gather(
                *(
                    nodes.wait_ready(settings, m, ports[m.node_id], proc, security)
                    for m, proc in launched
                )
            )
        except BaseException:  # timeout, failure, Ctrl-C or cancellation: leave no orphan
            for member, proc in launched:
                nodes.kill_group(proc.pid, signal.SIGKILL)
                proc.wait()
                member.pid_file.unlink(missing_ok=True)
            raise
    status = cluster_status(settings, name)
    return replace(status, started_in_s=time.monotonic() - began)


async def stop_cluster(settings: Settings, name: str, purge: bool = False) -> bool:
    """Stop every broker of cluster ``name`` cleanly (SIGTERM, then SIGKILL after the stop
    timeout). Returns True when a running broker was stopped. ``purge`` also deletes its data
    and logs."""
    paths = ClusterPaths.of(settings.home, name)
    if not paths.root.exists():
        return False
    async with exclusive(paths):
        stopped = await asyncio.gather(
            *(nodes.stop_node(n, settings.kafka_stop_timeout_s) for n in paths.nodes())
        )
    if purge:
        shutil.rmtree(paths.root, ignore_errors=True)
    return any(stopped)


def broker_status(paths: NodePaths) -> BrokerStatus:
    pid = read_pid(paths) if paths.root.exists() else None
    ports = load_ports(paths) if paths.root.exists() else None
    return BrokerStatus(
        node_id=paths.node_id,
        running=pid is not None,
        bootstrap_servers=f"127.0.0.1:{ports.broker}" if ports else None,
        pid=pid,
        log_path=paths.broker_log,
        resident_memory_mb=resident_memory_mb(pid) if pid else None,
    )


def cluster_status(settings: Settings, name: str, reused: bool = False) -> ClusterStatus:
    """Status of cluster ``name`` and of each broker, from files and processes (no network)."""
    paths = ClusterPaths.of(settings.home, name)
    each = tuple(broker_status(n) for n in paths.nodes())
    addresses = [b.bootstrap_servers for b in each if b.bootstrap_servers]
    memory = [b.resident_memory_mb for b in each if b.resident_memory_mb]
    return ClusterStatus(
        name=name,
        running=all(b.running for b in each),
        bootstrap_servers=",".join(addresses) if addresses else None,
        pid=each[0].pid,
        log_path=paths.broker_log,
        resident_memory_mb=sum(memory) if memory else None,
        reused=reused,
        secure=secure.SecureFiles.of(paths).exists,
        brokers=each,
    )


def list_clusters(settings: Settings) -> list[ClusterStatus]:
    """Every cluster that has a folder under ``<home>/clusters``."""
    root = settings.home / "clusters"
    if not root.exists():
        return []
    return [cluster_status(settings, p.name) for p in sorted(root.iterdir()) if p.is_dir()]


@contextlib.asynccontextmanager
async def local_cluster(
    settings: Settings, name: str, port: int | None = None, *, brokers: int | None = None
) -> AsyncIterator[ClusterStatus]:
    """Run a cluster for the duration of the block; stop it after only if this block started it."""
    status = await start_cluster(settings, name, port, brokers=brokers)
    try:
        yield status
    finally:
        if not status.reused:
            await stop_cluster(settings, name)


def _broker_count(paths: ClusterPaths, requested: int | None) -> int:
    """The node count: a formatted cluster's own (a quorum cannot change size by restart)."""
    if requested is not None and not 1 <= requested <= MAX_BROKERS:
        raise LocalKafkaError(
            f"--brokers {requested}: a local cluster has 1 to {MAX_BROKERS} brokers (3 is the "
            "production shape)",
            code="LGSP-KAFKA-BROKERS",
        )
    if paths.formatted and requested is not None and requested != paths.brokers:
        raise LocalKafkaError(
            f"cluster {paths.name!r} has {paths.brokers} broker(s), not {requested}; start it "
            f"afresh with `lgsp kafka down --name {paths.name} --purge`, then "
            f"`up --brokers {requested}`.",
            code="LGSP-KAFKA-BROKERS",
        )
    return requested or paths.brokers


def _cluster_id(paths: ClusterPaths) -> str:
    """The cluster id every node is formatted with, kept so a lost node can be re-formatted."""
    if paths.cluster_id_file.exists():
        return paths.cluster_id_file.read_text().strip()
    cluster_id = config.new_cluster_id()
    paths.cluster_id_file.write_text(cluster_id)
    return cluster_id


def _choose_ports(
    members: list[NodePaths],
    saved: dict[int, Ports | None],
    running: set[int],
    requested: int | None,
) -> dict[int, Ports]:
    """Keep the saved ports (the controllers' are written into the formatted storage and the
    quorum); new ones are free and distinct."""
    chosen: dict[int, Ports] = {}
    taken: set[int] = {p for s in saved.values() if s for p in (s.broker, s.controller)}

    def fresh() -> int:
        while (number := free_port()) in taken:
            pass
        taken.add(number)
        return number

    for member in members:
        old = saved[member.node_id]
        if member.node_id in running and old is not None:
            chosen[member.node_id] = old
            continue
        wanted = requested if member.node_id == 1 else None
        broker = wanted or (old.broker if old else fresh())
        controller = old.controller if old else fresh()
        for role, number in (("broker", broker), ("controller", controller)):
            if not port_is_free(number):
                raise LocalKafkaError(
                    f"port {number} ({role} of {member.name!r}) is in use by another "
                    f"program. Free it, choose another with --port, or start afresh with "
                    f"`lgsp kafka down --name {member.cluster} --purge`. Log: {member.broker_log}",
                    code="LGSP-KAFKA-PORT-IN-USE",
                )
        chosen[member.node_id] = Ports(broker=broker, controller=controller)
        member.root.mkdir(parents=True, exist_ok=True)
        save_ports(member, chosen[member.node_id])
    return chosen
