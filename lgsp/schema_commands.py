"""``lgsp schemas list|show|example|asyncapi|check|lock``: the contract, for integrators and CI."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from lgsp.output import OutputFormat, OutputOption, emit_json, emit_object, emit_rows
from schemas.asyncapi import asyncapi_document
from schemas.catalog import SchemaCatalog, bundled_catalog, bundled_schema_folder
from schemas.codec import AvroCodec
from schemas.compatibility import check_folder, write_lock
from schemas.examples import example_json, example_record

app = typer.Typer(help="Inspect and check the Avro schemas of the contract.", no_args_is_help=True)
err = Console(stderr=True)

Subject = Annotated[str, typer.Argument(help="Schema subject, e.g. dossier.status.")]
Version = Annotated[int | None, typer.Option("--version", "-v", help="Version (default: latest).")]
Folder = Annotated[Path | None, typer.Option(help="Check this folder of .avsc files instead.")]


@app.command("list")
def list_schemas(output: OutputOption = OutputFormat.TEXT) -> None:
    """Every subject and version with its event type and fingerprint."""
    rows = [
        {
            "subject": schema.subject,
            "version": schema.version,
            "record": schema.full_name,
            "event_type": schema.event_type,
            "fingerprint": schema.fingerprint.hex(),
        }
        for schema in bundled_catalog()
    ]
    emit_rows(rows, output, ("subject", "version", "record", "event_type", "fingerprint"))


@app.command()
def show(
    subject: Subject, version: Version = None, output: OutputOption = OutputFormat.TEXT
) -> None:
    """Print a schema's definition (.avsc JSON)."""
    emit_object(bundled_catalog().get(subject, version).definition, output)


@app.command()
def example(
    subject: Subject,
    version: Version = None,
    encoded: Annotated[bool, typer.Option("--hex", help="Print the encoded value in hex.")] = False,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Print a schema's realistic example as JSON (or its single-object encoding in hex)."""
    schema = bundled_catalog().get(subject, version)
    if encoded:
        value = AvroCodec().encode(schema, example_record(schema)).hex()
        if output is OutputFormat.JSON:
            emit_json({"subject": schema.subject, "version": schema.version, "hex": value})
        else:
            typer.echo(value)
    else:
        emit_object(example_json(schema), output)


@app.command()
def asyncapi(
    node: Annotated[str, typer.Option("--node", help="The node's short name, e.g. hanoi.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write it here (.json or .yaml) instead.")
    ] = None,
    server: Annotated[
        str, typer.Option(help="The node's Kafka bootstrap host:port the document names.")
    ] = "127.0.0.1:9092",
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """The AsyncAPI 3.0 document of a node: channels (topics), messages (CloudEvents headers
    and the Avro payload of each schema version) and operations; YAML (text) or JSON."""
    document = asyncapi_document(
        bundled_catalog(), node, server=server, version=metadata.version("lgsp-bus")
    )
    as_json = output is OutputFormat.JSON or (out is not None and out.suffix == ".json")
    text = (
        json.dumps(document, ensure_ascii=False, indent=2 if out else None) + "\n"
        if as_json
        else yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    )
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    channels, messages = len(document["channels"]), len(document["components"]["messages"])
    err.print(f"wrote {out}: AsyncAPI 3.0, {channels} channels, {messages} messages")


@app.command()
def check(folder: Folder = None) -> None:
    """Fail when schemas break FULL_TRANSITIVE compatibility, a published version changed, or
    an example does not fit its schema."""
    folder = folder or bundled_schema_folder()
    findings = check_folder(folder)
    for finding in findings:
        colour = "red" if finding.severity == "error" else "yellow"
        err.print(
            f"[{colour}]{finding.severity}[/] {finding.subject}: {finding.message}", highlight=False
        )
    errors = sum(f.severity == "error" for f in findings)
    versions = len(SchemaCatalog.from_folder(folder))
    err.print(f"{versions} schema versions checked in {folder}: {errors} error(s)")
    if errors:
        raise typer.Exit(code=1)


@app.command()
def lock(folder: Folder = None) -> None:
    """Pin every version's fingerprint in published.json (run after adding a version)."""
    folder = folder or bundled_schema_folder()
    findings = [f for f in check_folder(folder) if f.severity == "error"]
    if findings:
        err.print("[red]refusing to lock[/]: `lgsp schemas check` finds errors")
        raise typer.Exit(code=1)
    pinned = write_lock(folder)
    err.print(f"{len(pinned)} versions pinned in {folder / 'published.json'}")
