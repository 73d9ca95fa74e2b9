"""The route log and link log lines (gateway/routing/tracelog.py): what a routing decision
writes, and what a trace reads back of it."""

from __future__ import annotations

import yaml

from gateway.routing.table import RouteTable, RoutingTableSpec
from gateway.routing.tracelog import (
    CHUNK_CHARS,
    LINE_CHARS,
    LoggedDelivery,
    crossed_entries,
    log_line,
    log_values,
    routed_entries,
)
from schemas.catalog import bundled_catalog
from schemas.ids import bundled_directory

TABLE = """
routes:
  - name: government-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22]
    to: [under 000.00.00.H24]
"""
DOCUMENT_ID = "000.00.00.G22,2026/11/20,42/VPCP-TTĐT"


def _table() -> RouteTable:
    spec = RoutingTableSpec.model_validate(
        yaml.safe_load(TABLE), context={"catalog": bundled_catalog()}
    )
    return RouteTable(spec, "hanoi", bundled_directory())


def test_a_decision_carries_its_route_log_text_and_reads_back() -> None:
    """The event type and each delivery's route, topic and recipients are in the cached
    decision's log text, and a trace reads the same back from a route-log line."""
    decision = _table().decide(
        "vn.gov.document.sent.v1", "000.00.00.G22", ("000.00.12.H24", "000.00.13.H24")
    )
    line = log_line("id-1", DOCUMENT_ID.encode(), decision.log_text)
    [entry] = routed_entries(line.encode(), 1_700_000_000_000)
    assert (entry.ce_id, entry.key, entry.at_ms) == ("id-1", DOCUMENT_ID, 1_700_000_000_000)
    assert entry.event_type == "vn.gov.document.sent.v1"
    assert entry.deliveries == (
        LoggedDelivery(
            "government-documents", "lgsp.hanoi.inbox.000-00-12-h24", ("000.00.12.H24",)
        ),
        LoggedDelivery(
            "government-documents", "lgsp.hanoi.inbox.000-00-13-h24", ("000.00.13.H24",)
        ),
    )


def test_only_the_wanted_lines_of_a_record_are_kept() -> None:
    """A transaction's record holds many keys' lines: the trace keeps its own key's only."""
    value = "\n".join(
        [log_line("a", b"doc-1", "T\tr>t>X"), log_line("b", b"doc-2", "T\tr>t>Y")]
    ).encode()
    kept = routed_entries(value, 0, lambda _ce_id, key: key == "doc-2")
    assert [e.ce_id for e in kept] == ["b"]


def test_a_link_log_line_names_the_peer() -> None:
    """A link-log line says which record crossed to which peer."""
    value = log_line("id-9", DOCUMENT_ID.encode(), "danang").encode()
    [entry] = crossed_entries(value, 5)
    assert (entry.ce_id, entry.key, entry.peer, entry.at_ms) == ("id-9", DOCUMENT_ID, "danang", 5)


def test_a_key_with_a_tab_or_newline_cannot_break_the_line_format() -> None:
    """A key with a tab or a newline is written with spaces, so its line still parses whole."""
    value = log_line("id-2", b"bad\tkey\nhere", "danang").encode()
    assert [e.key for e in crossed_entries(value, 0)] == ["bad key here"]
    assert routed_entries(b"garbage without tabs\n\n", 0) == []


def test_a_large_transaction_is_logged_in_records_under_the_size_limit() -> None:
    """A transaction's lines past CHUNK_CHARS go in several records, each under the limit,
    together holding every line once, in order; a small one is one record."""
    lines = [log_line(f"id-{i}", b"k" * 100, "T\tr>t>X") for i in range(5000)]
    values = log_values(lines)
    assert len(values) > 1 and all(len(v) <= CHUNK_CHARS for v in values)
    assert [e.ce_id for v in values for e in routed_entries(v, 0)] == [
        f"id-{i}" for i in range(5000)
    ]
    assert log_values(lines[:3]) == ["\n".join(lines[:3]).encode()]


def test_a_record_fanned_out_to_very_many_recipients_is_cut_not_refused() -> None:
    """A line past LINE_CHARS is cut after its last whole delivery; those read back."""
    tail = "T\t" + ";".join(f"route>lgsp.hn.inbox.a{i}>A{i}" for i in range(2000))
    line = log_line("id-3", b"doc", tail)
    assert len(line) <= LINE_CHARS
    [entry] = routed_entries(line.encode(), 0)
    assert 0 < len(entry.deliveries) < 2000
    last = len(entry.deliveries) - 1
    assert entry.deliveries[-1] == LoggedDelivery("route", f"lgsp.hn.inbox.a{last}", (f"A{last}",))
    assert entry.deliveries[0] == LoggedDelivery("route", "lgsp.hn.inbox.a0", ("A0",))
