"""``lgsp connector new`` writes connectors that pass their own tests and our lint."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lgsp.cli import app

REPOSITORY = Path(__file__).resolve().parents[2]


async def _run(*command: str, cwd: Path, bootstrap: str) -> tuple[int, str]:
    # MYPYPATH: mypy does not follow the import hook of an editable install
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": bootstrap, "MYPYPATH": str(REPOSITORY)}
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    return await process.wait(), output.decode()


@pytest.mark.parametrize("kind", ["source", "sink"])
async def test_scaffolded_connector_passes_its_own_test(
    kind: str, tmp_path: Path, kafka_bootstrap: str
) -> None:
    """The generated connector, config and test exist, its test passes against the broker,
    and the code is ruff- and mypy --strict-clean."""
    result = CliRunner().invoke(
        app, ["connector", "new", f"dms-{kind}", "--kind", kind, "--folder", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / f"dms-{kind}"
    module = f"dms_{kind}"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{module}.py", f"dms-{kind}.yaml", f"test_{module}.py"]
    )
    code, output = await _run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"test_{module}.py",
        cwd=folder, bootstrap=kafka_bootstrap,
    )  # fmt: skip
    assert code == 0, output
    assert "1 passed" in output
    code, output = await _run(
        sys.executable, "-m", "mypy", "--config-file", str(REPOSITORY / "pyproject.toml"),
        f"{module}.py",
        cwd=folder, bootstrap=kafka_bootstrap,
    )  # fmt: skip
    assert code == 0, output


def test_scaffold_never_overwrites(tmp_path: Path) -> None:
    """A second `new` with the same name fails with LGSP-CONN-SCAFFOLD and changes nothing."""
    arguments = ["connector", "new", "dms", "--kind", "sink", "--folder", str(tmp_path)]
    assert CliRunner().invoke(app, arguments).exit_code == 0
    code = tmp_path / "dms" / "dms.py"
    code.write_text("# mine\n")
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1
    assert "LGSP-CONN-SCAFFOLD" in result.stderr
    assert code.read_text() == "# mine\n"
