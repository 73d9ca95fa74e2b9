"""Trace: one document id or dossier code -> every hop the node knows of it, from the
tracker (sent, recipients' statuses), the gateway's route log (routed by which route to whom)
and link log (crossed which link), its dead letters, the signed receipts (each signature
checked by the gateway against the trust registry) and the border's audit chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiokafka import TopicPartition

from bus.kafka import LogReader, topic_partitions
from bus.kafka.security import KafkaSecurity
from gateway.federation.border.audit import ChainCheck, check_chain
from gateway.federation.border.state import audit_topic
from gateway.ops.dlq import DeadLetterFilter
from lgsp.console.deadletters import ConsoleDeadLetters, Selection
from lgsp.console.node import NodeClient
from lgsp.console.tracelogs import LoggedHops, at_text, link_peer


@dataclass(frozen=True, slots=True)
class Hop:
    at: str
    what: str
    where: str
    detail: str
    ok: bool = True


@dataclass(frozen=True, slots=True)
class Trace:
    subject: str
    kind: str  # "document", "dossier", "record" (only routed) or "unknown"
    hops: tuple[Hop, ...]
    receipts: tuple[dict[str, Any], ...] = ()
    chain: ChainCheck | None = None
    notes: tuple[str, ...] = field(default=())


def _document_hops(body: dict[str, Any]) -> list[Hop]:
    hops = [
        Hop(
            str(body.get("sent_at") or ""),
            "sent",
            f"{body.get('sender_name')} ({body.get('sender_code')})",
            f"{body.get('number', '')} {body.get('subject', '')}".strip(),
        )
    ]
    for r in body.get("recipients", []):
        hops.append(
            Hop(
                str(r.get("at") or ""),
                f"status: {r.get('state')}",
                f"{r.get('agency_name')} ({r.get('agency_code')})",
                f"status code {r.get('status_code') or '-'}"
                + (", overdue" if r.get("overdue") else ""),
                not r.get("overdue"),
            )
        )
    return hops


def _dossier_hops(body: dict[str, Any]) -> list[Hop]:
    hops = [
        Hop(
            str(body.get("received_at") or ""),
            "received",
            f"{body.get('agency_name')} ({body.get('agency_code')})",
            f"{body.get('procedure_name')} via {body.get('channel')}",
        )
    ]
    for moment, label in (("finished_at", "finished"), ("returned_at", "returned")):
        if body.get(moment):
            hops.append(Hop(str(body[moment]), label, str(body.get("agency_name")), ""))
    hops.append(
        Hop(
            "",
            f"status {body.get('status')}: {body.get('status_label')}",
            str(body.get("agency_name")),
            f"due {body.get('due_at') or '-'}",
            not body.get("overdue"),
        )
    )
    return hops


@dataclass(frozen=True, slots=True)
class NodeLogs:
    """What the node's own Kafka logs say of a subject: the border's audit chain, the route
    log and the link log; ``agency_name`` names a code from the node's directory."""

    node: str
    audit: list[dict[str, Any]]
    logged: LoggedHops
    agency_name: Callable[[str], str]


def _named(codes: tuple[str, ...], agency_name: Callable[[str], str]) -> str:
    return ", ".join(f"{agency_name(c)} ({c})" if agency_name(c) else c for c in codes) or "-"


def _logged_hops(logs: NodeLogs) -> list[Hop]:
    """Routed (which route, to whom, into which topic, when) and crossed which link (when);
    a delivery into a link that no crossing follows yet is shown waiting."""
    hops = []
    crossed = {(c.ce_id, c.peer) for c in logs.logged.crossed}
    for entry in logs.logged.routed:
        for d in entry.deliveries:
            peer = link_peer(logs.node, d.topic)
            hops.append(
                Hop(
                    at_text(entry.at_ms),
                    "routed",
                    f"route {d.route}",
                    f"{entry.event_type} to {_named(d.recipients, logs.agency_name)} into {d.topic}"
                    + (f" (link to {peer})" if peer else ""),
                )
            )
            if peer and (entry.ce_id, peer) not in crossed:
                hops.append(Hop("", "not crossed yet", f"link {logs.node} → {peer}", "", False))
    for c in logs.logged.crossed:
        hops.append(
            Hop(
                at_text(c.at_ms),
                "crossed link",
                f"link {logs.node} → {c.peer}",
                f"event {c.ce_id}, acknowledged by {c.peer}'s brokers",
            )
        )
    return hops


async def audit_entries(
    bootstrap: str, node: str, security: KafkaSecurity | None
) -> list[dict[str, Any]]:
    topic = audit_topic(node)
    if not await topic_partitions(bootstrap, [topic], security=security):
        return []
    async with LogReader(bootstrap, security=security) as reader:
        records = await reader.read({TopicPartition(topic, 0): None})
    return [json.loads(r.value or b"{}") for r in records]


async def trace(
    subject: str,
    token: str | None,
    node: NodeClient,
    dead_letters: ConsoleDeadLetters,
    logs: NodeLogs,
) -> Trace:
    """Every hop of ``subject`` (a document id or a dossier code) this node knows."""
    hops: list[Hop] = []
    kind = "unknown"
    notes: list[str] = []
    document = await node.tracker(f"/documents/{quote(subject, safe='')}")
    if document.ok:
        kind = "document"
        hops += _document_hops(document.body)
    else:
        dossier = await node.tracker(f"/dossiers/{quote(subject, safe='')}")
        if dossier.ok:
            kind = "dossier"
            hops += _dossier_hops(dossier.body)
    hops += _logged_hops(logs)
    if logs.logged.routed and kind == "unknown":
        kind = "record"
    receipts: tuple[dict[str, Any], ...] = ()
    answer = await node.receipts(subject, token)
    if answer.ok and isinstance(answer.body, list):
        receipts = tuple(answer.body)
        for r in receipts:
            hops.append(
                Hop(
                    str(r.get("received_at")),
                    "signed receipt",
                    f"{r.get('recipient')} at node {r.get('receiving_node')}",
                    f"key {r.get('key_id')}: signature "
                    + ("valid" if r.get("signature_valid") else f"INVALID ({r.get('problem')})"),
                    bool(r.get("signature_valid")),
                )
            )
        kind = "document" if receipts and kind == "unknown" else kind
    elif not answer.ok:
        notes.append(f"receipts: {answer.body.get('code', answer.status)}")
    letters = [
        letter
        for letter in await dead_letters.select(Selection(DeadLetterFilter(include_done=True)))
        if (letter.key or b"").decode("utf-8", "replace") == subject
    ]
    for letter in letters:
        hops.append(
            Hop(
                letter.info.first_failure.isoformat(),
                f"dead letter ({letter.state})",
                letter.ref,
                f"[{letter.info.code}] {letter.info.reason}",
                letter.state != "parked",
            )
        )
    ids = {r.get("event_id") for r in receipts} | {letter.ce_id for letter in letters}
    ids |= {e.ce_id for e in logs.logged.routed}
    audit = logs.audit
    for entry in audit:
        if entry.get("ce_id") in ids:
            hops.append(
                Hop(
                    str(entry.get("at")),
                    f"border: {entry.get('decision')}",
                    f"from {entry.get('peer')}",
                    f"audit #{entry.get('seq')} {entry.get('code') or ''}".strip(),
                    entry.get("decision") != "refused",
                )
            )
    chain = check_chain((f"offset {i}", e) for i, e in enumerate(audit))
    if not hops:
        notes.append(f"nothing on this node knows {subject!r}")
    hops.sort(key=lambda h: h.at or "9999")
    return Trace(subject, kind, tuple(hops), receipts, chain, tuple(notes))
