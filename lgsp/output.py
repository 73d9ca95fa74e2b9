"""The CLI's one output convention: data on stdout, messages and errors on stderr.

Every command that prints data takes ``--output text|json``: ``text`` is a table (or lines) for
people, ``json`` is one JSON object per line (per row for a list), for scripts. Messages (what
was done, counts, warnings) always go to stderr, so ``lgsp x list --output json | jq`` sees data
only. Exit codes are in docs/errors.md: 0 ok, 1 failure, 2 usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


class OutputFormat(StrEnum):
    """How a command prints its data on stdout."""

    TEXT = "text"
    JSON = "json"


OutputOption = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="text (a table for people) or json (one object per line)."),
]

messages = Console(stderr=True, soft_wrap=True)
"""Where messages and errors go (stderr)."""


def data_console() -> Console:
    """The console for data in text form (stdout); made per call so tests capture it."""
    return Console(soft_wrap=True)


def emit_json(row: Mapping[str, object]) -> None:
    """One JSON object on one line of stdout."""
    typer.echo(json.dumps(row, ensure_ascii=False, default=str))


def emit_rows(
    rows: Iterable[Mapping[str, object]],
    output: OutputFormat,
    columns: Sequence[str],
    *,
    title: str | None = None,
) -> int:
    """Print ``rows`` as a table (text) or one JSON object per line (json); returns the count.

    ``columns`` are the keys the table shows, in order; JSON lines carry every key.
    """
    listed = list(rows)
    if output is OutputFormat.JSON:
        for row in listed:
            emit_json(row)
        return len(listed)
    table = Table(*columns, title=title)
    for row in listed:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    data_console().print(table)
    return len(listed)


def emit_object(row: Mapping[str, object], output: OutputFormat) -> None:
    """Print one object: indented JSON for people (text), one line for scripts (json)."""
    if output is OutputFormat.JSON:
        emit_json(row)
    else:
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2, default=str))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def confirm(action: str, yes: bool) -> None:
    """Go on only if ``--yes`` was given or the person at the terminal says yes.

    Without a terminal (a script, CI) and without ``--yes`` the command refuses, exit 1: a
    change to a shared system (a broker, a registry, NGSP) is never made by accident.
    """
    if yes:
        return
    if sys.stdin.isatty():
        typer.confirm(f"{action}?", abort=True, err=True)
        return
    messages.print(f"not done: {action} needs --yes (or answer at a terminal)", highlight=False)
    raise typer.Exit(1)
