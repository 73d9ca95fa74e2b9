"""``lgsp security``: principals (SCRAM users) and their ACLs on a secure cluster.

Each node's gateway (with its border and links), its tracker, each agency's connector, and
each link on its peer's cluster gets its own user with only the ACLs it needs
(``bus.kafka.acls``). Against a local cluster (``--cluster``), the super user's credentials are
read from the cluster's folder; otherwise the process settings (``LGSP_BOOTSTRAP_SERVERS`` and
``LGSP_KAFKA_*``) must name a super user.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Annotated

import typer

from bus.kafka.acladmin import create_acls, describe_acls, upsert_scram_user
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
from bus.kafka.security import KafkaSecurity
from bus.kafka.useradmin import delete_scram_user, list_scram_users, revoke_acls
from bus.localkafka import cluster_status, secure
from bus.localkafka.layout import ClusterPaths, check_principal_name
from bus.settings import Settings
from gateway.config import load_gateway_config
from lgsp.output import OutputFormat, OutputOption, confirm, emit_rows
from lgsp.output import messages as console
from lgsp.token_commands import token_hash
from schemas.catalog import bundled_catalog
from schemas.errors import LocalKafkaError
from tracker.topics import REPORT_QUARTERLY, TRACKED_TYPES

app = typer.Typer(
    help="Users and ACLs of a secure cluster (SASL/SCRAM, StandardAuthorizer).",
    no_args_is_help=True,
)
app.command("token-hash")(token_hash)

ClusterOption = Annotated[
    str | None,
    typer.Option("--cluster", help="A local cluster started with `lgsp kafka up --secure`."),
]
UserOption = Annotated[str, typer.Option("--user", help="The principal's SCRAM user name.")]
NodeOption = Annotated[str, typer.Option("--node", help="The node's short name, e.g. hanoi.")]
Yes = Annotated[bool, typer.Option("--yes", help="Change the broker without asking.")]


def _target(cluster: str | None) -> tuple[str, KafkaSecurity, secure.SecureFiles | None]:
    settings = Settings()
    if cluster is None:
        if not settings.bootstrap_servers:
            raise LocalKafkaError(
                "name a local cluster with --cluster, or set LGSP_BOOTSTRAP_SERVERS and the "
                "super user's LGSP_KAFKA_* settings",
                code="LGSP-SEC-CONFIG",
            )
        return settings.bootstrap_servers, settings.kafka_security(), None
    status = cluster_status(settings, cluster)
    files = secure.SecureFiles.of(ClusterPaths.of(settings.home, cluster))
    # the brokers that run: a 3-broker cluster with one down still has its quorum, and ops
    # manage users and ACLs then too (a link cut off while a broker is being replaced)
    running = [b.bootstrap_servers for b in status.brokers if b.running and b.bootstrap_servers]
    if not running or not files.exists:
        raise LocalKafkaError(
            f"cluster {cluster!r} is not a running secure cluster: "
            f"`lgsp kafka up --name {cluster} --secure`",
            code="LGSP-KAFKA-NOT-SECURE",
        )
    return ",".join(running), secure.client_security(files), files


@app.command("user-add")
def user_add(
    name: UserOption,
    cluster: ClusterOption = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Give an existing user a new password.")
    ] = False,
    yes: Yes = False,
) -> None:
    """Create a SCRAM user (or, with --reset, give an existing one a new password); its client
    settings go to a 0600 file.

    With --cluster the password is generated and never printed: it is written, with the other
    LGSP_KAFKA_* settings, to <cluster>/security/clients/<user>.env. Without --cluster it is
    asked for (hidden) and sent only in SCRAM's salted form. An existing user's password is
    changed only with --reset (it logs the user's clients out at their next connection).
    """
    check_principal_name(name)
    bootstrap, admin, files = _target(cluster)
    exists = any(u.name == name for u in asyncio.run(list_scram_users(bootstrap, security=admin)))
    if exists and not reset:
        raise LocalKafkaError(
            f"user {name!r} exists: add --reset to give it a new password (its clients must "
            "then use the new one)",
            code="LGSP-SEC-USER-EXISTS",
        )
    confirm(f"{'reset the password of' if exists else 'create'} user {name} at {bootstrap}", yes)
    password = secrets.token_urlsafe(24) if files else typer.prompt("password", hide_input=True)
    asyncio.run(upsert_scram_user(bootstrap, name, password, security=admin))
    verb = "given a new password" if exists else "created"
    if files is None:
        console.print(f"user [bold]{name}[/] {verb}")
        return
    secure.save_user(files, name, password)
    path = secure.write_env_file(files, name, bootstrap)
    console.print(f"user [bold]{name}[/] {verb}; its client settings are in {path}")


@app.command("user-list")
def user_list(cluster: ClusterOption = None, output: OutputOption = OutputFormat.TEXT) -> None:
    """List the SCRAM users the broker holds (names and mechanisms, never a credential)."""
    bootstrap, admin, _ = _target(cluster)
    users = asyncio.run(list_scram_users(bootstrap, security=admin))
    rows = [{"user": u.name, "mechanisms": ", ".join(u.mechanisms)} for u in users]
    emit_rows(rows, output, ("user", "mechanisms"))


@app.command("user-delete")
def user_delete(name: UserOption, cluster: ClusterOption = None, yes: Yes = False) -> None:
    """Delete a SCRAM user (it can no longer log in) and revoke its ACLs."""
    bootstrap, admin, files = _target(cluster)
    found = [u for u in asyncio.run(list_scram_users(bootstrap, security=admin)) if u.name == name]
    if not found:
        raise LocalKafkaError(f"no SCRAM user {name!r} on {bootstrap}", code="LGSP-SEC-NO-USER")
    if files is not None and name == secure.ADMIN_USER:
        raise LocalKafkaError(
            f"{name} is the cluster's super user: deleting it locks you out",
            code="LGSP-SEC-CONFIG",
        )
    confirm(f"delete user {name} and its ACLs at {bootstrap}", yes)
    asyncio.run(delete_scram_user(bootstrap, found[0], security=admin))
    revoked = asyncio.run(revoke_acls(bootstrap, user(name), security=admin))
    console.print(f"user [bold]{name}[/] deleted, {len(revoked)} ACLs revoked")


@app.command("revoke")
def revoke(
    name: UserOption,
    cluster: ClusterOption = None,
    yes: Yes = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Revoke every ACL of user NAME (it keeps its login but may do nothing); prints them."""
    bootstrap, admin, _ = _target(cluster)
    confirm(f"revoke every ACL of user {name} at {bootstrap}", yes)
    revoked = asyncio.run(revoke_acls(bootstrap, user(name), security=admin))
    emit_rows((_acl_row(b) for b in revoked), output, _ACL_COLUMNS)
    console.print(f"{len(revoked)} ACLs of {name} revoked")


_ACL_COLUMNS = ("principal", "operation", "resource_type", "pattern", "resource_name")


def _acl_row(binding: AclBinding) -> dict[str, object]:
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
    bootstrap, admin, _ = _target(cluster)
    principals = ", ".join(sorted({b.principal for b in bindings}))
    confirm(f"grant {len(bindings)} ACLs to {principals} at {bootstrap}", yes)
    count = asyncio.run(create_acls(bootstrap, bindings, security=admin))
    _print_acls(bindings, output)
    console.print(f"{count} ACLs in place")


def _print_acls(bindings: list[AclBinding], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        emit_rows((_acl_row(b) for b in bindings), output, _ACL_COLUMNS)
    else:
        for binding in bindings:
            typer.echo(str(binding))


@app.command("grant-gateway")
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


@app.command("grant-link")
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


@app.command("grant-tracker")
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


@app.command("grant-console")
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


@app.command("grant-connector")
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


@app.command("acls")
def acls(
    name: Annotated[str | None, typer.Option("--user", help="Only this user.")] = None,
    cluster: ClusterOption = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """List the ACLs the broker holds."""
    bootstrap, admin, _ = _target(cluster)
    principal = user(name) if name else None
    _print_acls(asyncio.run(describe_acls(bootstrap, principal, security=admin)), output)
