"""The demo's closing summary: what was delivered where, retried, dead-lettered and why,
latency, dossiers at the national portal, look-ups, and what crossed between nodes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.table import Table

from gateway.runtime.gateway import Gateway
from lgsp.demo.nodes import HANOI, LATE_AGENCY
from lgsp.demo.observer import Observer
from lgsp.demo.traffic import Workload
from tracker.figures import DossierCounts


def samples(registry: CollectorRegistry, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (s.labels, s.value)
        for m in registry.collect()
        if m.name == name
        for s in m.samples
        if s.name.endswith("_total")
    ]


def total(gateways: dict[str, Gateway], name: str) -> float:
    return sum(v for g in gateways.values() for _, v in samples(g.registry, name))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(
    console: Console,
    workload: Workload,
    observer: Observer,
    gateways: dict[str, Gateway],
    published: int,
    figures: dict[str, DossierCounts],
) -> bool:
    table = Table("kind", "delivered to", "records", title="What the agencies received")
    for (kind, level), count in sorted(observer.delivered.items()):
        table.add_row(kind, level, f"{count:,}")
    console.print(table)
    links = Table("link", "forwarded", title="What crossed between nodes (signed, verified)")
    for role, gateway in gateways.items():
        for labels, value in samples(gateway.registry, "lgsp_link_forwarded_records"):
            links.add_row(f"{role} -> {labels['peer']}", f"{value:,.0f}")
    console.print(links)
    parked = Table("node", "code", "records", title="Dead-lettered, with the reason's code")
    for role, gateway in gateways.items():
        for labels, value in samples(gateway.registry, "lgsp_gateway_parked"):
            parked.add_row(role, labels["code"], f"{value:.0f}")
    console.print(parked)

    dead = total(gateways, "lgsp_gateway_parked")
    late_name = gateways[HANOI].directory.get(LATE_AGENCY).name
    console.print(
        f"published {published:,} records; delivered {sum(observer.delivered.values()):,} "
        f"copies (fan-out, receipts), duplicates {observer.duplicates}; retried "
        f"{total(gateways, 'lgsp_gateway_retries'):.0f} ({late_name}'s sink came online late), "
        f"held behind a retry {total(gateways, 'lgsp_gateway_held'):.0f}; dead-lettered "
        f"{dead:.0f} of {len(workload.bad_ids)} bad records; refused at a border "
        f"{total(gateways, 'lgsp_border_refused_records'):.0f}; signed receipts "
        f"{total(gateways, 'lgsp_border_receipts'):.0f}"
    )
    console.print(
        f"latency ce_time -> delivered: p50 {_percentile(observer.latencies, 0.5) * 1000:,.0f} ms, "
        f"p99 {_percentile(observer.latencies, 0.99) * 1000:,.0f} ms "
        "(the slowest waited in retry tiers)"
    )
    in_order = sum(
        observer.dossier_statuses.get(code, []) == statuses
        for code, statuses in workload.dossier_statuses.items()
    )
    on_time = sum(observer.finished.values())
    console.print(
        f"dossiers: {in_order}/{len(workload.dossier_statuses)} reached the national portal with "
        f"every status in order; CCCD masked in {observer.masked_ids:,} portal records; "
        f"finished on time {on_time}/{len(observer.finished)}"
        + (f" ({on_time / len(observer.finished):.0%})" if observer.finished else "")
    )
    _tracker_figures(console, figures)
    replied = workload.lookup_ids & set(observer.replies)
    console.print(
        f"look-ups: {len(replied)}/{len(workload.lookup_ids)} answered by the national "
        "population database on NGSP, across two links each way"
    )
    return (
        observer.duplicates == 0
        and in_order == len(workload.dossier_statuses)
        and dead == len(workload.bad_ids)
        and len(replied) == len(workload.lookup_ids)
    )


def _tracker_figures(console: Console, figures: dict[str, DossierCounts]) -> None:
    """What the tracker on NGSP computed from the dossiers it received (its own view)."""
    table = Table(
        "agency",
        "received",
        "online",
        "finished",
        "on time",
        "open",
        "overdue",
        title="Dossiers as NGSP's tracker counts them (per receiving agency)",
    )
    received = online = finished = on_time = 0
    for agency, counts in figures.items():
        table.add_row(
            agency,
            str(counts.received),
            str(counts.online),
            str(counts.finished),
            str(counts.on_time),
            str(counts.open),
            str(counts.overdue),
        )
        received += counts.received
        online += counts.online
        finished += counts.finished
        on_time += counts.on_time
    console.print(table)
    if received:
        rate = f"{on_time / finished:.0%}" if finished else "n/a"
        console.print(
            f"tracker: {received} dossiers, {online / received:.0%} submitted online, "
            f"{finished} finished, on-time rate {rate}"
        )
