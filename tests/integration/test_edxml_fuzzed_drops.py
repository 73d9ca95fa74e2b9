"""The edXML file-drop source under generated malformed files, on the real broker: it keeps
running, moves each malformed file to rejected/ beside a reason file with its code, and
publishes the valid files dropped among and after them."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.edxml.document import parse_edxml
from connectors.edxml.source import EdxmlSourceConfig
from connectors.edxml.writing import format_edxml
from connectors.runner import run_connector
from schemas.errors import LgspError
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.topics import event_topic
from tests.coherent import numbered_document
from tests.connectorharness import DOCUMENT, private_node, wait_for_records
from tests.unit.test_edxml_document import HAND_WRITTEN
from tests.unit.test_fuzz_edxml import BOMBS

OFFICE = "000.00.00.H24"


def _valid(document_id: str) -> bytes:
    document = numbered_document(example_json(DOCUMENT), document_id)  # its own id
    return format_edxml(document, received_by=OFFICE, received_at="2026-11-20T03:00:00Z")


def _malformed(seed: int) -> bytes:
    """A valid document with a few byte ranges cut or replaced by random bytes, that the
    parser refuses (seeded: the same files every run)."""
    generator = random.Random(seed)
    for _ in range(1000):
        data = bytearray(_valid(f"fuzz-{seed}"))
        for _ in range(generator.randint(1, 4)):
            start = generator.randrange(len(data))
            data[start : start + generator.randint(0, 40)] = generator.randbytes(
                generator.randint(0, 8)
            )
        try:
            from_json(DOCUMENT, parse_edxml(bytes(data)))
        except LgspError:
            return bytes(data)
    raise AssertionError("no malformed mutation found")


async def _until(predicate: object, timeout_s: float = 30) -> None:
    assert callable(predicate)
    async with asyncio.timeout(timeout_s):
        # the file system offers nothing to await: poll it
        while not await asyncio.to_thread(predicate):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def test_malformed_dropped_files_are_set_aside_with_reasons_and_the_source_keeps_going(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Mutated documents, bombs, random bytes and an empty file among valid ones: each bad
    file lands in rejected/ with a reason file starting with its LGSP- code; the valid ones,
    and one dropped after them all, are published once and archived."""
    node = private_node()
    topic = str(event_topic(node, DOCUMENT.event_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
    drop = tmp_path / "drop"
    drop.mkdir()
    bad = {f"m{seed}.edxml": _malformed(seed) for seed in range(6)}
    bad |= {f"bomb-{i}.edxml": bomb for i, bomb in enumerate(BOMBS.values())}
    bad |= {"random.edxml": random.Random(7).randbytes(2048), "empty.edxml": b""}
    bad["bad-type.edxml"] = HAND_WRITTEN.replace("<edXML:Type>1<", "<edXML:Type>--5<").encode()
    good = {f"v{i}.edxml": _valid(f"valid-{i}") for i in range(3)}
    for name, data in (bad | good).items():
        (drop / name).write_bytes(data)
    config = EdxmlSourceConfig.model_validate(
        {"name": "vanthu", "node": node, "agency": OFFICE, "folder": str(drop),
         "poll_interval_s": 0.1, "max_batch": 4}
    )  # fmt: skip
    rejected, archive = drop / "rejected", drop / "archive"
    async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)) as running:
        await wait_for_records(kafka_bootstrap, topic, len(good))
        await _until(lambda: all((rejected / f"{n}.reason.txt").exists() for n in bad))
        (drop / "after.edxml").write_bytes(_valid("after-the-fuzz"))
        records = await wait_for_records(kafka_bootstrap, topic, len(good) + 1)
        await _until(lambda: (archive / "after.edxml").exists())
        assert not running.task.done(), "the source stopped"
    for name, data in bad.items():
        assert (rejected / name).read_bytes() == data
        reason = (rejected / f"{name}.reason.txt").read_text(encoding="utf-8")
        assert reason.startswith("LGSP-"), (name, reason)
    assert "DocumentType/Type: '--5' is not a whole number" in (
        rejected / "bad-type.edxml.reason.txt"
    ).read_text(encoding="utf-8")
    assert sorted(p.name for p in archive.iterdir()) == sorted([*good, "after.edxml"])
    after = numbered_document(example_json(DOCUMENT), "after-the-fuzz")["documentId"]
    assert [r.key for r in records].count(after.encode()) == 1
    assert len(records) == len(good) + 1
    assert not list(drop.glob("*.edxml"))
    print(f"\nedxml drops: {len(bad)} rejected with reasons, {len(records)} published")
