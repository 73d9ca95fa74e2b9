"""``lgsp trust keygen|sign|serve|show``: node keys and the signed trust registry."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry

from bus.httpserver import http_server
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.authoring import sign_registry_file, write_key_pair
from gateway.federation.trust.server import registry_app
from gateway.federation.trust.signing import Algorithm
from gateway.federation.trust.store import TrustStore
from lgsp.node_config import federation_of_config, node_and_bootstrap
from lgsp.output import OutputFormat, OutputOption, emit_rows
from lgsp.output import messages as console

app = typer.Typer(help="Node keys and the trust registry.", no_args_is_help=True)


@app.command()
def keygen(
    key_id: Annotated[str, typer.Argument(help="Key id, e.g. hanoi-2026a.")],
    out: Annotated[Path, typer.Option(help="Folder for <key id>.key.pem and .pub.pem.")],
    algorithm: Annotated[str, typer.Option(help="Ed25519 or ECDSA-P256-SHA256.")] = "Ed25519",
) -> None:
    """Make a signing key pair; the private key file is readable by its owner only."""
    if algorithm not in ("Ed25519", "ECDSA-P256-SHA256"):
        raise typer.BadParameter("use Ed25519 or ECDSA-P256-SHA256", param_hint="--algorithm")
    algo: Algorithm = "Ed25519" if algorithm == "Ed25519" else "ECDSA-P256-SHA256"
    private = write_key_pair(out, key_id, algo)
    console.print(f"wrote {private} and {private.with_name(key_id + '.pub.pem')}")


@app.command()
def sign(
    source: Annotated[Path, typer.Argument(help="Registry source (YAML): nodes, agencies, keys.")],
    anchor_key: Annotated[Path, typer.Option(help="The anchor's private key file.")],
    anchor_id: Annotated[str, typer.Option(help="The anchor key's id.")],
    out: Annotated[Path, typer.Option(help="Where to write the signed registry (JSON).")],
) -> None:
    """Sign a registry with the anchor key (NGSP operators)."""
    out.write_bytes(sign_registry_file(source, anchor_id, anchor_key))
    console.print(f"wrote {out}")


@app.command()
def serve(
    registry: Annotated[Path, typer.Argument(help="The signed registry file to publish.")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8099,
) -> None:
    """Publish the signed registry at /trust/registry.json (read again on every request)."""

    async def run() -> None:
        async with http_server(registry_app(registry), host, port):
            console.print(f"serving http://{host}:{port}/trust/registry.json")
            await asyncio.Event().wait()

    asyncio.run(run())


@app.command()
def show(
    config: Annotated[Path, typer.Option("--config", "-c", help="The node's gateway file.")],
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Fetch and verify the registry as this node would, and list its nodes and keys."""
    gateway_config, _ = node_and_bootstrap(config)
    federation = federation_of_config(gateway_config)
    store = TrustStore(
        federation.trust,
        gateway_config.base_dir,
        FederationMetrics(CollectorRegistry(), gateway_config.node),
    )
    trusted = asyncio.run(store.refresh())
    console.print(f"registry serial {trusted.serial}, issued {trusted.document.issued_at}")
    rows = [
        {
            "node": node.name,
            "operator": node.operator,
            "hub": node.hub,
            "agencies": "; ".join(node.agencies),
            "keys": ", ".join(
                f"{k.key_id} {k.algorithm} {k.not_after:%Y-%m-%d}" for k in node.keys
            ),
            "registry_serial": trusted.serial,
        }
        for node in trusted.document.nodes
    ]
    emit_rows(rows, output, ("node", "operator", "hub", "agencies", "keys"))
