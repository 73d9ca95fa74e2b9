"""The connector files shown in docs/connectors.md are valid as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors.registry import load_connector_config

DOC = Path(__file__).parent.parent.parent / "docs" / "connectors.md"
FILES = [b for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S) if "kind:" in b]


@pytest.mark.parametrize("text", FILES, ids=[re.findall(r"kind: (\S+)", b)[0] for b in FILES])
def test_documented_connector_file_loads(text: str, tmp_path: Path) -> None:
    """Each connector file in the integrator's guide loads with its kind's model."""
    path = tmp_path / "connector.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_connector_config(path)
    assert config.kind == re.findall(r"kind: (\S+)", text)[0]


def test_every_reference_kind_is_documented() -> None:
    """The guide shows a file for each reference connector."""
    documented = {re.findall(r"kind: (\S+)", b)[0] for b in FILES}
    assert documented == {
        "webhook",
        "http-poll",
        "http-sink",
        "edxml-source",
        "edxml-sink",
        "dvcqg-sink",
    }
