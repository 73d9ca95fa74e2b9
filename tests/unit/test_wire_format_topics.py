"""Choosing the wire format per topic in config files (node.yaml, connector files, with the
line of each problem), re-framing between the two formats without decoding, and what reads
a Confluent frame it cannot resolve (a coded error, never a crash)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.structs import ConsumerRecord

from bus.wireformat import SINGLE_OBJECT, RecordEncoding, WireFormatConfig, as_single_object
from bus.yamlconfig import ConfigError
from connectors.registry import load_connector_config
from gateway.config import load_gateway_config
from gateway.routing.admission import Admission
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.confluent import from_single_object, schema_id_of, to_single_object, unframe
from schemas.errors import CodecError
from schemas.examples import example_record
from schemas.ids.directory import bundled_directory

SCHEMA = bundled_catalog().get("dossier.status", 2)


def _single() -> bytes:
    return AvroCodec().encode(SCHEMA, example_record(SCHEMA))


def test_reframing_keeps_the_body_and_changes_only_the_header() -> None:
    """A single-object value re-framed with id 9 decodes as a Confluent frame to the same
    record, and turns back into the same single-object bytes."""
    single = _single()
    framed = from_single_object(single, SCHEMA, 9)
    assert schema_id_of(framed) == 9
    assert unframe(framed, SCHEMA) == AvroCodec().decode(single)
    assert to_single_object(framed, SCHEMA) == single


def test_reframing_a_value_of_another_schema_is_refused() -> None:
    """A value whose header is not the writer's is LGSP-CODEC-CORRUPT, not a wrong frame."""
    other = bundled_catalog().get("document.sent")
    with pytest.raises(CodecError) as raised:
        from_single_object(_single(), other, 1)
    assert raised.value.code == "LGSP-CODEC-CORRUPT"


def test_without_a_registry_a_frame_is_unresolved_and_single_object_passes() -> None:
    """With no registry, a Confluent frame is LGSP-CODEC-CONFLUENT-UNRESOLVED; a single-object
    value comes back unchanged, and unconfigured topics need no registry to encode."""
    encoding = RecordEncoding(SINGLE_OBJECT, None)
    single = _single()
    framed = from_single_object(single, SCHEMA, 3)
    with pytest.raises(CodecError) as raised:
        asyncio.run(encoding.single_object(framed))
    assert raised.value.code == "LGSP-CODEC-CONFLUENT-UNRESOLVED"
    assert asyncio.run(encoding.for_topic("lgsp.hanoi.inbox.x", single)) == single
    assert asyncio.run(as_single_object(single, SINGLE_OBJECT)) == single


def test_admission_parks_an_unstamped_frame_it_could_not_resolve_with_a_code() -> None:
    """A Confluent frame left unresolved by the runtime is refused with
    LGSP-CODEC-CONFLUENT-UNRESOLVED instead of a generic codec error."""
    admission = Admission(bundled_catalog(), bundled_directory())
    framed = from_single_object(_single(), SCHEMA, 3)
    record = ConsumerRecord("t", 0, 0, 0, 0, b"k", framed, None, 1, len(framed), [])
    refused = admission.refusal(record)
    assert refused is not None and refused.code == "LGSP-CODEC-CONFLUENT-UNRESOLVED"


def test_node_yaml_takes_wire_format_and_names_the_line_of_a_problem(tmp_path: Path) -> None:
    """node.yaml's wire_format sets the registry and patterns; confluent_topics without a
    registry is LGSP-CONFIG-INVALID naming its line."""
    path = tmp_path / "node.yaml"
    path.write_text(
        "node: hanoi\nwire_format:\n  registry: http://127.0.0.1:8081\n"
        "  confluent_topics: ['lgsp.hanoi.inbox.*']\n",
        encoding="utf-8",
    )
    wire = load_gateway_config(path).wire_format
    assert wire.is_confluent("lgsp.hanoi.inbox.000_01_02_H24")
    assert not wire.is_confluent("lgsp.hanoi.events.x")
    path.write_text("node: hanoi\nwire_format:\n  confluent_topics: [a]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_gateway_config(path)
    assert "line 3" in str(raised.value) and "registry" in str(raised.value)


def test_a_connector_file_takes_wire_format_and_defaults_to_single_object(
    tmp_path: Path,
) -> None:
    """A connector file's wire_format is parsed (an unknown key is a problem with its line);
    without one, every topic is single-object."""
    path = tmp_path / "sink.yaml"
    base = "kind: http-sink\nname: dms\nnode: hanoi\nagency: 000.01.02.H24\nurl: http://x/in\n"
    path.write_text(base, encoding="utf-8")
    assert load_connector_config(path).wire_format == WireFormatConfig()
    path.write_text(base + "wire_format:\n  registry: http://127.0.0.1:1\n", encoding="utf-8")
    assert load_connector_config(path).wire_format.registry == "http://127.0.0.1:1"
    path.write_text(base + "wire_format:\n  registery: http://127.0.0.1:1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_connector_config(path)
    assert "line 7" in str(raised.value)


def test_an_encoding_remembers_each_topics_format_as_its_patterns_say() -> None:
    """``confluent_topic`` answers as the patterns do, the first time and every time after
    (the gateway asks it for every record it produces)."""
    config = WireFormatConfig(
        registry="http://127.0.0.1:8081", confluent_topics=["lgsp.hanoi.inbox.*", "exact.topic"]
    )
    wire = RecordEncoding(config, None)
    topics = ["lgsp.hanoi.inbox.000_01_02_H24", "exact.topic", "lgsp.hanoi.events.x", "exact"]
    for _ in range(3):
        assert [wire.confluent_topic(t) for t in topics] == [True, True, False, False]
    assert not RecordEncoding(SINGLE_OBJECT, None).confluent_topic("lgsp.hanoi.inbox.x")
