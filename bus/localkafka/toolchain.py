"""Finds java and Maven, and fetches the Kafka broker jars once into the local cache."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from importlib import resources
from pathlib import Path

from schemas.errors import LocalKafkaError

MIN_JAVA_MAJOR = 17
_COMPLETE_MARKER = ".complete"


def find_java() -> str:
    """Path of a java executable able to run Kafka 4 (Java 17 or newer)."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not candidate or not Path(candidate).exists():
        raise LocalKafkaError(
            "java was not found. Kafka 4 needs a Java 17+ runtime: install one "
            "(Debian: `deploy/setup/install-prerequisites.sh`, or `apt-get install "
            "openjdk-17-jdk-headless` on 12, `default-jdk-headless` on 13) or set JAVA_HOME.",
            code="LGSP-KAFKA-JAVA-MISSING",
        )
    return candidate


async def check_java_version(java: str) -> int:
    """The major version of ``java``; raises when it is older than Kafka 4 supports."""
    proc = await asyncio.create_subprocess_exec(
        java, "-version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.decode(errors="replace"))
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):  # "1.8.0" style
        major = int(match.group(2))
    if major < MIN_JAVA_MAJOR:
        raise LocalKafkaError(
            f"{java} is Java {major or 'unknown'}; Kafka 4 needs Java {MIN_JAVA_MAJOR} or newer "
            "(Debian: `deploy/setup/install-prerequisites.sh`, or `apt-get install "
            "openjdk-17-jdk-headless` on 12, `default-jdk-headless` on 13).",
            code="LGSP-KAFKA-JAVA-MISSING",
        )
    return major


def jars_dir(home: Path, kafka_version: str) -> Path:
    """Folder holding the broker's runtime jars for one Kafka version."""
    return home / "kafka" / kafka_version / "libs"


async def ensure_jars(home: Path, kafka_version: str) -> Path:
    """Return the jar folder for ``kafka_version``, fetching it with Maven only the first time."""
    pom = resources.files("bus.localkafka").joinpath("pom.xml").read_bytes()
    return await fetch_maven_closure(
        pom,
        jars_dir(home, kafka_version),
        {"kafka.version": kafka_version},
        what=f"Apache Kafka {kafka_version}",
    )


async def fetch_maven_closure(
    pom: bytes, target: Path, properties: dict[str, str], *, what: str
) -> Path:
    """Copy the runtime dependency closure of ``pom`` into ``target`` once, and return it.

    Maven copies into a temporary folder renamed into place at the end, so an interrupted
    fetch never leaves a half-filled cache that a later run would trust.
    """
    if (target / _COMPLETE_MARKER).exists():
        return target
    mvn = shutil.which("mvn")
    if not mvn:
        raise LocalKafkaError(
            f"mvn was not found and {what} is not cached yet. Install Maven "
            "(Debian/Ubuntu: `apt-get install maven`); it fetches the jars from Maven Central "
            f"once, into {target}.",
            code="LGSP-KAFKA-MAVEN-MISSING",
        )
    work = target.parent
    work.mkdir(parents=True, exist_ok=True)
    pom_path = work / "pom.xml"
    pom_path.write_bytes(pom)
    staging = work / f"{target.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    log_path = work / "maven.log"
    defines = [f"-D{key}={value}" for key, value in properties.items()]
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom_path),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
            *defines,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            cwd=work,
        )
        returncode = await proc.wait()
    jars = sorted(p.name for p in staging.glob("*.jar")) if staging.exists() else []
    if returncode != 0 or not jars:
        raise LocalKafkaError(
            f"Maven could not fetch {what} (exit {returncode}); see {log_path}. "
            "Check that Maven Central is reachable and the version exists.",
            code="LGSP-KAFKA-FETCH-FAILED",
            retriable=True,
        )
    (staging / _COMPLETE_MARKER).write_text("\n".join(jars) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
