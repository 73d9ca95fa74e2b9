"""Start, stop and inspect named single-node KRaft clusters on loopback.

Each cluster lives in ``<home>/clusters/<name>/`` (properties, data, ``broker.log``) and keeps
its ports across restarts. ``start_cluster`` is idempotent: a running cluster is reused.
The broker runs in its own session so it outlives the ``lgsp kafka up`` command; an interrupted
start kills it so no orphan java process is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from bus.kafka.security import KafkaSecurity
from bus.localkafka import certs, config, secure, toolchain
from bus.localkafka.layout import (
    ClusterPaths,
    Ports,
    free_port,
    load_ports,
    log_tail,
    port_is_free,
    read_pid,
    resident_memory_mb,
    save_ports,
)
from bus.localkafka.probe import broker_answers_metadata
from bus.settings import Settings
from schemas.errors import LocalKafkaError


@dataclass(frozen=True)
class ClusterStatus:
    """What an operator needs to know about one local cluster."""

    name: str
    running: bool
    bootstrap_servers: str | None
    pid: int | None
    log_path: Path
    resident_memory_mb: float | None = None
    reused: bool = False
    started_in_s: float | None = None
    secure: bool = False


async def start_cluster(
    settings: Settings, name: str, port: int | None = None, *, secure_mode: bool = False
) -> ClusterStatus:
    """Start cluster ``name`` (or reuse it when running) and return once it answers metadata.

    ``secure_mode`` makes a new cluster secure (TLS, SASL/SCRAM, ACLs: see ``secure``); a
    cluster made secure stays secure at every later start.
    """
    paths = ClusterPaths.of(settings.home, name)
    paths.root.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with _exclusive(paths):
        files = secure.SecureFiles.of(paths)
        if secure_mode and paths.formatted and not files.exists:
            raise LocalKafkaError(
                f"cluster {name!r} was created without --secure; start it afresh with "
                f"`lgsp kafka down --name {name} --purge`, then `up --secure`.",
                code="LGSP-KAFKA-NOT-SECURE",
            )
        if secure_mode:
            secure.prepare(files)
        security = secure.client_security(files) if files.exists else None
        pid = read_pid(paths)
        ports = load_ports(paths)
        if pid is not None and ports is not None:
            if port is not None and port != ports.broker:
                raise LocalKafkaError(
                    f"cluster {name!r} is already running on port {ports.broker}, not {port}; "
                    f"stop it first with `lgsp kafka down --name {name}`.",
                    code="LGSP-KAFKA-PORT-CONFLICT",
                )
            await _wait_ready(settings, paths, ports, proc=None, security=security)
            return cluster_status(settings, name, reused=True)
        java = toolchain.find_java()
        await toolchain.check_java_version(java)
        libs = await toolchain.ensure_jars(settings.home, settings.kafka_version)
        ports = _choose_ports(paths, ports, port)
        _write_config(paths, ports, files if security else None)
        if not paths.formatted:
            await _format_storage(java, libs, paths, files if security else None)
        proc = _launch(settings, java, libs, paths)
        try:
            await _wait_ready(settings, paths, ports, proc=proc, security=security)
        except BaseException:  # timeout, failure, Ctrl-C or cancellation: leave no orphan
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait()
            paths.pid_file.unlink(missing_ok=True)
            raise
    status = cluster_status(settings, name)
    return ClusterStatus(**{**status.__dict__, "started_in_s": time.monotonic() - began})


async def stop_cluster(settings: Settings, name: str, purge: bool = False) -> bool:
    """Stop cluster ``name`` cleanly (SIGTERM, then SIGKILL after the stop timeout).

    Returns True when a running broker was stopped. ``purge`` also deletes its data and logs.
    """
    paths = ClusterPaths.of(settings.home, name)
    if not paths.root.exists():
        return False
    with _exclusive(paths):
        pid = read_pid(paths)
        if pid is not None:
            _kill_group(pid, signal.SIGTERM)
            if not await _exited(paths, settings.kafka_stop_timeout_s):
                _kill_group(pid, signal.SIGKILL)
                await _exited(paths, settings.kafka_stop_timeout_s)
            paths.pid_file.unlink(missing_ok=True)
    if purge:
        shutil.rmtree(paths.root, ignore_errors=True)
    return pid is not None


def cluster_status(settings: Settings, name: str, reused: bool = False) -> ClusterStatus:
    """Status of cluster ``name`` from its files and process, without network calls."""
    paths = ClusterPaths.of(settings.home, name)
    pid = read_pid(paths) if paths.root.exists() else None
    ports = load_ports(paths) if paths.root.exists() else None
    return ClusterStatus(
        name=name,
        running=pid is not None,
        bootstrap_servers=f"127.0.0.1:{ports.broker}" if ports else None,
        pid=pid,
        log_path=paths.broker_log,
        resident_memory_mb=resident_memory_mb(pid) if pid else None,
        reused=reused,
        secure=secure.SecureFiles.of(paths).exists,
    )


def list_clusters(settings: Settings) -> list[ClusterStatus]:
    """Every cluster that has a folder under ``<home>/clusters``."""
    root = settings.home / "clusters"
    if not root.exists():
        return []
    return [cluster_status(settings, p.name) for p in sorted(root.iterdir()) if p.is_dir()]


@contextlib.asynccontextmanager
async def local_cluster(
    settings: Settings, name: str, port: int | None = None
) -> AsyncIterator[ClusterStatus]:
    """Run a cluster for the duration of the block; stop it after only if this block started it."""
    status = await start_cluster(settings, name, port)
    try:
        yield status
    finally:
        if not status.reused:
            await stop_cluster(settings, name)


@contextlib.contextmanager
def _exclusive(paths: ClusterPaths) -> Iterator[None]:
    """Serialise start/stop of one cluster across processes (the kernel frees it on death)."""
    with paths.lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _choose_ports(paths: ClusterPaths, saved: Ports | None, requested: int | None) -> Ports:
    """Keep the saved ports (the controller's is written into the formatted storage)."""
    broker = requested or (saved.broker if saved else free_port())
    controller = saved.controller if saved else free_port()
    for role, number in (("broker", broker), ("controller", controller)):
        if not port_is_free(number):
            raise LocalKafkaError(
                f"port {number} ({role} of cluster {paths.name!r}) is in use by another "
                f"program. Free it, choose another with --port, or start afresh with "
                f"`lgsp kafka down --name {paths.name} --purge`. Log: {paths.broker_log}",
                code="LGSP-KAFKA-PORT-IN-USE",
            )
    ports = Ports(broker=broker, controller=controller)
    save_ports(paths, ports)
    return ports


def _write_config(paths: ClusterPaths, ports: Ports, files: secure.SecureFiles | None) -> None:
    listeners = (
        secure.broker_properties(files, port=ports.broker, controller_port=ports.controller)
        if files
        else None
    )
    # The secure properties hold the super user's password: owner-readable only.
    certs.write_private(
        paths.properties,
        config.server_properties(
            port=ports.broker,
            controller_port=ports.controller,
            data_dir=paths.data_dir,
            listener_lines=listeners,
        ).encode(),
    )
    paths.log4j.write_text(config.log4j2_yaml(log_file=paths.broker_log))


async def _format_storage(
    java: str, libs: Path, paths: ClusterPaths, files: secure.SecureFiles | None
) -> None:
    scram = ["--add-scram", secure.scram_format_argument(files)] if files else []
    proc = await asyncio.create_subprocess_exec(
        java,
        f"-Dlog4j2.configurationFile={paths.log4j}",
        "-cp",
        f"{libs}/*",
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "-t",
        config.new_cluster_id(),
        "-c",
        str(paths.properties),
        *scram,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise LocalKafkaError(
            f"formatting the storage of cluster {paths.name!r} failed:\n"
            f"{secure.redact(out.decode(errors='replace'), files)[-2000:]}",
            code="LGSP-KAFKA-START-FAILED",
        )


def _launch(
    settings: Settings, java: str, libs: Path, paths: ClusterPaths
) -> subprocess.Popen[bytes]:
    heap = f"{settings.kafka_heap_mb}m"
    with paths.stdout_log.open("ab") as stdout:
        proc = subprocess.Popen(
            [
                java,
                f"-Xms{heap}",
                f"-Xmx{heap}",
                "-XX:+UseSerialGC",
                "-XX:MaxDirectMemorySize=128m",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={paths.log4j}",
                "-cp",
                f"{libs}/*",
                "kafka.Kafka",
                str(paths.properties),
            ],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            cwd=paths.root,
            start_new_session=True,
        )
    paths.pid_file.write_text(str(proc.pid))
    return proc


async def _wait_ready(
    settings: Settings,
    paths: ClusterPaths,
    ports: Ports,
    proc: subprocess.Popen[bytes] | None,
    security: KafkaSecurity | None,
) -> None:
    bootstrap = f"127.0.0.1:{ports.broker}"
    deadline = time.monotonic() + settings.kafka_start_timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise LocalKafkaError(
                f"the broker of cluster {paths.name!r} exited with code {proc.returncode} "
                f"during start-up. Log: {paths.broker_log} (JVM output: {paths.stdout_log})\n"
                f"{log_tail(paths.broker_log)}\n{log_tail(paths.stdout_log, 5)}",
                code="LGSP-KAFKA-START-FAILED",
            )
        if await broker_answers_metadata(bootstrap, security=security):
            return
        await asyncio.sleep(0.25)
    raise LocalKafkaError(
        f"the broker of cluster {paths.name!r} did not answer a metadata request on {bootstrap} "
        f"within {settings.kafka_start_timeout_s:.0f} s. Log: {paths.broker_log}\n"
        f"{log_tail(paths.broker_log)}",
        code="LGSP-KAFKA-START-TIMEOUT",
        retriable=True,
    )


async def _exited(paths: ClusterPaths, timeout_s: float) -> bool:
    """Wait for the broker to exit. It may not be our child, so polling is the only way."""
    deadline = time.monotonic() + timeout_s
    while read_pid(paths) is not None:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
