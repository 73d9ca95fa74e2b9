"""`lgsp schemas asyncapi --node hanoi`: an AsyncAPI 3.0 document of the node's channels,
messages and operations, valid against the official AsyncAPI 3.0.0 JSON Schema (vendored in
tests/data, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from fastavro import parse_schema
from typer.testing import CliRunner

from lgsp.cli import app
from schemas.asyncapi import asyncapi_document
from schemas.catalog import bundled_catalog
from schemas.topics import event_topic

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "asyncapi-3.0.0.schema.json").read_text())


def _errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def _hanoi() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schemas", "asyncapi", "--node", "hanoi"])
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(result.stdout)
    assert isinstance(document, dict)
    return document


def test_the_document_is_valid_asyncapi_3() -> None:
    """The command's YAML is an AsyncAPI 3.0.0 document the official JSON Schema accepts."""
    document = _hanoi()
    assert document["asyncapi"] == "3.0.0"
    assert _errors(document) == []


def test_the_schema_check_can_fail() -> None:
    """Guard: a document with an operation lacking its action, or an unknown top-level field,
    is refused (the check above is not vacuous)."""
    document = _hanoi()
    broken = json.loads(json.dumps(document))
    del broken["operations"]["sink-receives-inbox"]["action"]
    assert _errors(broken)
    assert _errors({**document, "paths": {}})


def test_every_event_type_is_a_channel_with_its_topic_and_every_version_a_message() -> None:
    """Each event type of the catalog is a channel addressed to its topic on the node, with one
    message per schema version whose payload is the .avsc and whose headers are CloudEvents."""
    catalog = bundled_catalog()
    document = asyncapi_document(catalog, "hanoi", server="127.0.0.1:9092", version="0")
    addresses = {c["address"] for c in document["channels"].values()}
    for schema in catalog:
        assert str(event_topic("hanoi", schema.event_type)) in addresses
        message = document["components"]["messages"][
            f"{schema.subject.replace('.', '-')}-v{schema.version}"
        ]
        assert message["payload"]["schema"] == dict(schema.definition)
        assert message["payload"]["schemaFormat"].startswith("application/vnd.apache.avro+json")
        parse_schema(message["payload"]["schema"])
        headers = message["headers"]
        assert headers["properties"]["ce_type"] == {"const": schema.event_type}
        assert set(headers["required"]) == {
            "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time",
        }  # fmt: skip
    assert document["channels"]["inbox"]["address"] == "lgsp.hanoi.inbox.{agency}"
    actions = {op["action"] for op in document["operations"].values()}
    assert actions == {"send", "receive"}


def test_operations_name_messages_of_their_own_channel() -> None:
    """Every operation's messages are references into its own channel's messages (AsyncAPI 3
    requires it), and each reference resolves."""
    document = _hanoi()
    for name, operation in document["operations"].items():
        channel = operation["channel"]["$ref"].removeprefix("#/channels/")
        for reference in operation["messages"]:
            prefix = f"#/channels/{channel}/messages/"
            assert reference["$ref"].startswith(prefix), name
            assert (
                reference["$ref"].removeprefix(prefix) in document["channels"][channel]["messages"]
            )


def test_out_writes_json_by_its_extension(tmp_path: Path) -> None:
    """`--out hanoi.json` writes the same document as JSON and says so on stderr."""
    out = tmp_path / "hanoi.json"
    result = CliRunner().invoke(app, ["schemas", "asyncapi", "--node", "hanoi", "--out", str(out)])
    assert result.exit_code == 0
    assert result.stdout == "" and "AsyncAPI 3.0" in result.stderr
    assert json.loads(out.read_text()) == _hanoi()
