"""Our Avro single-object bytes are standard Avro: Apache Avro for Java (BinaryMessageDecoder,
from Maven Central) reads them, and bytes Java writes decode in Python to the same records."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastavro import json_writer

from bus.localkafka.toolchain import fetch_maven_closure, find_java
from bus.settings import Settings
from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.examples import example_record

INTEROP = Path(__file__).parent.parent / "interop"
CODEC = AvroCodec()


@pytest.fixture(scope="module")
def java_results(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the Java side once over every schema; return the folder with its outputs."""
    jars = asyncio.run(
        fetch_maven_closure(
            (INTEROP / "pom.xml").read_bytes(),
            settings.home / "java" / "avro-interop" / "libs",
            {},
            what="Apache Avro for Java",
        )
    )
    work = tmp_path_factory.mktemp("avro-interop")
    for schema in bundled_catalog():
        name = f"{schema.subject}.v{schema.version}"
        record = example_record(schema)
        (work / f"{name}.avsc").write_text(json.dumps(schema.definition, ensure_ascii=False))
        (work / f"{name}.python.bin").write_bytes(CODEC.encode(schema, record))
        avro_json = io.StringIO()
        json_writer(avro_json, schema.parsed, [record])
        (work / f"{name}.avro.json").write_text(avro_json.getvalue())
    v2 = bundled_catalog().get("dossier.status", 2)
    (work / "dossier.status.v1.resolve.bin").write_bytes(CODEC.encode(v2, example_record(v2)))
    assert shutil.which("javac") or Path(find_java()).with_name("javac").exists(), (
        "running AvroInterop.java needs a JDK (Debian: openjdk-17-jdk-headless)"
    )
    result = subprocess.run(
        [find_java(), "-cp", f"{jars}/*", str(INTEROP / "AvroInterop.java"), str(work)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return work


SCHEMAS = list(bundled_catalog())


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: f"{s.subject}.v{s.version}")
def test_java_decodes_our_bytes_to_the_same_record(
    java_results: Path, schema: SchemaVersion
) -> None:
    """Java reads our bytes; its re-encoding is byte-identical and its text shows our values."""
    name = f"{schema.subject}.v{schema.version}"
    ours = (java_results / f"{name}.python.bin").read_bytes()
    assert (java_results / f"{name}.java-roundtrip.bin").read_bytes() == ours
    java_text = json.loads((java_results / f"{name}.java.txt").read_text(encoding="utf-8"))
    record = example_record(schema)
    first_field = next(iter(record))
    assert java_text[first_field] == record[first_field]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: f"{s.subject}.v{s.version}")
def test_bytes_written_by_java_decode_in_python(java_results: Path, schema: SchemaVersion) -> None:
    """A record Java built from Avro JSON and encoded single-object decodes here unchanged."""
    name = f"{schema.subject}.v{schema.version}"
    java_bytes = (java_results / f"{name}.java-from-json.bin").read_bytes()
    assert CODEC.writer_of(java_bytes) is schema
    assert CODEC.decode(java_bytes) == example_record(schema)


def test_java_resolves_a_v2_dossier_to_v1_like_python_does(java_results: Path) -> None:
    """Java, reading v2 bytes with a v1 reader, yields the same record as our resolution."""
    v1, v2 = bundled_catalog().get("dossier.status", 1), bundled_catalog().get("dossier.status", 2)
    v2_bytes = CODEC.encode(v2, example_record(v2))
    java_v1 = (java_results / "dossier.status.v1.java-resolved.bin").read_bytes()
    assert CODEC.writer_of(java_v1) is v1
    assert CODEC.decode(java_v1) == CODEC.decode(v2_bytes, reader=v1)
