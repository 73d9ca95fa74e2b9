"""Helpers for tests of the gateway's pure per-record decisions, without a broker: a record
as the processor reads it, and a Hà Nội processor on a given routes.yaml."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from gateway.routing.processor import RecordProcessor
from gateway.routing.retry_tiers import RetryTiers
from gateway.routing.table import RouteTable, RoutingTableSpec
from schemas.catalog import bundled_catalog
from schemas.ids import bundled_directory


@dataclass(frozen=True)
class Rec:
    """A consumed record: what ``RecordProcessor.handle`` reads of aiokafka's."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)


def hanoi_processor(routes: str, **options: Any) -> RecordProcessor:
    """The processor of node ``hanoi`` on ``routes`` (YAML), tiers 30s and 5m, the bundled
    directory and catalog; ``options`` pass to ``RecordProcessor`` (e.g. max_record_bytes)."""
    spec = RoutingTableSpec.model_validate(
        yaml.safe_load(routes), context={"catalog": bundled_catalog()}
    )
    directory = bundled_directory()
    return RecordProcessor(
        "hanoi",
        RouteTable(spec, "hanoi", directory),
        RetryTiers(["30s", "5m"]),
        directory,
        bundled_catalog(),
        **options,
    )
