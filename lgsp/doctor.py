"""``lgsp doctor``: is every prerequisite of ``make demo`` and ``make test`` on this machine?

Each check says what it found and, when something is missing, the Debian package to install.
The packages are those of deploy/setup/install-prerequisites.sh (a unit test keeps both lists
equal); ``make test`` runs the doctor first and stops with its message.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import typer

from bus.localkafka.toolchain import MIN_JAVA_MAJOR, jars_dir
from bus.settings import Settings
from lgsp.output import OutputFormat, OutputOption, emit_rows, messages

INSTALL_SCRIPT = "deploy/setup/install-prerequisites.sh"
DEMO_PORTS = (8091, 8092, 8093, 8094)
"""The demo's fixed admin and tracker ports (every other port is picked free)."""
MIN_MEMORY_MB = 1024
ADVISED_MEMORY_MB = 2048


class Status(StrEnum):
    """A check's outcome: ``missing`` fails the doctor, ``warn`` does not."""

    OK = "ok"
    WARN = "warn"
    MISSING = "missing"


@dataclass(frozen=True)
class Finding:
    """What one check found, and the Debian package that fixes it (if one does)."""

    check: str
    status: Status
    detail: str
    package: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "check": self.check,
            "status": self.status.value,
            "detail": self.detail,
            "package": self.package,
        }


def jdk_package(os_release: str) -> str:
    """The Debian JDK package with javac: openjdk-17 on Debian 12, the default JDK (21) later."""
    match = re.search(r'^VERSION_ID="?(\d+)', os_release, re.MULTILINE)
    return "openjdk-17-jdk-headless" if match and match.group(1) == "12" else "default-jdk-headless"


def install_command(findings: list[Finding]) -> str | None:
    """The one command that installs every missing package, or None when nothing is missing."""
    packages = sorted({f.package for f in findings if f.status is Status.MISSING and f.package})
    if not packages:
        return None
    return f"{INSTALL_SCRIPT}   (or: sudo apt-get install {' '.join(packages)})"


def java_major(version_output: str) -> int:
    """The major version in ``java -version`` output (``1.8.0`` style counts as 8); 0 if none."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def _run(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return done.stdout + done.stderr


def _tool(check: str, executable: str, package: str, why: str) -> Finding:
    path = shutil.which(executable)
    if path:
        return Finding(check, Status.OK, path)
    return Finding(check, Status.MISSING, f"{executable} not on PATH: {why}", package)


def check_python() -> Finding:
    """The system python3 (the one `make setup` makes the virtualenv with) is 3.11+."""
    found = _run("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").strip()
    major, _, minor = found.partition(".")
    if not (major.isdigit() and minor.isdigit()) or (int(major), int(minor)) < (3, 11):
        return Finding("python", Status.MISSING, f"python3 is {found!r}; 3.11+ needed", "python3")
    return Finding("python", Status.OK, f"python3 {found}")


def check_java(jdk: str) -> Finding:
    java = shutil.which("java")
    if not java:
        return Finding("java", Status.MISSING, "java not on PATH: the Kafka broker runs on it", jdk)
    major = java_major(_run(java, "-version"))
    if major < MIN_JAVA_MAJOR:
        detail = f"{java} is Java {major or 'unknown'}; Kafka 4 needs {MIN_JAVA_MAJOR}+"
        return Finding("java", Status.MISSING, detail, jdk)
    return Finding("java", Status.OK, f"{java} (Java {major})")


def check_maven(settings: Settings) -> Finding:
    libs = jars_dir(settings.home, settings.kafka_version)
    mvn = shutil.which("mvn")
    if mvn:
        return Finding("maven", Status.OK, mvn)
    if (libs / ".complete").exists():
        return Finding("maven", Status.OK, f"no mvn, but the broker jars are cached in {libs}")
    detail = f"mvn not on PATH and no broker jars in {libs}: Maven fetches them once"
    return Finding("maven", Status.MISSING, detail, "maven")


def check_ports(ports: tuple[int, ...] = DEMO_PORTS) -> Finding:
    """Loopback can bind a free port, and the demo's fixed ports are free (else a warning)."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
    except OSError as error:
        return Finding("ports", Status.MISSING, f"cannot bind 127.0.0.1: {error}")
    taken = []
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(str(port))
    if taken:
        detail = f"127.0.0.1:{','.join(taken)} taken (a demo running?); `lgsp demo` needs them"
        return Finding("ports", Status.WARN, detail)
    return Finding("ports", Status.OK, f"127.0.0.1 binds; demo ports {ports[0]}-{ports[-1]} free")


def memory_finding(available_mb: int | None) -> Finding:
    """Brokers (256 MiB heap each), gateways and tests want ~2 GiB; under 1 GiB fails."""
    if available_mb is None:
        return Finding("memory", Status.WARN, "MemAvailable unknown (no /proc/meminfo)")
    detail = f"{available_mb:,} MiB available"
    if available_mb < MIN_MEMORY_MB:
        return Finding("memory", Status.MISSING, f"{detail}; at least {MIN_MEMORY_MB} needed")
    if available_mb < ADVISED_MEMORY_MB:
        return Finding("memory", Status.WARN, f"{detail}; {ADVISED_MEMORY_MB} advised")
    return Finding("memory", Status.OK, detail)


def available_memory_mb(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        text = meminfo.read_text()
    except OSError:
        return None
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) // 1024 if match else None


def checks(settings: Settings, os_release: str) -> list[Callable[[], Finding]]:
    """Every check, in the order printed."""
    jdk = jdk_package(os_release)
    return [
        check_python,
        check_venv,
        lambda: _tool("make", "make", "make", "`make demo` and `make test` use it"),
        lambda: check_java(jdk),
        lambda: _tool(
            "javac", "javac", jdk, "the Avro interop test compiles Java (a JRE lacks it)"
        ),
        lambda: check_maven(settings),
        lambda: _tool("kcat", "kcat", "kcat", "the kcat interop test reads records with it"),
        lambda: _tool("promtool", "promtool", "prometheus", "alert rules are tested with it"),
        lambda: _tool("prometheus", "prometheus", "prometheus", "a test scrapes /metrics with it"),
        lambda: _tool("systemd-analyze", "systemd-analyze", "systemd", "verifies deploy/systemd"),
        lambda: _tool("chromium", "chromium", "chromium", "the console's browser tests"),
        lambda: _tool("chromedriver", "chromedriver", "chromium-driver", "drives chromium"),
        check_ports,
        lambda: memory_finding(available_memory_mb()),
    ]


def check_venv() -> Finding:
    """The system python3 (which `make setup` uses) has venv and ensurepip."""
    probe = _run("python3", "-c", "import ensurepip, venv; print('ok')")
    if probe.strip() == "ok":
        return Finding("venv", Status.OK, "python3 -m venv works")
    return Finding("venv", Status.MISSING, "python3 has no venv/ensurepip", "python3-venv")


def _os_release() -> str:
    try:
        return Path("/etc/os-release").read_text()
    except OSError:
        return ""


def doctor(output: OutputOption = OutputFormat.TEXT) -> None:
    """Check every prerequisite (Java, javac, Maven or cached jars, kcat, promtool, chromium,
    ports, memory); exit 1 with the install command when one is missing."""
    findings = [check() for check in checks(Settings(), _os_release())]
    emit_rows((f.as_json() for f in findings), output, ("check", "status", "detail", "package"))
    missing = [f for f in findings if f.status is Status.MISSING]
    if not missing:
        messages.print("every prerequisite is installed")
        return
    messages.print(
        f"[bold red]missing[/]: {', '.join(f'{f.check} ({f.detail})' for f in missing)}",
        highlight=False,
    )
    command = install_command(findings)
    if command is not None:
        messages.print(f"install with: {command}", highlight=False)
    raise typer.Exit(1)
