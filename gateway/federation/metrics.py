"""Metrics of links, the border and the trust registry (``lgsp_link_*``, ``lgsp_border_*``,
``lgsp_trust_*``). Labels are node names, peer names, event types and error codes: bounded."""

from __future__ import annotations

from bus.metrics import NodeMetrics, counter, gauge, histogram


class FederationMetrics(NodeMetrics):
    """Every federation metric of a node's gateway process; ``node`` is the first label."""

    forwarded = counter(
        "lgsp_link_forwarded_records_total",
        "Records forwarded to another node, by link.",
        "peer",
    )
    link_lag = gauge(
        "lgsp_link_lag_records",
        "Records in a link's outbox not yet forwarded to the peer.",
        "peer",
    )
    link_paused = gauge(
        "lgsp_link_paused",
        "1 when an operator paused the link, or the trust registry is too old to forward.",
        "peer",
        "why",
    )
    link_errors = counter(
        "lgsp_link_errors_total",
        "Failed forwarding attempts (the batch is sent again), by link.",
        "peer",
    )
    link_failing = gauge(
        "lgsp_link_failing",
        "1 while a link's last attempt failed for this reason (code: LGSP-FED-LINK-DOWN, "
        "-AUTH, -TLS, -DENIED), else 0.",
        "peer",
        "code",
    )
    accepted = counter(
        "lgsp_border_accepted_records_total",
        "Records from another node verified and let in, by peer and event type.",
        "peer",
        "event_type",
    )
    refused = counter(
        "lgsp_border_refused_records_total",
        "Records from another node refused at the border, by peer and code.",
        "peer",
        "code",
    )
    duplicates = counter(
        "lgsp_border_duplicates_total",
        "Records that crossed a link again (same ce_id) and were dropped.",
        "peer",
    )
    receipts = counter(
        "lgsp_border_receipts_total",
        "Signed delivery receipts sent back to senders.",
    )
    sign_seconds = histogram(
        "lgsp_link_sign_seconds",
        "Time to sign one batch of records, per record.",
        buckets=(1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
    )
    registry_age = gauge(
        "lgsp_trust_registry_age_seconds",
        "Seconds since the trust registry was last fetched and verified.",
    )
    registry_serial = gauge(
        "lgsp_trust_registry_serial",
        "Serial number of the trust registry in use.",
    )
    registry_usable = gauge(
        "lgsp_trust_registry_usable",
        "1 while the registry is within its grace period; 0: links do not forward.",
    )
    refresh_failures = counter(
        "lgsp_trust_refresh_failures_total",
        "Failed attempts to fetch or verify the trust registry.",
        "code",
    )
