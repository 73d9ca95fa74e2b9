"""The NGSP operator's trust workflow of docs/federation.md, through the `lgsp` command."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from gateway.federation.trust.registry import open_registry
from gateway.federation.trust.signing import load_public_key
from lgsp.cli import app

SOURCE = """
serial: 3
issued_at: 2026-11-23T00:00:00Z
nodes:
  - name: ngsp
    operator: 000.00.00.G22
    hub: true
    agencies: [under 000.00.00.G22]
    keys: [{key_id: ngsp-2026a, file: keys/ngsp-2026a.pub.pem,
            not_before: 2026-01-01T00:00:00Z, not_after: 2027-01-01T00:00:00Z}]
  - name: hanoi
    operator: 000.00.00.H24
    agencies: [under 000.00.00.H24]
    keys: [{key_id: hanoi-2026a, file: keys/hanoi-2026a.pub.pem,
            not_before: 2026-01-01T00:00:00Z, not_after: 2027-01-01T00:00:00Z}]
"""


def test_keygen_sign_and_open_the_registry(tmp_path: Path) -> None:
    """Keys made by `lgsp trust keygen` (private ones readable by their owner only) and a
    registry signed by `lgsp trust sign` open with the anchor's public key."""
    runner = CliRunner()
    keys = tmp_path / "keys"
    for key_id, algorithm in (
        ("ngsp-anchor-1", "Ed25519"),
        ("ngsp-2026a", "Ed25519"),
        ("hanoi-2026a", "ECDSA-P256-SHA256"),
    ):
        result = runner.invoke(
            app, ["trust", "keygen", key_id, "--out", str(keys), "--algorithm", algorithm]
        )
        assert result.exit_code == 0, result.output
    assert stat.S_IMODE((keys / "hanoi-2026a.key.pem").stat().st_mode) == 0o600
    (tmp_path / "registry.yaml").write_text(SOURCE)
    signed = tmp_path / "registry.json"
    result = runner.invoke(
        app,
        [
            "trust",
            "sign",
            str(tmp_path / "registry.yaml"),
            "--anchor-key",
            str(keys / "ngsp-anchor-1.key.pem"),
            "--anchor-id",
            "ngsp-anchor-1",
            "--out",
            str(signed),
        ],
    )
    assert result.exit_code == 0, result.output
    anchor = load_public_key((keys / "ngsp-anchor-1.pub.pem").read_text())
    registry = open_registry(signed.read_bytes(), {"ngsp-anchor-1": anchor})
    assert registry.serial == 3
    assert registry.node_serving("000.01.02.H24") == "hanoi"
    key = registry.key("hanoi-2026a")
    assert key is not None and key.node == "hanoi"


def test_keygen_refuses_an_unknown_algorithm(tmp_path: Path) -> None:
    """An algorithm other than Ed25519 or ECDSA P-256 is refused before any file is written."""
    result = CliRunner().invoke(
        app, ["trust", "keygen", "x", "--out", str(tmp_path), "--algorithm", "RSA"]
    )
    assert result.exit_code != 0
    assert not list(tmp_path.iterdir())
