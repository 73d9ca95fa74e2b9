"""The broker's systemd unit (deploy/systemd/lgsp-kafka@.service) starts real Kafka main classes:
its command lines, on the jars `lgsp kafka fetch` brings, answer --version and --help."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

from bus.settings import Settings
from tests.deployfiles import ROOT, SYSTEMD, unit_service_options

INSTALLED_KAFKA_LIBS = "/opt/kafka/libs/*"


def _kafka_libs() -> Path:
    libs = ROOT / ".lgsp" / "kafka" / Settings().kafka_version / "libs"
    assert libs.is_dir(), "Kafka jars missing: run `lgsp kafka fetch` (make setup does)"
    return libs


def _java_dry_start(exec_line: str, libs: Path, then: list[str]) -> list[str]:
    """The unit's java command line up to its main class, on the local jars, then ``then``."""
    command = shlex.split(exec_line)
    main = next(i for i, word in enumerate(command) if re.fullmatch(r"kafka\.[\w.]+", word))
    java = shutil.which("java")
    assert java, "java is not installed (Debian package openjdk-17-jre-headless)"
    head = [java, *(str(libs / "*") if w == INSTALLED_KAFKA_LIBS else w for w in command[1:main])]
    return [*head, command[main], *then]


def test_kafka_unit_formats_then_starts_a_real_broker_main_class() -> None:
    """lgsp-kafka@ formats the storage with the StorageTool (once: --ignore-formatted) and runs
    kafka.Kafka with the node's properties; both main classes answer on the real jars."""
    service = unit_service_options(SYSTEMD / "lgsp-kafka@.service")
    (pre,), (start,) = service["ExecStartPre"], service["ExecStart"]
    assert "kafka.tools.StorageTool format" in pre and "--ignore-formatted" in pre
    assert shlex.split(start)[-2:] == ["kafka.Kafka", "/etc/lgsp/%i/kafka.properties"]
    libs = _kafka_libs()
    version = subprocess.run(
        _java_dry_start(start, libs, ["--version"]), capture_output=True, text=True, timeout=120
    )
    assert version.stdout.strip().endswith(Settings().kafka_version), version.stderr
    storage = subprocess.run(
        _java_dry_start(pre, libs, ["format", "--help"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--ignore-formatted" in storage.stdout, storage.stderr
