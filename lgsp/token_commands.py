"""``lgsp security token-hash``: make an admin API token and the hash a process is given.

The token itself is shown once and never stored; the process's ``LGSP_ADMIN_TOKENS`` holds
only its SHA-256 (``bus.adminauth``). A token to hash is read from standard input (never from
the command line, where ``ps`` and the shell history would keep it).
"""

from __future__ import annotations

import json
import secrets
import sys
from typing import Annotated

import typer

from bus.adminauth import AdminToken, Role, hash_admin_token
from lgsp.output import OutputFormat, OutputOption, emit_json
from schemas.errors import LgspError


def token_hash(
    name: Annotated[str, typer.Option("--name", help="Who holds the token (shown in logs).")],
    role: Annotated[Role, typer.Option("--role", help="viewer (reads) or operator (acts).")],
    stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Hash the token read from standard input (one line)."),
    ] = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Print a new token (or hash one from --stdin) and its LGSP_ADMIN_TOKENS entry."""
    if stdin:
        token = sys.stdin.readline().strip()
        if len(token) < 16:
            raise LgspError(
                "a token needs at least 16 characters; run without --stdin to generate one",
                code="LGSP-ADMIN-TOKEN-WEAK",
            )
    else:
        token = secrets.token_urlsafe(32)
        typer.echo("# give it to its holder once; it is not stored anywhere", err=True)
    entry = AdminToken(name=name, role=role, token_sha256=hash_admin_token(token))
    if output is OutputFormat.JSON:
        emit_json({"token": None if stdin else token, "entry": entry.model_dump(mode="json")})
        return
    if not stdin:
        typer.echo(f"token: {token}")
    typer.echo(f"entry: {json.dumps(entry.model_dump(mode='json'))}")
