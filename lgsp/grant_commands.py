"""``lgsp security grant-*`` and ``acls``: the ACLs each kind of principal needs
(``bus.kafka.acls``), granted and listed on a secure cluster."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bus.kafka.acladmin import create_acls, describe_acls
from bus.kafka.acls import (
    AclBinding,
    PatternType,
    connector_acls,
    console_acls,
    gateway_acls,
    link_acls,
    tracker_acls,
    user,
)
from gateway.config import load_gateway_config
from lgsp.output import OutputFormat, OutputOption, confirm, emit_rows
from lgsp.output import messages as console
from lgsp.security_access import ClusterOption, NodeOption, UserOption, Yes, super_user_target
from schemas.catalog import bundled_catalog
from schemas.errors import LocalKafkaError
from tracker.topics import REPORT_QUARTERLY, TRACKED_TYPES

ACL_COLUMNS = ("principal", "operation", "resource_type", "pattern", "resource_name")


def acl_row(binding: AclBinding) -> dict[str, object]:
    return {
        "principal": binding.principal,
        "operation": binding.operation.name,
        "resource_type": binding.resource_type.name,
        "pattern": "prefix" if binding.pattern is PatternType.PREFIXED else "name",
        "resource_name": binding.resource_name,
        "host": binding.host,
        "rule": str(binding),
    }


def _apply(
    bindings: list[AclBinding], cluster: str | None, yes: bool, output: OutputFormat
) -> None:
    bootstrap, admin, _ = super_user_target(cluster)
    principals = ", ".join(sorted({b.principal for b in bindings}))
    confirm(f"grant {len(bindings)} ACLs to {principals} at {bootstrap}", yes)
    count = asyncio.run(create_acls(bootstrap, bindings, security=admin))
    _print_acls(bindings, output)
    console.print(f"{count} ACLs in place")


def _print_acls(bindings: list[AclBinding], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        emit_rows((acl_row(b) for b in bindings), output, ACL_COLUMNS)
    else:
        for binding in bindings:
            typer.echo(str(binding))


def grant_gateway(
    name: UserOption,
    node: Annotated[str | None, typer.Option("--node", help="The node's short name.")] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="The node's gateway file: its name and retry tiers."),
    ] = None,
    tiers: Annotated[
        list[str] | None,
        typer.Option("--tier", help="A retry tier (repeat); default the config's, or 30s 5m 1h."),
    ] = None,
    federation: Annotated[
        bool | None,
        typer.Option(
            "--federation/--no-federation",
            help="Also the border's and links' grants; default: whether the config federates.",
        ),
    ] = None,
    cluster: ClusterOption = None,
    yes: Yes = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Let user NAME run a node's gateway: read events and tiers, write inboxes, links, DLQs;
    with federation also its border (border topics, event topics, audit) and links."""
    gateway = load_gateway_config(config) if config else None
    node_name = node or (gateway.node if gateway else None)
    if node_name is None:
        raise LocalKafkaError("name the node with --node or --config", code="LGSP-SEC-CONFIG")
    event_types = {v.event_type for v in bundled_catalog()}
    retry_tiers = tiers or (gateway.retry_tiers if gateway else ["30s", "5m", "1h"])
    federates = federation if federation is not None else bool(gateway and gateway.federation)
    _apply(
        gateway_acls(
            node_name,
            user(name),
            event_types=event_types,
            retry_tiers=retry_tiers,
            federation=federates,
        ),
        cluster,
        yes,
        output,
    )


def grant_link(
    name: UserOption,
    node: Annotated[str, typer.Option("--node", help="The node whose link it is, e.g. hanoi.")],
    peer: Annotated[str, typer.Option("--peer", help="The peer node, whose cluster this is.")],
    cluster: ClusterOption = None,
    yes: Yes = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """On PEER's cluster, let user NAME be NODE's link: write lgsp.<peer>.border.<node> and
    nothing else. Run it against the peer's cluster (its super user), not the node's."""
    _apply(link_acls(node, peer, user(name)), cluster, yes, output)


def grant_tracker(
    name: UserOption,
    node: NodeOption,
    cluster: ClusterOption = None,
    yes: Yes = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Let user NAME be NODE's tracker: read the tracked event topics, keep its own topics,
    publish the quarterly report event, in its own group and transactional id."""
    grants = tracker_acls(
        node, user(name), tracked_types=TRACKED_TYPES, report_type=REPORT_QUARTERLY
    )
    _apply(grants, cluster, yes, output)


def grant_console(
    name: UserOption,
    node: NodeOption,
    tiers: Annotated[
        list[str] | None,
        typer.Option("--tier", help="A retry tier of the gateway (repeat); default 30s 5m 1h."),
    ] = None,
    cluster: ClusterOption = None,
    yes: Yes = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Let user NAME be NODE's operator console: read dead letters, audit and trace logs,
    redrive and purge dead letters (as `lgsp dlq`); no group, no topic creation."""
    event_types = {v.event_type for v in bundled_catalog()}
    retry_tiers = tiers or ["30s", "5m", "1h"]
    grants = console_acls(node, user(name), event_types=event_types, retry_tiers=retry_tiers)
    _apply(grants, cluster, yes, output)


def grant_connector(
    name: UserOption,
    node: NodeOption,
    agency: Annotated[str, typer.Option("--agency", help="The agency code, e.g. 000.01.02.H24.")],
    connector: Annotated[
        str, typer.Option("--connector", help="The connector's name in its file, e.g. hanoi-dms.")
    ],
    cluster: ClusterOption = None,
    yes: Yes = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Let user NAME be AGENCY's connector on NODE: publish events, read its own inbox only,
    use its own consumer group and topics."""
    event_types = {v.event_type for v in bundled_catalog()}
    grants = connector_acls(node, agency, user(name), event_types=event_types, name=connector)
    _apply(grants, cluster, yes, output)


def acls(
    name: Annotated[str | None, typer.Option("--user", help="Only this user.")] = None,
    cluster: ClusterOption = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """List the ACLs the broker holds."""
    bootstrap, admin, _ = super_user_target(cluster)
    principal = user(name) if name else None
    _print_acls(asyncio.run(describe_acls(bootstrap, principal, security=admin)), output)
