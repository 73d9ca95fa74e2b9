"""One KRaft node of a local cluster as an OS process: its files written, its storage
formatted, the JVM launched in its own session, waited for, stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from bus.kafka.security import KafkaSecurity
from bus.localkafka import certs, config, secure
from bus.localkafka.layout import NodePaths, Ports, log_tail, read_pid
from bus.localkafka.probe import broker_answers_metadata
from bus.settings import Settings
from schemas.errors import LocalKafkaError


def write_config(
    paths: NodePaths,
    ports: Ports,
    files: secure.SecureFiles | None,
    voters: Sequence[tuple[int, int]] = (),
) -> None:
    """server.properties and log4j2.yaml of one node (``voters``: the static quorum, if any)."""
    paths.root.mkdir(parents=True, exist_ok=True)
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
            node_id=paths.node_id,
            voters=voters,
        ).encode(),
    )
    paths.log4j.write_text(config.log4j2_yaml(log_file=paths.broker_log))


async def format_storage(
    java: str,
    libs: Path,
    paths: NodePaths,
    files: secure.SecureFiles | None,
    *,
    cluster_id: str,
    standalone: bool,
) -> None:
    """Format one node's storage: ``standalone`` for a one-node quorum, else for the static
    quorum its properties name (every node formatted with the same cluster id)."""
    scram = ["--add-scram", secure.scram_format_argument(files)] if files else []
    proc = await asyncio.create_subprocess_exec(
        java,
        f"-Dlog4j2.configurationFile={paths.log4j}",
        "-cp",
        f"{libs}/*",
        "kafka.tools.StorageTool",
        "format",
        *(["--standalone"] if standalone else []),
        "-t",
        cluster_id,
        "-c",
        str(paths.properties),
        *scram,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise LocalKafkaError(
            f"formatting the storage of {paths.name!r} failed:\n"
            f"{secure.redact(out.decode(errors='replace'), files)[-2000:]}",
            code="LGSP-KAFKA-START-FAILED",
        )


def launch(settings: Settings, java: str, libs: Path, paths: NodePaths) -> subprocess.Popen[bytes]:
    """Start the node's JVM in its own session, so it outlives ``lgsp kafka up``."""
    heap = f"{settings.kafka_heap_mb}m"
    with paths.stdout_log.open("ab") as stdout:
        proc = subprocess.Popen(
            [
                java,
                f"-Xms{heap}",
                f"-Xmx{heap}",
                "-XX:+UseSerialGC",
                # C1 only: a 3-broker cluster on two cores spent half its CPU in C2 compiler
                # threads for minutes after start (docs/performance.md, "The demo as deployed")
                *(["-XX:TieredStopAtLevel=1"] if settings.kafka_quick_jit else []),
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


async def wait_ready(
    settings: Settings,
    paths: NodePaths,
    ports: Ports,
    proc: subprocess.Popen[bytes] | None,
    security: KafkaSecurity | None,
) -> None:
    """Return once the node's broker answers a metadata request on its own port."""
    bootstrap = f"127.0.0.1:{ports.broker}"
    deadline = time.monotonic() + settings.kafka_start_timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise LocalKafkaError(
                f"the broker of {paths.name!r} exited with code {proc.returncode} "
                f"during start-up. Log: {paths.broker_log} (JVM output: {paths.stdout_log})\n"
                f"{log_tail(paths.broker_log)}\n{log_tail(paths.stdout_log, 5)}",
                code="LGSP-KAFKA-START-FAILED",
            )
        if await broker_answers_metadata(bootstrap, security=security):
            return
        await asyncio.sleep(0.25)
    raise LocalKafkaError(
        f"the broker of {paths.name!r} did not answer a metadata request on {bootstrap} "
        f"within {settings.kafka_start_timeout_s:.0f} s. Log: {paths.broker_log}\n"
        f"{log_tail(paths.broker_log)}",
        code="LGSP-KAFKA-START-TIMEOUT",
        retriable=True,
    )


async def stop_node(paths: NodePaths, timeout_s: float) -> bool:
    """SIGTERM the node, SIGKILL it after ``timeout_s``; True when it was running."""
    pid = read_pid(paths)
    if pid is None:
        return False
    kill_group(pid, signal.SIGTERM)
    if not await exited(paths, timeout_s):
        kill_group(pid, signal.SIGKILL)
        await exited(paths, timeout_s)
    paths.pid_file.unlink(missing_ok=True)
    return True


async def exited(paths: NodePaths, timeout_s: float) -> bool:
    """Wait for the broker to exit. It may not be our child, so polling is the only way."""
    deadline = time.monotonic() + timeout_s
    while read_pid(paths) is not None:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
