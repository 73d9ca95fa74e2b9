"""``lgsp kafka up|down|status``: local Kafka clusters (one node, or three for the production
shape) for development and tests."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from bus.localkafka import (
    cluster_status,
    list_clusters,
    start_cluster,
    stop_cluster,
    toolchain,
)
from bus.localkafka import secure as security_files
from bus.localkafka.layout import ClusterPaths
from bus.settings import Settings
from lgsp.output import OutputFormat, OutputOption, emit_json, emit_rows

app = typer.Typer(
    help="Run local Kafka clusters (KRaft, 1 or 3 brokers) on 127.0.0.1.", no_args_is_help=True
)
console = Console(stderr=True)

NameOption = Annotated[str, typer.Option("--name", "-n", help="Cluster name, e.g. ngsp, hanoi.")]


@app.command()
def fetch() -> None:
    """Fetch the Kafka broker jars from Maven Central into the cache (once; later a no-op)."""
    settings = Settings()
    with console.status(f"fetching Apache Kafka {settings.kafka_version} with Maven..."):
        libs = asyncio.run(toolchain.ensure_jars(settings.home, settings.kafka_version))
    console.print(f"Kafka {settings.kafka_version} broker jars ready in {libs}")


@app.command()
def up(
    name: NameOption = "default",
    port: Annotated[int | None, typer.Option(help="Broker port (default: a free one).")] = None,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="TLS + SASL/SCRAM listener and ACLs (StandardAuthorizer); see docs/security.md.",
        ),
    ] = False,
    brokers: Annotated[
        int | None,
        typer.Option(
            "--brokers",
            min=1,
            max=5,
            help="Nodes of a new cluster, each controller+broker (3: replication 3, "
            "min.insync 2). An existing cluster keeps its own count.",
        ),
    ] = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Start cluster NAME (fetching the broker jars the first time), or the brokers of it that
    are not running (a killed broker is started again alone), or reuse it if all run.

    Prints the bootstrap addresses on stdout once every broker answers a metadata request.
    """
    settings = Settings()
    with console.status(f"starting Kafka cluster {name!r}..."):
        status = asyncio.run(
            start_cluster(settings, name, port, secure_mode=secure, brokers=brokers)
        )
    verb = "already running" if status.reused else f"started in {status.started_in_s:.1f} s"
    mode = " (SASL_SSL, ACLs enforced)" if status.secure else ""
    size = f", {len(status.brokers)} brokers" if len(status.brokers) > 1 else ""
    console.print(
        f"cluster [bold]{name}[/] {verb} at {status.bootstrap_servers}{mode}{size} "
        f"(log: {status.log_path})"
    )
    if status.secure and status.bootstrap_servers:
        files = security_files.SecureFiles.of(ClusterPaths.of(settings.home, name))
        admin = security_files.ADMIN_USER
        env = security_files.write_env_file(files, admin, status.bootstrap_servers)
        console.print(f"super user {admin}'s client settings (0600): {env}")
    if output is OutputFormat.JSON:
        emit_json(
            {
                "name": name,
                "bootstrap_servers": status.bootstrap_servers,
                "secure": status.secure,
                "reused": status.reused,
            }
        )
    else:
        typer.echo(status.bootstrap_servers)


@app.command()
def down(
    name: NameOption = "default",
    all_clusters: Annotated[bool, typer.Option("--all", help="Stop every local cluster.")] = False,
    purge: Annotated[bool, typer.Option(help="Also delete the cluster's data and logs.")] = False,
) -> None:
    """Stop cluster NAME cleanly (or every cluster with --all)."""
    settings = Settings()
    names = [c.name for c in list_clusters(settings)] if all_clusters else [name]
    for each in names:
        stopped = asyncio.run(stop_cluster(settings, each, purge=purge))
        console.print(
            f"cluster [bold]{each}[/] {'stopped' if stopped else 'was not running'}"
            + (" and purged" if purge else "")
        )


@app.command()
def status(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only this cluster.")] = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Show local clusters: running or not, bootstrap address, pid, memory, log file.

    With --name, exit 3 when that cluster is not running (docs/errors.md).
    """
    settings = Settings()
    clusters = [cluster_status(settings, name)] if name else list_clusters(settings)
    rows = [
        {
            "name": c.name,
            "running": c.running,
            "secure": c.secure,
            "bootstrap_servers": c.bootstrap_servers,
            "pid": c.pid,
            "resident_memory_mb": c.resident_memory_mb,
            "log": str(c.log_path),
            "brokers": [
                {
                    "node_id": b.node_id,
                    "running": b.running,
                    "bootstrap_servers": b.bootstrap_servers,
                    "pid": b.pid,
                    "resident_memory_mb": b.resident_memory_mb,
                    "log": str(b.log_path),
                }
                for b in c.brokers
            ],
        }
        for c in clusters
    ]
    if output is OutputFormat.JSON:
        emit_rows(rows, output, ())
    else:
        emit_rows(
            (
                {
                    "cluster": c.name,
                    "broker": b.node_id,
                    "state": "running" if b.running else "stopped",
                    "security": "SASL_SSL+ACLs" if c.secure else "plaintext",
                    "bootstrap": b.bootstrap_servers,
                    "pid": b.pid,
                    "RSS MiB": f"{b.resident_memory_mb:.0f}" if b.resident_memory_mb else None,
                    "log": str(b.log_path),
                }
                for c in clusters
                for b in c.brokers
            ),
            output,
            ("cluster", "broker", "state", "security", "bootstrap", "pid", "RSS MiB", "log"),
        )
    if name and not clusters[0].running:
        raise typer.Exit(code=3)
