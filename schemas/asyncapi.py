"""An AsyncAPI 3.0 document of one node's channels: what integrators' tools (AsyncAPI Studio,
generators, Microcks) read to know the bus's topics, messages and who sends or receives them.

Channels are the node's event topics (one per CloudEvents type) and its agency inboxes (one
parameterised channel); each message is one schema version: its payload the ``.avsc``
(``schemaFormat`` Avro 1.9), its headers the CloudEvents Kafka binding's ``ce_*`` headers,
its key the business key. Operations: connectors send events, sinks receive their inbox, the
gateway receives events and sends to inboxes. Pure: built from the catalog and the topic
naming rules.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from schemas.catalog import SchemaCatalog, SchemaVersion
from schemas.envelope import CONTENT_TYPE, SPECVERSION
from schemas.topics import PREFIX, event_topic

ASYNCAPI_VERSION = "3.0.0"
AVRO_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
_AGENCY = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"


def _message_id(schema: SchemaVersion) -> str:
    return f"{schema.subject.replace('.', '-')}-v{schema.version}"


def _channel_id(event_type: str) -> str:
    return event_type.removeprefix("vn.gov.").replace(".", "-")


def cloudevents_headers(schema: SchemaVersion) -> dict[str, Any]:
    """The Kafka headers of a record of ``schema`` (CloudEvents binary mode), as JSON Schema."""
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
        "properties": {
            "ce_specversion": {"const": SPECVERSION},
            "ce_id": {**text, "description": "Unique id of the event (a UUID)."},
            "ce_source": {
                **text,
                "pattern": _AGENCY,
                "description": "Agency code of the sender (mã định danh, QĐ 20/2020).",
            },
            "ce_type": {"const": schema.event_type},
            "ce_time": {**text, "format": "date-time"},
            "ce_dataschema": {
                "const": schema.dataschema,
                "description": "The exact schema version of the value.",
            },
            "ce_subject": text,
            "ce_recipients": {
                **text,
                "description": "Comma-separated agency codes the event is addressed to.",
            },
            "ce_correlationid": text,
            "ce_traceparent": {**text, "description": "W3C trace context."},
            "ce_attempt": {**text, "pattern": r"^\d+$"},
            "ce_signature": {
                **text,
                "description": "<key id>:<base64url signature>, set by a federation link.",
            },
            "content-type": {"const": CONTENT_TYPE},
        },
    }


def _message(schema: SchemaVersion) -> dict[str, Any]:
    return {
        "name": schema.full_name,
        "title": f"{schema.subject} v{schema.version}",
        "summary": str(schema.definition.get("doc", schema.event_type)),
        "contentType": CONTENT_TYPE,
        "headers": cloudevents_headers(schema),
        "payload": {"schemaFormat": AVRO_FORMAT, "schema": dict(schema.definition)},
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The business key (dossier code...)."},
                "bindingVersion": "0.5.0",
            }
        },
        "description": (
            "Avro single-object encoding (C3 01 + CRC-64-AVRO fingerprint "
            f"{schema.fingerprint.hex()}, then the binary body)."
        ),
    }


def _refs(kind: str, ids: list[str]) -> dict[str, Any]:
    return {i: {"$ref": f"#/components/{kind}/{i}"} for i in ids}


def asyncapi_document(
    catalog: SchemaCatalog, node: str, *, server: str, version: str
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``node`` served by Kafka at ``server`` (host:port)."""
    by_type: dict[str, list[SchemaVersion]] = defaultdict(list)
    for schema in catalog:
        by_type[schema.event_type].append(schema)
    messages = {_message_id(s): _message(s) for s in catalog}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event_type, schemas in sorted(by_type.items()):
        channel = _channel_id(event_type)
        channels[channel] = {
            "address": str(event_topic(node, event_type)),
            "title": f"{event_type} on {node}",
            "description": f"Every {event_type} event published on node {node}.",
            "messages": _refs("messages", [_message_id(s) for s in schemas]),
        }
        ref = {"$ref": f"#/channels/{channel}"}
        for action, who in (("send", "connector-publishes"), ("receive", "gateway-routes")):
            operations[f"{who}-{channel}"] = {
                "action": action,
                "channel": ref,
                "summary": (
                    f"An agency's source connector publishes {event_type} events."
                    if action == "send"
                    else f"The gateway of {node} reads {event_type} events and routes them."
                ),
                "messages": [
                    {"$ref": f"#/channels/{channel}/messages/{_message_id(s)}"} for s in schemas
                ],
            }
    every = sorted(messages)
    channels["inbox"] = {
        "address": f"{PREFIX}.{node}.inbox.{{agency}}",
        "title": f"An agency's inbox on {node}",
        "description": (
            "What the gateway delivers to one agency, read by its sink connector; {agency} is "
            "the agency code in lower case with '-' for '.', e.g. 000-01-02-h24."
        ),
        "parameters": {
            "agency": {"description": "Agency code, lower case, '-' for '.' (000-01-02-h24)."}
        },
        "messages": _refs("messages", every),
    }
    inbox_messages = [{"$ref": f"#/channels/inbox/messages/{m}"} for m in every]
    operations["gateway-delivers-inbox"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/inbox"},
        "summary": "The gateway delivers routed records to each recipient agency's inbox.",
        "messages": inbox_messages,
    }
    operations["sink-receives-inbox"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/inbox"},
        "summary": "An agency's sink connector reads its own inbox.",
        "messages": inbox_messages,
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:vn:gov:lgsp:{node}",
        "info": {
            "title": f"LGSP node {node}",
            "version": version,
            "description": (
                f"The Kafka topics of LGSP node {node}: Avro values (single-object encoding) "
                "with CloudEvents headers (Kafka binding, binary mode). See docs/contract.md."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            node: {
                "host": server,
                "protocol": "kafka",
                "description": f"The Kafka cluster of node {node}.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
