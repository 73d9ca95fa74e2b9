"""Where a local cluster keeps its files, and the small state it persists between starts."""

from __future__ import annotations

import json
import os
import random
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import LocalKafkaError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def check_cluster_name(name: str) -> str:
    """Cluster names become folder names: lower-case letters, digits, '-' and '_'."""
    if not _NAME.match(name):
        raise LocalKafkaError(
            f"invalid cluster name {name!r}: use 1-40 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit (e.g. 'ngsp', 'hanoi').",
            code="LGSP-KAFKA-BAD-NAME",
        )
    return name


def check_principal_name(name: str) -> str:
    """SCRAM user names: no characters SCRAM or JAAS would need to escape (',', '=', quotes)."""
    if not _PRINCIPAL.match(name):
        raise LocalKafkaError(
            f"invalid user name {name!r}: use 1-64 lower-case letters, digits, '.', '-' or '_' "
            "(e.g. 'gw-hanoi', 'cn-000-01-02-h24').",
            code="LGSP-KAFKA-BAD-NAME",
        )
    return name


@dataclass(frozen=True)
class NodePaths:
    """The files of one KRaft node (broker+controller) of a cluster.

    Node 1 lives in the cluster's folder itself (as a single-node cluster always has); nodes
    2, 3... of a multi-broker cluster in ``node-2/``, ``node-3/`` under it.
    """

    root: Path
    cluster: str = ""
    node_id: int = 1

    @property
    def name(self) -> str:
        return self.cluster if self.node_id == 1 else f"{self.cluster}/node-{self.node_id}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def properties(self) -> Path:
        return self.root / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.root / "log4j2.yaml"

    @property
    def broker_log(self) -> Path:
        return self.root / "broker.log"

    @property
    def stdout_log(self) -> Path:
        return self.root / "stdout.log"

    @property
    def pid_file(self) -> Path:
        return self.root / "broker.pid"

    @property
    def ports_file(self) -> Path:
        return self.root / "ports.json"

    @property
    def formatted(self) -> bool:
        return (self.data_dir / "meta.properties").exists()


@dataclass(frozen=True)
class ClusterPaths(NodePaths):
    """The files of one named cluster under ``<home>/clusters/<name>/``: its node 1's (the
    inherited properties), how many nodes it has, and the lock serialising starts and stops."""

    @classmethod
    def of(cls, home: Path, name: str) -> ClusterPaths:
        root = (home / "clusters" / check_cluster_name(name)).resolve()
        return cls(root, root.name)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cluster", self.root.name)

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    @property
    def brokers_file(self) -> Path:
        return self.root / "brokers"

    @property
    def cluster_id_file(self) -> Path:
        return self.root / "cluster-id"

    @property
    def brokers(self) -> int:
        """How many nodes the cluster was created with (1 unless ``--brokers`` said more)."""
        try:
            return int(self.brokers_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return 1

    def node(self, node_id: int) -> NodePaths:
        if node_id == 1:
            return NodePaths(self.root, self.name, 1)
        return NodePaths(self.root / f"node-{node_id}", self.name, node_id)

    def nodes(self) -> list[NodePaths]:
        return [self.node(i) for i in range(1, self.brokers + 1)]


@dataclass(frozen=True)
class Ports:
    """The broker (client) port and the controller port of a cluster."""

    broker: int
    controller: int


def load_ports(paths: NodePaths) -> Ports | None:
    if not paths.ports_file.exists():
        return None
    raw = json.loads(paths.ports_file.read_text())
    return Ports(broker=int(raw["broker"]), controller=int(raw["controller"]))


def save_ports(paths: NodePaths, ports: Ports) -> None:
    paths.ports_file.write_text(
        json.dumps({"broker": ports.broker, "controller": ports.controller})
    )


_LISTEN_FROM = 10_000  # the lowest port handed out for a listener
_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, for a listener to bind later.

    Taken below the kernel's ephemeral range (``ip_local_port_range``) where there is room:
    a port from that range can become the local port of any outgoing connection (a client's
    to a broker) between this call and the listener's bind, which then fails with "address
    already in use". A port is not handed out twice by one process.
    """
    low = _ephemeral_low()
    for _ in range(200):
        if low - _LISTEN_FROM < 1_000:
            break
        port = random.randrange(_LISTEN_FROM, low)
        if port not in _handed_out and port_is_free(port):
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default; elsewhere the ranges differ, the bind still checks


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def read_pid(paths: NodePaths) -> int | None:
    """The pid of this cluster's broker if it is alive, else None (a stale pid file is removed).

    A pid alone could have been reused by another program after a reboot, so on Linux the
    process's command line must also name this cluster's properties file.
    """
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if _is_our_broker(pid, paths):
        return pid
    paths.pid_file.unlink(missing_ok=True)
    return None


def _is_our_broker(pid: int, paths: NodePaths) -> bool:
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.parent.exists() and Path("/proc/self").exists():
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        return b"kafka.Kafka" in args and str(paths.properties).encode() in args
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def resident_memory_mb(pid: int) -> float | None:
    """Resident set size of a process in MiB (Linux), or None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log yet)"
