"""The systemd units of deploy/systemd: accepted by `systemd-analyze verify`, hardened, and
each `lgsp` command a real one (a dry start: the same sub-command with --help); the broker's
unit is dry-started in tests/integration/test_deploy_kafka_unit.py (it needs the jars)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from bus.settings import Settings
from tests.deployfiles import BIN, SYSTEMD, dry_start, unit_service_options

UNITS = sorted(SYSTEMD.glob("lgsp-*@.service"))
INSTALLED_LGSP = "/opt/lgsp/venv/bin/lgsp"
LGSP = str(BIN / "lgsp")


def test_the_five_units_are_there() -> None:
    """A node's broker, its gateway, its connectors, its tracker and its console each have a
    template unit."""
    assert [u.name for u in UNITS] == [
        "lgsp-connector@.service",
        "lgsp-console@.service",
        "lgsp-gateway@.service",
        "lgsp-kafka@.service",
        "lgsp-tracker@.service",
    ]


def test_systemd_analyze_verify_accepts_every_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` reports nothing on an instance of each unit, with the package
    installed where the unit expects it (here: this test's virtualenv)."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed (Debian package systemd)"
    instances = []
    for unit in UNITS:
        instance = tmp_path / unit.name.replace("@.", "@hanoi.")
        instance.write_text(unit.read_text().replace(INSTALLED_LGSP, LGSP))
        instances.append(str(instance))
    result = subprocess.run(
        [analyze, "verify", *instances], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings


def test_every_unit_is_hardened_and_restarts() -> None:
    """Each unit runs unprivileged, read-only system, no new privileges, restarts on failure
    and raises the open-files limit (Kafka clients keep a socket per broker and partition)."""
    for unit in UNITS:
        service = unit_service_options(unit)
        assert service.get("User") == ["lgsp"] or service.get("DynamicUser") == ["yes"], unit
        assert service["ProtectSystem"] == ["strict"], unit
        assert service["NoNewPrivileges"] == ["yes"], unit
        assert service["Restart"] == ["on-failure"], unit
        assert int(service["LimitNOFILE"][0]) >= 65536, unit
        assert any(e.lstrip("-") == "/etc/lgsp/lgsp.env" for e in service["EnvironmentFile"]) or (
            unit.name.startswith("lgsp-kafka")
        ), unit


@pytest.mark.parametrize(
    ("unit", "sub_command"),
    [
        ("lgsp-gateway@.service", ["gateway", "run", "--config", "/etc/lgsp/%i/node.yaml"]),
        ("lgsp-connector@.service", ["connector", "run", "/etc/lgsp/connectors/%i.yaml"]),
        ("lgsp-tracker@.service", ["tracker", "run", "--config", "/etc/lgsp/%i/tracker.yaml"]),
        ("lgsp-console@.service", ["console", "--config", "/etc/lgsp/%i/console.yaml"]),
    ],
)
def test_lgsp_units_start_a_real_sub_command(unit: str, sub_command: list[str]) -> None:
    """The unit's ExecStart is the documented `lgsp` command, and that command exists: the same
    sub-command answers --help (the dry start)."""
    (exec_start,) = unit_service_options(SYSTEMD / unit)["ExecStart"]
    command = shlex.split(exec_start)
    assert command == [INSTALLED_LGSP, *sub_command]
    dry_start(command[1:])


def _env_lines(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


def test_the_env_file_sets_only_real_settings_and_no_secret() -> None:
    """Every variable of lgsp.env is an LGSP_* setting the processes read; the password is
    left out (only named, commented)."""
    env = _env_lines(SYSTEMD / "lgsp.env")
    fields = {f"LGSP_{name.upper()}" for name in Settings.model_fields}
    assert env and set(env) <= fields, set(env) - fields
    parsed = Settings(_env_file=SYSTEMD / "lgsp.env")  # type: ignore[call-arg]
    assert parsed.log_json and parsed.admin_tokens[0].role == "operator"
    text = (SYSTEMD / "lgsp.env").read_text()
    assert re.search(r"^#\s*LGSP_KAFKA_PASSWORD=\s*$", text, re.MULTILINE)
    assert "LGSP_KAFKA_PASSWORD" not in env
    assert _env_lines(SYSTEMD / "kafka.env") == {"KAFKA_CLUSTER_ID": ""}


def test_the_console_runs_as_its_own_principal_with_the_gateways_tokens() -> None:
    """The console's unit reads lgsp.env (the admin tokens users log in with) and then its
    own console.env, which names only its Kafka user (`grant-console`) and holds no password."""
    service = unit_service_options(SYSTEMD / "lgsp-console@.service")
    assert service["EnvironmentFile"] == ["/etc/lgsp/lgsp.env", "-/etc/lgsp/%i/console.env"]
    env = _env_lines(SYSTEMD / "console.env")
    fields = {f"LGSP_{name.upper()}" for name in Settings.model_fields}
    assert env == {"LGSP_KAFKA_USERNAME": "lgsp-console-hanoi"} and set(env) <= fields
    text = (SYSTEMD / "console.env").read_text()
    assert "grant-console --user lgsp-console-hanoi" in text
    assert re.search(r"^#\s*LGSP_KAFKA_PASSWORD=\s*$", text, re.MULTILINE)
