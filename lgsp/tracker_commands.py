"""``lgsp tracker``: run the dossier and document tracker, export and send quarterly reports,
and replay a generated quarter of a province's traffic."""

from __future__ import annotations

import asyncio
import csv as csv_format
import signal
from pathlib import Path
from typing import Annotated

import typer

from bus.eventloop import run_service
from bus.gctuning import tune_gc
from bus.logging import configure_logging
from bus.settings import Settings
from lgsp.output import OutputFormat, OutputOption, confirm, emit_rows, messages
from lgsp.progress import progress_to
from tracker.config import TrackerConfig, load_tracker_config
from tracker.periods import parse_quarter
from tracker.quarterly_report import report_csv
from tracker.replay import replay_quarter
from tracker.report_publisher import compute_report, publish_report, read_tables
from tracker.runner import resolve_bootstrap, run_tracker
from tracker.traffic import TrafficSpec
from tracker.workdays import load_calendar

app = typer.Typer(help="Track dossiers and documents; quarterly reports.", no_args_is_help=True)
ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The node's tracker file (tracker.yaml).")
]


@app.command()
def run(config: ConfigOption) -> None:
    """Track the node's dossier and document events and serve the look-up API until SIGTERM."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    tune_gc()
    run_service(_serve(load_tracker_config(config), settings), use_uvloop=settings.uvloop)


async def _serve(config: TrackerConfig, settings: Settings) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    loop.add_signal_handler(signal.SIGINT, stopped.set)
    async with run_tracker(config, settings) as tracker:
        messages.print(f"tracker of {config.node}: API on {tracker.api_url}/docs")
        done = asyncio.ensure_future(stopped.wait())
        await asyncio.wait([done, tracker.task], return_when=asyncio.FIRST_COMPLETED)
        done.cancel()


@app.command()
def report(
    config: ConfigOption,
    quarter: Annotated[str, typer.Option(help="The quarter, e.g. 2026Q3.")],
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the report as CSV here.")] = None,
    publish: Annotated[
        bool,
        typer.Option(
            help="Send one report event per agency to NGSP's reporting agency (only with it)."
        ),
    ] = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Compute the quarter's online public-service report from the tracker's committed tables:
    one row per agency on stdout; sent to NGSP only with --publish."""
    settings = Settings()
    tracker_config = load_tracker_config(config)
    period = parse_quarter(quarter)
    bootstrap = resolve_bootstrap(tracker_config, settings)

    async def go() -> tuple[str, int]:
        security = settings.kafka_security()
        state = await read_tables(bootstrap, tracker_config.node, security=security)
        records = compute_report(state, period, load_calendar(tracker_config.holidays))
        table = report_csv(records)
        if csv is not None:
            csv.write_text(table, encoding="utf-8")
        sent = (
            await publish_report(bootstrap, tracker_config, records, security=security)
            if publish
            else 0
        )
        return table, sent

    table, sent = asyncio.run(go())
    rows = list(csv_format.DictReader(table.splitlines()))
    emit_rows(
        rows,
        output,
        ("agency_code", "agency_name", "received", "online_share", "finished", "on_time_share"),
    )
    where = f"sent to {tracker_config.report_recipient}" if publish else "not sent (no --publish)"
    messages.print(
        f"{period.label}: {len(rows)} agencies" + (f", CSV in {csv}" if csv else "")
        + f", {sent} report events {where}"
    )  # fmt: skip


@app.command()
def replay(
    node: Annotated[str, typer.Option(help="The node whose event topics receive the traffic.")],
    quarter: Annotated[str, typer.Option(help="The quarter to generate.")] = "2026Q3",
    province: Annotated[str, typer.Option(help="Level-1 code of the province.")] = "H24",
    dossiers: Annotated[int, typer.Option(min=1)] = 20_000,
    documents: Annotated[int, typer.Option(min=0)] = 2_000,
    seed: Annotated[int, typer.Option()] = 8,
    partitions: Annotated[int, typer.Option(min=1, help="Of event topics it creates.")] = 3,
    yes: Annotated[bool, typer.Option("--yes", help="Publish without asking.")] = False,
) -> None:
    """Publish a generated quarter of a province's dossier and document traffic."""
    settings = Settings()
    bootstrap = settings.bootstrap_servers
    if not bootstrap:
        raise typer.BadParameter("set LGSP_BOOTSTRAP_SERVERS to the node's Kafka")
    confirm(f"publish {dossiers} generated dossiers to node {node} at {bootstrap}", yes)
    spec = TrafficSpec(province, quarter, dossiers, documents, seed)
    with progress_to(f"publishing to {node}") as progress:
        events = asyncio.run(replay_quarter(bootstrap, node, spec, partitions, progress))
    messages.print(f"published {len(events)} events of {dossiers} dossiers to {node}")
