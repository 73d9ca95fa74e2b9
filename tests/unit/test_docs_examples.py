"""The examples users copy from the README and docs run as written."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for index, block in enumerate(
            re.findall(rf"```{language}\n(.*?)```", doc.read_text(), re.S)
        ):
            found.append((f"{doc.name}#{index}", block))
    return found


@pytest.mark.parametrize(
    ("where", "code"), _blocks("python"), ids=[w for w, _ in _blocks("python")]
)
def test_python_examples_in_the_docs_run(where: str, code: str) -> None:
    """Every ```python block of the README and docs executes without error (its own asserts
    included) and defines what it shows."""
    namespace: dict[str, object] = {}
    exec(compile(code, where, "exec"), namespace)
    assert len(namespace) > 1, f"{where} defined nothing"


OFFLINE_COMMANDS = [
    line.split("#")[0].strip()
    for _, block in _blocks("sh")
    for line in block.splitlines()
    if line.startswith("lgsp schemas")
]


@pytest.mark.parametrize("command", OFFLINE_COMMANDS)
def test_schema_commands_shown_in_the_docs_succeed(command: str) -> None:
    """The `lgsp schemas ...` lines of the docs exit 0 and print something."""
    args = shlex.split(command)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "lgsp", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": ""},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout or result.stderr


def test_the_docs_show_schema_commands() -> None:
    """Guard: the command test above is not vacuous."""
    assert len(OFFLINE_COMMANDS) >= 5
