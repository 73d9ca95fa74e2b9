"""One convention for every `lgsp` command: data on stdout, messages and errors on stderr,
`--output text|json` where data is printed, exit 0/1/2, `--yes`/`--publish` before changing a
shared system (docs/errors.md#the-command-lines-conventions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from lgsp.cli import app
from lgsp.output import OutputFormat

ROOT = Path(__file__).resolve().parents[2]


# typer vendors its own click: commands are matched by shape, not by click's classes
def _leaves(command: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    if hasattr(command, "commands"):
        found: dict[str, Any] = {}
        for name, sub in command.commands.items():
            found |= _leaves(sub, (*path, name))
        return found
    return {" ".join(path): command}


COMMANDS = _leaves(typer.main.get_command(app))
PRINTS_DATA = {
    "doctor", "kafka up", "kafka status", "schemas list", "schemas show", "schemas example",
    "dlq list", "dlq show", "link receipts", "trust show", "audit verify",
    "tracker report", "connector parked", "connector hash-key", "security acls",
    "security user-list", "security revoke", "security grant-gateway", "security grant-connector",
    "gateway check", "consume", "schemas asyncapi", "security grant-link", "security grant-tracker",
    "security token-hash", "security grant-console",
}  # fmt: skip
CHANGES_SHARED_SYSTEM = {
    "link pause", "link resume", "dlq redrive", "dlq purge", "tracker replay",
    "security user-add", "security user-delete", "security revoke", "security grant-gateway",
    "security grant-connector", "security grant-link", "security grant-tracker",
    "security grant-console",
}  # fmt: skip


def _options(command: Any) -> dict[str, Any]:
    return {opt: p for p in command.params for opt in getattr(p, "opts", [])}


def test_the_lists_below_name_real_commands() -> None:
    """Guard: every command named in the convention's lists exists (no list is stale)."""
    assert set(COMMANDS) >= PRINTS_DATA, PRINTS_DATA - set(COMMANDS)
    assert set(COMMANDS) >= CHANGES_SHARED_SYSTEM
    assert len(COMMANDS) >= 40


@pytest.mark.parametrize("name", sorted(PRINTS_DATA))
def test_every_command_that_prints_data_takes_output_text_or_json(name: str) -> None:
    """Each data-printing command has `--output` (`-o`) of the one OutputFormat (text|json),
    defaulting to text."""
    option = _options(COMMANDS[name]).get("--output")
    assert option is not None, f"lgsp {name} has no --output"
    assert "-o" in getattr(option, "opts", [])
    assert option.type_descriptor.annotation is OutputFormat
    assert option.default is OutputFormat.TEXT


@pytest.mark.parametrize("name", sorted(CHANGES_SHARED_SYSTEM))
def test_every_command_that_changes_a_shared_system_needs_yes(name: str) -> None:
    """Each command that changes a broker, a link or dead letters has `--yes`, off by default."""
    option = _options(COMMANDS[name]).get("--yes")
    assert option is not None, f"lgsp {name} has no --yes"
    assert option.default is False


def test_tracker_report_sends_to_ngsp_only_with_publish() -> None:
    """`tracker report` has `--publish/--no-publish`, and does not publish by default."""
    option = _options(COMMANDS["tracker report"])["--publish"]
    assert option.default is False


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_on_stdout(name: str) -> None:
    """`lgsp <command> --help` exits 0 with the usage on stdout and nothing on stderr."""
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unknown_option_is_a_usage_error_on_stderr(name: str) -> None:
    """An unknown option exits 2 with the message on stderr and nothing on stdout."""
    result = CliRunner().invoke(app, [*name.split(), "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert result.stdout == ""


def test_version_prints_the_package_version() -> None:
    """`lgsp --version` prints `lgsp <version>` on stdout and exits 0."""
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("lgsp 0.")


def test_a_coded_error_goes_to_stderr_with_exit_1() -> None:
    """A command failing with an LgspError prints `error [CODE]` on stderr only and exits 1."""
    result = CliRunner().invoke(app, ["schemas", "show", "no.such.subject"])
    assert result.exit_code == 1
    assert "error [LGSP-SCHEMA-UNKNOWN]" in result.stderr
    assert result.stdout == ""


def test_schemas_list_as_json_is_one_object_per_line() -> None:
    """`schemas list --output json` prints one JSON object per schema version, nothing else."""
    result = CliRunner().invoke(app, ["schemas", "list", "--output", "json"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 10
    assert {"subject", "version", "event_type", "fingerprint"} <= set(rows[0])
    text = CliRunner().invoke(app, ["schemas", "list"])
    assert "dossier.status" in text.stdout and "{" not in text.stdout


def test_kafka_status_of_a_stopped_cluster_exits_3_with_json_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kafka status --name N -o json` prints N's row and exits 3 when N is not running."""
    monkeypatch.setenv("LGSP_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["kafka", "status", "--name", "nope", "-o", "json"])
    assert result.exit_code == 3
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (row["name"], row["running"]) == ("nope", False)


def test_a_change_without_yes_and_without_a_terminal_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`tracker replay` with no --yes and no terminal publishes nothing, exits 1 and says why
    (the broker address is never contacted: port 9 has nothing)."""
    monkeypatch.setenv("LGSP_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    result = CliRunner().invoke(app, ["tracker", "replay", "--node", "hanoi", "--dossiers", "1"])
    assert result.exit_code == 1
    assert "needs --yes" in result.stderr
    assert result.stdout == ""


def test_audit_verify_reports_as_json_and_a_missing_path_is_usage(tmp_path: Path) -> None:
    """`audit verify -o json` prints one object (intact, entries); a missing path exits 2."""
    folder = tmp_path / "archive"
    folder.mkdir()
    result = CliRunner().invoke(app, ["audit", "verify", str(folder), "-o", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) | {"last_hash": None} == {
        "intact": True, "entries": 0, "last_hash": None, "broken_seq": None,
        "broken_at": None, "why": None,
    }  # fmt: skip
    missing = CliRunner().invoke(app, ["audit", "verify", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_output_takes_only_text_or_json() -> None:
    """`--output xml` is a usage error (exit 2) naming the two choices."""
    result = CliRunner().invoke(app, ["schemas", "list", "--output", "xml"])
    assert result.exit_code == 2
    assert "text" in result.stderr and "json" in result.stderr
