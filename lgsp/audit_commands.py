"""``lgsp audit archive|verify``: the border's hash-chained audit log, archived and checked."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import TopicPartition

from bus.kafka import LogReader
from gateway.federation.border.audit import (
    archived_entries,
    check_chain,
    last_archived_seq,
    write_batch,
)
from gateway.federation.border.state import audit_topic
from lgsp.node_config import node_and_bootstrap
from lgsp.output import OutputFormat, OutputOption, emit_json
from lgsp.output import messages as console
from lgsp.progress import progress_bar

app = typer.Typer(help="Archive and verify a node's border audit chain.", no_args_is_help=True)


@app.command()
def verify(
    paths: Annotated[list[Path], typer.Argument(help="Archive files or folders of them.")],
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Check a chain offline; exit 1 naming the first broken entry (2 if a path is missing)."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    check = check_chain(archived_entries(paths))
    if output is OutputFormat.JSON:
        emit_json(
            {
                "intact": check.intact,
                "entries": check.entries,
                "last_hash": check.last_hash,
                "broken_seq": check.broken_seq,
                "broken_at": check.broken_at,
                "why": check.why,
            }
        )
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
    with console.status(f"reading {node}'s audit topic..."):
        entries = asyncio.run(_read(bootstrap, node))
    new = [e for e in entries if e["seq"] > after]
    files = []
    with progress_bar(f"archiving {node}'s audit entries", len(new)) as advance:
        for start in range(0, len(new), batch):
            files.append(write_batch(out, node, new[start : start + batch]))
            advance(len(new[start : start + batch]))
    console.print(f"archived {len(new)} entries in {len(files)} files to {out}")


async def _read(bootstrap: str, node: str) -> list[dict[str, Any]]:
    async with LogReader(bootstrap) as reader:
        records = await reader.read({TopicPartition(audit_topic(node), 0): None})
    return [json.loads(r.value or b"{}") for r in records]
