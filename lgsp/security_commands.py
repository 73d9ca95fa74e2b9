"""``lgsp security``: principals (SCRAM users) and their ACLs on a secure cluster.

Each node's gateway (with its border and links), its tracker, each agency's connector, and
each link on its peer's cluster gets its own user with only the ACLs it needs
(``bus.kafka.acls``). Against a local cluster (``--cluster``), the super user's credentials are
read from the cluster's folder; otherwise the process settings (``LGSP_BOOTSTRAP_SERVERS`` and
``LGSP_KAFKA_*``) must name a super user (``lgsp.security_access``). The users' commands are
here, the grants in ``lgsp.grant_commands``.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

import typer

from bus.kafka.acladmin import upsert_scram_user
from bus.kafka.acls import user
from bus.kafka.useradmin import delete_scram_user, list_scram_users, revoke_acls
from bus.localkafka import secure
from bus.localkafka.layout import check_principal_name
from lgsp.grant_commands import (
    ACL_COLUMNS,
    acl_row,
    acls,
    grant_connector,
    grant_console,
    grant_gateway,
    grant_link,
    grant_tracker,
)
from lgsp.output import OutputFormat, OutputOption, confirm, emit_rows
from lgsp.output import messages as console
from lgsp.security_access import ClusterOption, UserOption, Yes, super_user_target
from lgsp.token_commands import token_hash
from schemas.errors import LocalKafkaError

app = typer.Typer(
    help="Users and ACLs of a secure cluster (SASL/SCRAM, StandardAuthorizer).",
    no_args_is_help=True,
)
app.command("token-hash")(token_hash)


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
    bootstrap, admin, files = super_user_target(cluster)
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
    bootstrap, admin, _ = super_user_target(cluster)
    users = asyncio.run(list_scram_users(bootstrap, security=admin))
    rows = [{"user": u.name, "mechanisms": ", ".join(u.mechanisms)} for u in users]
    emit_rows(rows, output, ("user", "mechanisms"))


@app.command("user-delete")
def user_delete(name: UserOption, cluster: ClusterOption = None, yes: Yes = False) -> None:
    """Delete a SCRAM user (it can no longer log in) and revoke its ACLs."""
    bootstrap, admin, files = super_user_target(cluster)
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
    bootstrap, admin, _ = super_user_target(cluster)
    confirm(f"revoke every ACL of user {name} at {bootstrap}", yes)
    revoked = asyncio.run(revoke_acls(bootstrap, user(name), security=admin))
    emit_rows((acl_row(b) for b in revoked), output, ACL_COLUMNS)
    console.print(f"{len(revoked)} ACLs of {name} revoked")


app.command("grant-gateway")(grant_gateway)
app.command("grant-link")(grant_link)
app.command("grant-tracker")(grant_tracker)
app.command("grant-console")(grant_console)
app.command("grant-connector")(grant_connector)
app.command("acls")(acls)
