"""``lgsp dlq list|show|redrive|purge``: what the gateway parked, and putting it back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bus.settings import Settings
from bus.wireformat import SINGLE_OBJECT, as_single_object
from gateway.config import load_gateway_config
from gateway.ops.dlq import DeadLetter, DeadLetterFilter, DeadLetters
from lgsp.output import OutputFormat, OutputOption, emit_object, emit_rows, messages
from lgsp.progress import progress_bar
from schemas.codec import AvroCodec
from schemas.errors import LgspError
from schemas.jsonform import to_json

app = typer.Typer(help="Inspect and redrive a node's dead letters.", no_args_is_help=True)
REDRIVE_BATCH = 500
"""Letters per transaction of a redrive or purge (a large one shows a progress bar)."""

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="The node's gateway file.")
]
NodeOption = Annotated[str | None, typer.Option(help="Node name (instead of --config).")]
Code = Annotated[str | None, typer.Option(help="Only this error code, e.g. LGSP-GW-FORBIDDEN.")]
Reason = Annotated[str | None, typer.Option(help="Only reasons containing this text.")]
Agency = Annotated[
    str | None, typer.Option(help="Only records from this agency or units under it.")
]
Since = Annotated[
    datetime | None, typer.Option(help="First failure at or after (ISO 8601 with zone).")
]
Until = Annotated[
    datetime | None, typer.Option(help="First failure at or before (ISO 8601 with zone).")
]
EventId = Annotated[str | None, typer.Option("--id", help="Only the record with this ce_id.")]
EventType = Annotated[
    str | None, typer.Option("--type", help="Only this event type, e.g. vn.gov.dossier.status.v1.")
]
Yes = Annotated[
    bool, typer.Option("--yes", help="Do it; without --yes only say what would be done.")
]


def _store(config: Path | None, node: str | None) -> DeadLetters:
    settings = Settings()
    bootstrap = settings.bootstrap_servers
    if config is not None:
        gateway_config = load_gateway_config(config)
        node = gateway_config.node
        bootstrap = gateway_config.bootstrap_servers or bootstrap
    if not node or not bootstrap:
        raise LgspError(
            "name the node with --config node.yaml (or --node with LGSP_BOOTSTRAP_SERVERS)",
            code="LGSP-CONFIG-INVALID",
        )
    return DeadLetters(bootstrap, node, security=settings.kafka_security())


def _filter(
    code: str | None,
    reason: str | None,
    agency: str | None,
    since: datetime | None,
    until: datetime | None,
    ce_id: str | None,
    include_done: bool = False,
    event_type: str | None = None,
) -> DeadLetterFilter:
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise LgspError(
                "--since/--until need a time zone, e.g. 2026-11-20T00:00:00+07:00",
                code="LGSP-CONFIG-INVALID",
            )
    return DeadLetterFilter(code, reason, agency, since, until, ce_id, include_done, event_type)


@app.command("list")
def list_letters(
    config: ConfigOption = None,
    node: NodeOption = None,
    code: Code = None,
    reason: Reason = None,
    agency: Agency = None,
    since: Since = None,
    until: Until = None,
    ce_id: EventId = None,
    event_type: EventType = None,
    all_states: Annotated[
        bool, typer.Option("--all", help="Include redriven and purged ones.")
    ] = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """List dead letters, newest state included, with their code and reason."""
    store = _store(config, node)
    letters = asyncio.run(
        store.read(_filter(code, reason, agency, since, until, ce_id, all_states, event_type))
    )
    columns = ("ref", "ce_id", "type", "source", "code", "attempts", "first_failure", "state")
    emit_rows((_summary(letter) for letter in letters), output, (*columns, "reason"))
    messages.print(f"{len(letters)} dead letter(s)")


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="topic:partition:offset, or a ce_id.")],
    config: ConfigOption = None,
    node: NodeOption = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Show one dead letter: park headers, CloudEvents headers and the decoded record."""
    store = _store(config, node)
    letters = asyncio.run(store.read(DeadLetterFilter(include_done=True)))
    found = [letter for letter in letters if ref in (letter.ref, letter.ce_id)]
    if not found:
        raise LgspError(f"no dead letter {ref} on node {store.node}", code="LGSP-DLQ-NOT-FOUND")
    letter = found[0]
    codec = AvroCodec()
    # a Confluent frame is read through the registry of node.yaml's wire_format
    wire = load_gateway_config(config).wire_format if config is not None else SINGLE_OBJECT
    try:
        value = asyncio.run(as_single_object(letter.value or b"", wire))
        record = to_json(codec.writer_of(value), codec.decode(value))
    except LgspError as error:
        record = {"undecodable": str(error), "value_hex": (letter.value or b"").hex()}
    emit_object(
        {
            **_summary(letter),
            "headers": {k: v.decode("utf-8", "replace") for k, v in letter.headers},
            "key": (letter.key or b"").decode("utf-8", "replace"),
            "record": record,
        },
        output,
    )


def _selection_command(done: str, summary: str) -> Callable[..., None]:
    """A command acting on the dead letters its filters select (``done``: what they become)."""

    def command(
        config: ConfigOption = None,
        node: NodeOption = None,
        code: Code = None,
        reason: Reason = None,
        agency: Agency = None,
        since: Since = None,
        until: Until = None,
        ce_id: EventId = None,
        event_type: EventType = None,
        yes: Yes = False,
    ) -> None:
        selection = _filter(code, reason, agency, since, until, ce_id, event_type=event_type)
        _act(done, _store(config, node), selection, yes)

    command.__doc__ = summary
    return command


app.command("redrive")(
    _selection_command(
        "redriven",
        "Send matching dead letters back to routing (their original topic and partition).",
    )
)
app.command("purge")(
    _selection_command(
        "purged", "Mark matching dead letters as purged: dropped for good, never redriven."
    )
)


def _act(done: str, store: DeadLetters, selection: DeadLetterFilter, yes: bool) -> None:
    """Redrive or purge the selection; without --yes only say how many it would touch.

    Done in transactions of REDRIVE_BATCH letters, with a progress bar on stderr.
    """
    letters = asyncio.run(store.read(selection))
    if not yes:
        messages.print(f"{len(letters)} dead letter(s) would be {done}; add --yes to do it")
        return
    action = store.redrive if done == "redriven" else store.purge
    count = 0

    async def run(advance: Callable[[int], None]) -> None:
        nonlocal count
        for start in range(0, len(letters), REDRIVE_BATCH):
            batch = letters[start : start + REDRIVE_BATCH]
            count += await action(batch)
            advance(len(batch))

    with progress_bar(f"dead letters {done}", len(letters)) as advance:
        asyncio.run(run(advance))
    messages.print(f"{count} dead letter(s) {done}")


def _summary(letter: DeadLetter) -> dict[str, object]:
    info = letter.info
    return {
        "ref": letter.ref,
        "ce_id": letter.ce_id,
        "type": letter.event_type,
        "source": letter.source,
        "code": info.code,
        "reason": info.reason,
        "attempts": info.attempts,
        "first_failure": info.first_failure.isoformat(),
        "state": letter.state,
        "original": f"{info.original_topic}:{info.original_partition}:{info.original_offset}",
    }
