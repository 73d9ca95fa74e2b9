"""`lgsp doctor`, the install script and `make test`: one list of prerequisites, one message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from lgsp.doctor import (
    Finding,
    Status,
    install_command,
    java_major,
    jdk_package,
    memory_finding,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "setup" / "install-prerequisites.sh"
LGSP = Path(sys.executable).with_name("lgsp")
SYSTEM_PYTHON = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")


def _bare_path(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools`` (symlinks to the real ones): everything else is missing."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        real = shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin")
        assert real, f"{tool} is needed to run this test"
        (folder / tool).symlink_to(real)
    return str(folder)


def _doctor(tmp_path: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "LGSP_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [str(LGSP), "doctor", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_doctor_names_each_missing_tool_and_the_install_command(tmp_path: Path) -> None:
    """On a machine with only python3, the doctor exits 1, lists java, javac, mvn, kcat, promtool
    and chromium as missing with their packages, and prints the one command to install them."""
    result = _doctor(tmp_path, _bare_path(tmp_path, "python3"))
    assert result.returncode == 1, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    missing = {r["check"]: r["package"] for r in rows if r["status"] == "missing"}
    assert {"make", "java", "javac", "maven", "kcat", "promtool", "prometheus"} <= set(missing)
    assert {"chromium", "chromedriver", "systemd-analyze"} <= set(missing)
    assert missing["promtool"] == "prometheus"
    assert missing["chromedriver"] == "chromium-driver"
    assert "install with: deploy/setup/install-prerequisites.sh" in result.stderr
    assert "kcat" in result.stderr.split("install with:")[1]
    assert result.stderr.count("{") == 0, "data (JSON) went to stderr"


def test_install_script_and_doctor_name_the_same_packages(tmp_path: Path) -> None:
    """With the same tools missing, `install-prerequisites.sh --list` and `lgsp doctor` name the
    same Debian packages (one list of prerequisites, two readers)."""
    path = _bare_path(tmp_path, "bash", "apt-cache", "grep", "id", "python3")
    listed = subprocess.run(
        [str(SCRIPT), "--list"],
        capture_output=True,
        text=True,
        env={"PATH": path},
        timeout=60,
        check=True,
    ).stdout.split()
    rows = [json.loads(line) for line in _doctor(tmp_path, path).stdout.splitlines()]
    from_doctor = {r["package"] for r in rows if r["status"] == "missing" and r["package"]}
    assert set(listed) == from_doctor
    assert any("jdk" in package for package in listed)


def test_make_test_stops_at_the_doctor_before_any_test(tmp_path: Path) -> None:
    """`make test` with a tool missing exits non-zero with the doctor's message and runs
    neither lint nor pytest."""
    make = shutil.which("make")
    assert make, "make is a prerequisite"
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(
        [make, "-C", str(ROOT), f"VENV={venv}", "-o", f"{venv}/.installed", "test"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": _bare_path(tmp_path, "python3"), "LGSP_HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "install with:" in result.stderr
    assert "bin/ruff check" not in result.stdout
    assert "bin/pytest" not in result.stdout


def test_jdk_package_is_openjdk_17_on_debian_12_and_the_default_jdk_on_13() -> None:
    """Debian 12 gets openjdk-17-jdk-headless; Debian 13 (no openjdk-17) default-jdk-headless."""
    assert jdk_package('PRETTY_NAME="Debian 12"\nVERSION_ID="12"\n') == "openjdk-17-jdk-headless"
    assert jdk_package('VERSION_ID="13"\n') == "default-jdk-headless"
    assert jdk_package("") == "default-jdk-headless"


def test_java_major_reads_both_version_styles() -> None:
    """`java -version` output gives its major version: 17, 21, and 8 for "1.8.0"; 0 if none."""
    assert java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert java_major('openjdk version "21" 2023-09-19') == 21
    assert java_major('java version "1.8.0_402"') == 8
    assert java_major("command not found") == 0


def test_memory_under_one_gib_fails_and_under_two_warns() -> None:
    """Under 1 GiB available the doctor fails, under 2 GiB it warns, otherwise it is fine."""
    assert memory_finding(512).status is Status.MISSING
    assert memory_finding(1500).status is Status.WARN
    assert memory_finding(8000).status is Status.OK
    assert memory_finding(None).status is Status.WARN


def test_install_command_lists_each_missing_package_once() -> None:
    """The install command names each missing package once, and is None with nothing missing."""
    findings = [
        Finding("promtool", Status.MISSING, "", "prometheus"),
        Finding("prometheus", Status.MISSING, "", "prometheus"),
        Finding("kcat", Status.MISSING, "", "kcat"),
        Finding("java", Status.OK, ""),
    ]
    command = install_command(findings)
    assert command is not None
    assert command.endswith("sudo apt-get install kcat prometheus)")
    assert install_command(findings[3:]) is None
