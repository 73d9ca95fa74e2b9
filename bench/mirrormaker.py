"""Apache Kafka's MirrorMaker 2 as a peer for the federation benchmark.

Its jars (``connect-mirror`` and its closure) come from Maven Central once into the project's
cache, like the broker's; ``mirror_maker`` runs it in dedicated mode (``connect-mirror-maker``)
copying one topic from cluster A to B, where it lands as ``A.<topic>`` (the default
replication policy).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from bus.localkafka.toolchain import fetch_maven_closure, find_java
from bus.settings import Settings

MM2_KAFKA_VERSION = "4.3.1"
_LOG4J = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="${sys:mm2.log}"><PatternLayout pattern="%d %p %c %m%n"/></File>
  </Appenders>
  <Loggers><Root level="WARN"><AppenderRef ref="file"/></Root></Loggers>
</Configuration>
"""


async def mirror_maker_jars(settings: Settings) -> Path:
    pom = (Path(__file__).parent / "mirrormaker2" / "pom.xml").read_bytes()
    target = settings.home / "mirrormaker2" / MM2_KAFKA_VERSION / "libs"
    return await fetch_maven_closure(
        pom,
        target,
        {"kafka.version": MM2_KAFKA_VERSION},
        what=f"MirrorMaker 2 {MM2_KAFKA_VERSION}",
    )


def _properties(source: str, target: str, topic: str) -> str:
    lines = {
        "clusters": "A, B",
        "A.bootstrap.servers": source,
        "B.bootstrap.servers": target,
        "A->B.enabled": "true",
        "A->B.topics": topic.replace(".", "\\\\."),
        "B->A.enabled": "false",
        "replication.factor": "1",
        "checkpoints.topic.replication.factor": "1",
        "heartbeats.topic.replication.factor": "1",
        "offset-syncs.topic.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "config.storage.replication.factor": "1",
        "emit.heartbeats.enabled": "false",
        "emit.checkpoints.enabled": "false",
        "sync.topic.configs.enabled": "false",
        "sync.topic.acls.enabled": "false",
        "refresh.topics.interval.seconds": "1",
        # the link's delivery settings: read only committed records, wait for all replicas
        "A.consumer.isolation.level": "read_committed",
        "B.producer.acks": "all",
        "B.producer.enable.idempotence": "true",
        "B.producer.linger.ms": "5",
        "B.producer.batch.size": str(256 * 1024),
        "tasks.max": "3",
    }
    return "".join(f"{key} = {value}\n" for key, value in lines.items())


@contextlib.asynccontextmanager
async def mirror_maker(
    settings: Settings, source: str, target: str, topic: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run MirrorMaker 2 copying ``topic`` from ``source`` to ``target`` for the block."""
    jars = await mirror_maker_jars(settings)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "mm2.properties").write_text(_properties(source, target, topic))
        (work / "log4j2.xml").write_text(_LOG4J)
        process = await asyncio.create_subprocess_exec(
            find_java(),
            "-Xms128m",
            "-Xmx384m",
            f"-Dlog4j2.configurationFile={work / 'log4j2.xml'}",
            f"-Dmm2.log={work / 'mm2.log'}",
            "-cp",
            f"{jars}/*",
            "org.apache.kafka.connect.mirror.MirrorMaker",
            str(work / "mm2.properties"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()
