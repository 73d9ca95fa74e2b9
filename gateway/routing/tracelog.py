"""The node's trace logs: what the gateway routed, and what its links forwarded, in a compact
text a trace reads back (the console's trace page).

``lgsp.<node>.gateway.route-log``: one record per gateway transaction that routed anything,
written in that transaction (so it says exactly what was committed), at the transaction's
partition number. Its value has one line per routed record::

    <ce_id> TAB <key> TAB <event type> TAB <route>><topic>><recipient,...>;<route>><topic>>...

``lgsp.<node>.gateway.link-log``: one record per batch a federation link forwarded, written
once the peer's brokers acknowledged the batch (so it says the record crossed), one line per
record::

    <ce_id> TAB <key> TAB <peer>

The record's timestamp is the moment. Lines are built from text cached per routing decision
(``Decision.log_text``), so the gateway's hot path adds one short string per record and one
record per transaction (more only when its lines pass ``CHUNK_CHARS``: a record stays well
under the brokers' and producer's 1 MiB limits, so a log record can never fail a transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

ROUTE_LOG = "route-log"  # gateway_topic(node, ROUTE_LOG)
LINK_LOG = "link-log"
DEFAULT_RETENTION = "7d"  # node.yaml trace_log_retention
Wanted = Callable[[str, str], bool]  # (ce_id, key) -> keep the line?
CHUNK_CHARS = 192 * 1024  # of one log record's value (UTF-8: at most ~4x in bytes, rarely)
LINE_CHARS = 16 * 1024  # a record fanned out to hundreds of recipients: the rest is cut


def log_line(ce_id: str, key: bytes | None, tail: str) -> str:
    """One line of either log; tabs and newlines in a key (never in ids) become spaces; a
    line past ``LINE_CHARS`` is cut after its last whole delivery that fits."""
    text = (key or b"").decode("utf-8", "replace")
    if "\t" in text or "\n" in text:
        text = text.replace("\t", " ").replace("\n", " ")
    line = f"{ce_id}\t{text}\t{tail}"
    return line if len(line) <= LINE_CHARS else line[:LINE_CHARS].rsplit(";", 1)[0]


def log_values(lines: list[str]) -> list[bytes]:
    """The values of the log records holding ``lines``: one, unless they pass ``CHUNK_CHARS``
    (then halved until each part fits: a few joins in C, no loop per line)."""
    text = "\n".join(lines)
    if len(text) <= CHUNK_CHARS or len(lines) == 1:
        return [text.encode()]
    half = len(lines) // 2
    return log_values(lines[:half]) + log_values(lines[half:])


@dataclass(frozen=True, slots=True)
class LoggedDelivery:
    route: str
    topic: str
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoutedEntry:
    """One routed record, as the route log has it."""

    ce_id: str
    key: str
    event_type: str
    deliveries: tuple[LoggedDelivery, ...]
    at_ms: int


@dataclass(frozen=True, slots=True)
class CrossedEntry:
    """One record a link forwarded to ``peer``, acknowledged by the peer's brokers."""

    ce_id: str
    key: str
    peer: str
    at_ms: int


def _lines(value: bytes | None, fields: int) -> Iterable[list[str]]:
    for line in (value or b"").decode("utf-8", "replace").split("\n"):
        parts = line.split("\t")
        if len(parts) == fields:
            yield parts


def _deliveries(text: str) -> tuple[LoggedDelivery, ...]:
    found = []
    for part in text.split(";"):
        fields = part.split(">")
        if len(fields) == 3:
            recipients = tuple(r for r in fields[2].split(",") if r)
            found.append(LoggedDelivery(fields[0], fields[1], recipients))
    return tuple(found)


def routed_entries(
    value: bytes | None, at_ms: int, wanted: Wanted | None = None
) -> list[RoutedEntry]:
    """The route-log lines of one record (only those ``wanted`` says yes to, if given)."""
    return [
        RoutedEntry(ce_id, key, event_type, _deliveries(tail), at_ms)
        for ce_id, key, event_type, tail in _lines(value, 4)
        if wanted is None or wanted(ce_id, key)
    ]


def crossed_entries(
    value: bytes | None, at_ms: int, wanted: Wanted | None = None
) -> list[CrossedEntry]:
    """The link-log lines of one record (only those ``wanted`` says yes to, if given)."""
    return [
        CrossedEntry(ce_id, key, peer, at_ms)
        for ce_id, key, peer in _lines(value, 3)
        if wanted is None or wanted(ce_id, key)
    ]
