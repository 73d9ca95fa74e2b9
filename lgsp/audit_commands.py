"""``lgsp audit archive|verify``: the border's hash-chained audit log, archived and checked."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import TopicPartition
from rich.console import Console

from bus.kafka import LogReader
from gateway.federation.border.audit import (
    archived_entries,
    check_chain,
    last_archived_seq,
    write_batch,
)
from gateway.federation.border.state import audit_topic
from lgsp.node_config import node_and_bootstrap

app = typer.Typer(help="Archive and verify a node's border audit chain.", no_args_is_help=True)
console = Console()


@app.command()
def verify(
    paths: Annotated[list[Path], typer.Argument(help="Archive files or folders of them.")],
) -> None:
    """Check a chain offline; exit 1 naming the first broken entry."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    check = check_chain(archived_entries(paths))
    if check.intact:
        console.print(f"chain intact: {check.entries} entries, last hash {check.last_hash}")
        return
    console.print(
        f"[bold red]chain broken[/] at entry {check.broken_seq} ({check.broken_at}): "
        f"{check.why}; {check.entries} entries before it verify",
        highlight=False,
    )
    raise typer.Exit(1)


@app.command()
def archive(
    config: Annotated[Path, typer.Option("--config", "-c", help="The node's gateway file.")],
    out: Annotated[Path, typer.Option(help="Folder of archive files.")],
    batch: Annotated[int, typer.Option(min=1, help="Entries per archive file.")] = 10_000,
) -> None:
    """Copy the audit entries not yet archived into ``out``, in files of ``batch`` entries."""
    gateway_config, bootstrap = node_and_bootstrap(config)
    node = gateway_config.node
    after = last_archived_seq(out, node)
    entries = asyncio.run(_read(bootstrap, node))
    new = [e for e in entries if e["seq"] > after]
    files = [write_batch(out, node, new[i : i + batch]) for i in range(0, len(new), batch)]
    console.print(f"archived {len(new)} entries in {len(files)} files to {out}")


async def _read(bootstrap: str, node: str) -> list[dict[str, Any]]:
    async with LogReader(bootstrap) as reader:
        records = await reader.read({TopicPartition(audit_topic(node), 0): None})
    return [json.loads(r.value or b"{}") for r in records]
