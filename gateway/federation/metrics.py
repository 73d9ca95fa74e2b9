"""Metrics of links, the border and the trust registry (``lgsp_link_*``, ``lgsp_border_*``,
``lgsp_trust_*``). Labels are node names, peer names, event types and error codes: bounded."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class FederationMetrics:
    def __init__(self, registry: CollectorRegistry, node: str) -> None:
        self.node = node
        self.forwarded = Counter(
            "lgsp_link_forwarded_records_total",
            "Records forwarded to another node, by link.",
            ["node", "peer"],
            registry=registry,
        )
        self.link_lag = Gauge(
            "lgsp_link_lag_records",
            "Records in a link's outbox not yet forwarded to the peer.",
            ["node", "peer"],
            registry=registry,
        )
        self.link_paused = Gauge(
            "lgsp_link_paused",
            "1 when an operator paused the link, or the trust registry is too old to forward.",
            ["node", "peer", "why"],
            registry=registry,
        )
        self.link_errors = Counter(
            "lgsp_link_errors_total",
            "Failed forwarding attempts (the batch is sent again), by link.",
            ["node", "peer"],
            registry=registry,
        )
        self.link_failing = Gauge(
            "lgsp_link_failing",
            "1 while a link's last attempt failed for this reason (code: LGSP-FED-LINK-DOWN, "
            "-AUTH, -TLS, -DENIED), else 0.",
            ["node", "peer", "code"],
            registry=registry,
        )
        self.accepted = Counter(
            "lgsp_border_accepted_records_total",
            "Records from another node verified and let in, by peer and event type.",
            ["node", "peer", "event_type"],
            registry=registry,
        )
        self.refused = Counter(
            "lgsp_border_refused_records_total",
            "Records from another node refused at the border, by peer and code.",
            ["node", "peer", "code"],
            registry=registry,
        )
        self.duplicates = Counter(
            "lgsp_border_duplicates_total",
            "Records that crossed a link again (same ce_id) and were dropped.",
            ["node", "peer"],
            registry=registry,
        )
        self.receipts = Counter(
            "lgsp_border_receipts_total",
            "Signed delivery receipts sent back to senders.",
            ["node"],
            registry=registry,
        )
        self.sign_seconds = Histogram(
            "lgsp_link_sign_seconds",
            "Time to sign one batch of records, per record.",
            ["node"],
            buckets=(1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
            registry=registry,
        )
        self.registry_age = Gauge(
            "lgsp_trust_registry_age_seconds",
            "Seconds since the trust registry was last fetched and verified.",
            ["node"],
            registry=registry,
        )
        self.registry_serial = Gauge(
            "lgsp_trust_registry_serial",
            "Serial number of the trust registry in use.",
            ["node"],
            registry=registry,
        )
        self.registry_usable = Gauge(
            "lgsp_trust_registry_usable",
            "1 while the registry is within its grace period; 0: links do not forward.",
            ["node"],
            registry=registry,
        )
        self.refresh_failures = Counter(
            "lgsp_trust_refresh_failures_total",
            "Failed attempts to fetch or verify the trust registry.",
            ["node", "code"],
            registry=registry,
        )
