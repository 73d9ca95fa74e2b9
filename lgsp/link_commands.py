"""``lgsp link status|pause|resume|receipts``: a node's federation links, run by its gateway."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry

from gateway.federation.links.control import set_link_paused
from gateway.federation.metrics import FederationMetrics
from gateway.federation.receipts.book import receipts_for
from gateway.federation.trust.store import TrustStore
from lgsp.node_config import federation_of_config, node_cluster
from lgsp.output import OutputFormat, OutputOption, confirm, emit_rows, messages
from schemas.errors import LgspError

app = typer.Typer(help="Pause, resume and inspect links to other nodes.", no_args_is_help=True)
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The node's gateway file.")]
Peer = Annotated[str, typer.Argument(help="The peer node's name, e.g. ngsp.")]
Yes = Annotated[bool, typer.Option("--yes", help="Do it without asking.")]


def _set(config: Path, peer: str, paused: bool, yes: bool) -> None:
    gateway_config, cluster = node_cluster(config)
    peers = [link.peer for link in federation_of_config(gateway_config).links]
    if peer not in peers:
        raise LgspError(
            f"no link to {peer!r}; links: {', '.join(peers) or 'none'}",
            code="LGSP-FED-UNKNOWN-PEER",
        )
    confirm(f"{'pause' if paused else 'resume'} link {gateway_config.node} -> {peer}", yes)
    asyncio.run(set_link_paused(cluster, gateway_config.node, peer, paused))
    messages.print(f"link {gateway_config.node} -> {peer} {'paused' if paused else 'resumed'}")


@app.command()
def pause(config: ConfigOption, peer: Peer, yes: Yes = False) -> None:
    """Stop forwarding to a peer: records wait in the outbox (kept across restarts)."""
    _set(config, peer, True, yes)


@app.command()
def resume(config: ConfigOption, peer: Peer, yes: Yes = False) -> None:
    """Forward to a peer again, from where the link stopped."""
    _set(config, peer, False, yes)


@app.command()
def receipts(
    config: ConfigOption,
    key: Annotated[str, typer.Argument(help="The document's key (documentId).")],
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Who received a document sent from this node, and when (signatures checked)."""
    gateway_config, cluster = node_cluster(config)
    federation = federation_of_config(gateway_config)
    store = TrustStore(
        federation.trust,
        gateway_config.base_dir,
        FederationMetrics(CollectorRegistry(), gateway_config.node),
    )

    async def run() -> list[dict[str, object]]:
        registry = await store.refresh()
        found = await receipts_for(cluster, gateway_config.node, key, registry)
        return [r.as_json() for r in found]

    found = asyncio.run(run())
    columns = tuple(found[0]) if found else ("key",)
    emit_rows(found, output, columns)
    messages.print(f"{len(found)} receipt(s) for {key}")
