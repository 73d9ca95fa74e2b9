"""``lgsp attachments``: run the node's attachment store (a folder served over HTTP to the
node's sinks, with retention) and prune it by hand."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bus.logging import configure_logging
from bus.settings import Settings
from connectors.attachments.server import AttachmentStoreConfig, serve_attachment_store
from connectors.attachments.store import AttachmentStore

app = typer.Typer(help="The node's content-addressed attachment store.", no_args_is_help=True)
FolderOption = Annotated[Path, typer.Option(help="The store's folder.")]
RetentionOption = Annotated[
    float, typer.Option(help="Days a file is kept after it was last stored.", min=0.001)
]


@app.command()
def serve(
    folder: FolderOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one).")] = 8095,
    retention_days: RetentionOption = 30,
) -> None:
    """Serve GET /sha256/{hex} from the folder until SIGTERM, pruning it every hour."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    config = AttachmentStoreConfig(
        folder=folder, host=host, port=port, retention_s=retention_days * 86_400
    )
    asyncio.run(_serve(config))


async def _serve(config: AttachmentStoreConfig) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    loop.add_signal_handler(signal.SIGINT, stopped.set)
    async with serve_attachment_store(config) as running:
        Console(stderr=True).print(f"attachment store {config.folder} on {running.url}")
        await stopped.wait()


@app.command()
def prune(folder: FolderOption, retention_days: RetentionOption = 30) -> None:
    """Delete the files stored longer ago than the retention; print how many."""
    removed = AttachmentStore(folder).prune(retention_days * 86_400)
    Console(stderr=True).print(
        f"{removed} attachment(s) older than {retention_days:g} days deleted"
    )
