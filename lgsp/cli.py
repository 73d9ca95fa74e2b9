"""The ``lgsp`` command: one typer app with a sub-command group per subsystem."""

from __future__ import annotations

import sys
from importlib.metadata import version
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from lgsp import (
    attachment_commands,
    audit_commands,
    connector_commands,
    console_commands,
    consume_command,
    demo,
    dlq_commands,
    doctor,
    gateway_commands,
    kafka_commands,
    link_commands,
    schema_commands,
    security_commands,
    tracker_commands,
    trust_commands,
)
from schemas.errors import LgspError


class _LgspGroup(TyperGroup):
    """The root command: an ``LgspError`` anywhere becomes one coded line on stderr, exit 1."""

    # ctx is typer's vendored click Context, which typer does not export under a public name
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LgspError as error:
            Console(stderr=True, soft_wrap=True).print(
                f"[bold red]error[/] [{error.code}] {error.message}", highlight=False
            )
            ctx.exit(1)


app = typer.Typer(
    cls=_LgspGroup,
    name="lgsp",
    help="Integration bus for Vietnamese e-government (LGSP/NGSP) on Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kafka_commands.app, name="kafka")
app.add_typer(schema_commands.app, name="schemas")
app.add_typer(gateway_commands.app, name="gateway")
app.add_typer(dlq_commands.app, name="dlq")
app.add_typer(link_commands.app, name="link")
app.add_typer(trust_commands.app, name="trust")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(tracker_commands.app, name="tracker")
app.add_typer(connector_commands.app, name="connector")
app.add_typer(attachment_commands.app, name="attachments")
app.add_typer(security_commands.app, name="security")
app.command("demo")(demo.demo_command)
app.command("doctor")(doctor.doctor)
app.command("consume")(consume_command.consume)
app.command("console")(console_commands.console_command)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"lgsp {version('lgsp-bus')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Integration bus for Vietnamese e-government (LGSP/NGSP) on Apache Kafka.

    Data goes to stdout, messages and errors to stderr; exit codes: 0 ok, 1 failure, 2 usage
    (docs/errors.md).
    """


def main() -> None:
    """Entry point: runs the app and turns every ``LgspError`` into a one-line coded message."""
    try:
        app()
    except LgspError as error:
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error[/] [{error.code}] {error.message}", highlight=False
        )
        sys.exit(1)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        sys.exit(130)
