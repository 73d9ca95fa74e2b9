"""The per-schema cache the codec and the JSON forms share: compiled once, bounded, by identity."""

from __future__ import annotations

import dataclasses

import pytest

from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.examples import example_record
from schemas.jsonform import from_json, to_json
from schemas.per_schema import PerSchema

SCHEMAS = list(bundled_catalog())


def test_each_schema_is_compiled_once_and_its_result_kept() -> None:
    calls: list[str] = []

    def compile(schema: SchemaVersion) -> str:
        calls.append(schema.subject)
        return f"{schema.subject} v{schema.version}"

    cache = PerSchema(compile)
    for _ in range(3):
        answers = [cache(schema) for schema in SCHEMAS]
    assert answers == [f"{s.subject} v{s.version}" for s in SCHEMAS]
    assert calls == [s.subject for s in SCHEMAS]
    assert len(cache) == len(SCHEMAS)


def test_beyond_its_size_the_oldest_is_dropped_and_compiled_again() -> None:
    calls: list[SchemaVersion] = []

    def compile(schema: SchemaVersion) -> int:
        calls.append(schema)
        return len(calls)

    cache = PerSchema(compile, size=2)
    first, second, third = SCHEMAS[:3]
    assert (cache(first), cache(second), cache(first)) == (1, 2, 1)
    assert cache(third) == 3  # first is the oldest entry: dropped
    assert len(cache) == 2
    assert cache(second) == 2
    assert cache(first) == 4
    assert calls == [first, second, third, first]


def test_an_equal_but_distinct_schema_object_is_compiled_for_itself() -> None:
    """Identity, not equality: a copy (another catalog's version) gets its own entry."""
    original = SCHEMAS[0]
    copy = dataclasses.replace(original)
    assert copy is not original
    cache = PerSchema(lambda schema: schema)
    assert cache(original) is original
    assert cache(copy) is copy
    assert cache(original) is original


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PerSchema(lambda schema: schema, size=0)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: f"{s.subject}-v{s.version}")
def test_the_codec_and_the_json_forms_round_trip_through_their_caches(
    schema: SchemaVersion,
) -> None:
    codec = AvroCodec()
    record = example_record(schema)
    for _ in range(2):  # the second pass runs what the first one compiled
        assert codec.decode(codec.encode(schema, record)) == record
        assert from_json(schema, to_json(schema, record)) == record
