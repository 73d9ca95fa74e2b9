"""faust-streaming for integrators: a faust agent that reads and writes bus records.

A bus record is an Avro value in single-object encoding with CloudEvents headers (Kafka
binding, binary mode) on a topic named by ``schemas.topics``. This module gives a faust app
what it needs to speak that without knowing it:

- ``SingleObjectAvro``: a faust codec; ``loads`` decodes any catalog version (to ``version``
  when given, by Avro schema resolution), ``dumps`` encodes an ``AvroValue`` (or a dict in the
  codec's own version);
- ``event_topic_of`` / ``inbox_of``: faust topics under the bus's names, with that codec;
- ``envelope_of`` / ``headers_of``: CloudEvents headers to an ``Envelope`` and back.

See examples/faust_anonymised_feed.py (an agent, tested on the real broker) and
docs/connectors.md#faust-agents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from faust.serializers.codecs import Codec

from schemas.catalog import SchemaCatalog, SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope, Headers
from schemas.topics import event_topic, inbox_topic


@dataclass(frozen=True)
class AvroValue:
    """A record to send, with the schema version it is written in."""

    schema: SchemaVersion
    record: Mapping[str, Any]


class SingleObjectAvro(Codec):
    """Avro single-object encoding (``C3 01`` + fingerprint + body) with the bus's catalog.

    ``SingleObjectAvro(subject="dossier.status", version=1)`` reads every version as v1 and
    writes plain dicts as v1; ``SingleObjectAvro()`` reads each value in its writer's version
    and writes only ``AvroValue`` objects.
    """

    def __init__(
        self,
        children: tuple[Codec, ...] | None = None,
        subject: str | None = None,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(children, subject=subject, version=version, **kwargs)
        self.catalog: SchemaCatalog = bundled_catalog()
        self.codec = AvroCodec(self.catalog)
        self.schema = self.catalog.get(subject, version) if subject else None

    def _loads(self, data: bytes) -> dict[str, Any]:
        return self.codec.decode(data, reader=self.schema)

    def _dumps(self, value: Any) -> bytes:
        if isinstance(value, bytes):
            return value  # already encoded (a record passed through unchanged)
        if isinstance(value, AvroValue):
            return self.codec.encode(value.schema, dict(value.record))
        if self.schema is None:
            raise TypeError("send an AvroValue, or give the codec a subject to write dicts in")
        return self.codec.encode(self.schema, dict(value))


def event_topic_of(
    app: Any, node: str, event_type: str, *, version: int | None = None, partitions: int = 3
) -> Any:
    """The faust topic of ``event_type`` events on ``node`` (``lgsp.<node>.<domain>...``),
    values read as schema ``version`` of its subject (default: each in its writer's)."""
    subject = event_type.removeprefix("vn.gov.").rsplit(".", 1)[0]
    codec = SingleObjectAvro(subject=subject, version=version) if version else SingleObjectAvro()
    return app.topic(
        str(event_topic(node, event_type)),
        key_serializer="raw",
        value_serializer=codec,
        partitions=partitions,
    )


def inbox_of(app: Any, node: str, agency: str, *, partitions: int = 3) -> Any:
    """The faust topic of ``agency``'s inbox on ``node``: what the gateway delivers to it."""
    return app.topic(
        inbox_topic(node, agency),
        key_serializer="raw",
        value_serializer=SingleObjectAvro(),
        partitions=partitions,
    )


def envelope_of(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> Envelope:
    """The CloudEvents envelope of a faust event's headers (``event.headers``), validated."""
    if headers is None:
        pairs: Headers = ()
    elif isinstance(headers, Mapping):
        pairs = tuple(headers.items())
    else:
        pairs = tuple(headers)
    return Envelope.from_headers(pairs)


def headers_of(envelope: Envelope) -> list[tuple[str, bytes]]:
    """Kafka headers for ``topic.send(..., headers=...)``: the envelope's ``ce_*`` headers."""
    return list(envelope.to_headers())
