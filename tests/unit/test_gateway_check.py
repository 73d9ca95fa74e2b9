"""`lgsp gateway check --config node.yaml`: every problem of a node's files with its file and
line, exit 1; exit 0 and SUCCESS for good files (the example node of deploy/ included)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lgsp.cli import app

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = """
serial: 7
issued_at: 2026-11-23T00:00:00Z
nodes:
  - name: ngsp
    operator: 000.00.00.G22
    hub: true
    agencies: [under 000.00.00.G22]
  - name: hanoi
    operator: 000.00.00.H24
    agencies: [under 000.00.00.H24]
    keys: [{key_id: hanoi-2026a, file: keys/hanoi-2026a.pub.pem,
            not_before: 2026-01-01T00:00:00Z, not_after: 2099-01-01T00:00:00Z}]
"""
FEDERATION = """federation:
  keys:
    - key_id: hanoi-2026a
      file: keys/{key}.key.pem
  trust:
    registry: registry.json
    anchors: {{ngsp-anchor-1: keys/ngsp-anchor-1.pub.pem}}
  upstream: ngsp
  links:
    - peer: {peer}
      bootstrap_servers: 127.0.0.1:9
"""


def _check(config: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["gateway", "check", "--config", str(config), *extra])
    return result.exit_code, result.stdout, result.stderr


def _node(tmp_path: Path, *, key: str = "hanoi-2026a", peer: str = "ngsp") -> Path:
    """The example node of deploy/config, federated with a registry signed here."""
    shutil.copy(ROOT / "deploy" / "config" / "routes.yaml", tmp_path / "routes.yaml")
    runner = CliRunner()
    for key_id in ("ngsp-anchor-1", "hanoi-2026a", "other-2026a"):
        keygen = ["trust", "keygen", key_id, "--out", str(tmp_path / "keys")]
        assert runner.invoke(app, keygen).exit_code == 0
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    signed = runner.invoke(
        app,
        [
            "trust", "sign", str(tmp_path / "registry.yaml"),
            "--anchor-key", str(tmp_path / "keys" / "ngsp-anchor-1.key.pem"),
            "--anchor-id", "ngsp-anchor-1", "--out", str(tmp_path / "registry.json"),
        ],
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    node = tmp_path / "node.yaml"
    node.write_text(
        (ROOT / "deploy" / "config" / "node.yaml").read_text()
        + FEDERATION.format(key=key, peer=peer)
    )
    return node


def test_the_example_node_of_deploy_passes() -> None:
    """deploy/config/node.yaml and its routes.yaml check clean: exit 0, SUCCESS on stderr."""
    code, out, err = _check(ROOT / "deploy" / "config" / "node.yaml")
    assert code == 0, out + err
    assert out == "" and "SUCCESS" in err and "routes.yaml" in err


def test_a_federated_node_with_its_registry_passes(tmp_path: Path) -> None:
    """A node whose key, anchors and signed registry agree checks clean, naming the serial."""
    code, out, err = _check(_node(tmp_path))
    assert code == 0, out + err
    assert "trust registry serial 7" in err


def test_each_problem_of_node_yaml_is_named_with_its_line(tmp_path: Path) -> None:
    """Two bad fields of node.yaml give two `node.yaml:LINE:` problems and exit 1."""
    node = tmp_path / "node.yaml"
    node.write_text("node: hanoi\npartitions: 0\nretry_tiers: [30s, soon]\n")
    code, out, err = _check(node)
    assert code == 1
    assert f"{node}:2: [LGSP-CONFIG-INVALID] partitions" in out
    assert f"{node}:3: [LGSP-CONFIG-INVALID] retry_tiers" in out
    assert "FAILED: 2 problem(s)" in err


def test_a_bad_route_is_named_in_routes_yaml_with_its_line(tmp_path: Path) -> None:
    """A route from a malformed agency code is reported as routes.yaml:LINE, as JSON with
    --output json (one object per problem)."""
    (tmp_path / "node.yaml").write_text("node: hanoi\n")
    (tmp_path / "routes.yaml").write_text(
        "routes:\n  - name: r\n    types: [vn.gov.document.sent.v1]\n"
        "    from: [under 000.00.00.H24x]\n    deliver: recipients\n"
    )
    code, out, _ = _check(tmp_path / "node.yaml", "--output", "json")
    assert code == 1
    [problem] = [json.loads(line) for line in out.splitlines()]
    assert problem["file"] == str(tmp_path / "routes.yaml")
    assert problem["line"] == 4 and "H24x" in problem["message"]


def test_a_missing_signing_key_is_named_at_its_line(tmp_path: Path) -> None:
    """A signing key file that does not exist is LGSP-TRUST-KEY at federation.keys[0].file."""
    node = _node(tmp_path, key="missing")
    code, out, _ = _check(node, "-o", "json")
    assert code == 1
    problems = [json.loads(line) for line in out.splitlines()]
    line = node.read_text().splitlines().index("      file: keys/missing.key.pem") + 1
    assert {(p["code"], p["line"]) for p in problems} == {("LGSP-TRUST-KEY", line)}


def test_a_key_that_is_not_the_registrys_and_an_unknown_peer_are_problems(
    tmp_path: Path,
) -> None:
    """A private key that is not the registry's hanoi-2026a, and a link to a node the registry
    does not know, are two problems at their lines."""
    node = _node(tmp_path, key="other-2026a", peer="danang")
    code, out, _ = _check(node, "-o", "json")
    assert code == 1
    problems = {json.loads(line)["code"]: json.loads(line) for line in out.splitlines()}
    assert set(problems) == {"LGSP-TRUST-KEY", "LGSP-FED-UNKNOWN-PEER"}
    assert "not the private half" in problems["LGSP-TRUST-KEY"]["message"]
    lines = node.read_text().splitlines()
    assert problems["LGSP-FED-UNKNOWN-PEER"]["line"] == lines.index("    - peer: danang") + 1


def test_a_registry_not_signed_by_the_anchor_is_a_problem(tmp_path: Path) -> None:
    """A registry whose anchor key is another one than node.yaml trusts fails at
    federation.trust.registry with LGSP-TRUST-ANCHOR."""
    node = _node(tmp_path)
    anchor = tmp_path / "keys" / "ngsp-anchor-1.pub.pem"
    anchor.write_text((tmp_path / "keys" / "other-2026a.pub.pem").read_text())
    code, out, _ = _check(node, "-o", "json")
    assert code == 1
    [problem] = [json.loads(line) for line in out.splitlines()]
    assert problem["code"] == "LGSP-TRUST-ANCHOR"
    assert problem["line"] == node.read_text().splitlines().index("    registry: registry.json") + 1


def test_trust_show_prints_the_registry_nodes_as_json_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`trust show -o json` prints one object per registry node on stdout (its serial with
    it) and the serial line on stderr; the broker is not contacted."""
    monkeypatch.setenv("LGSP_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    node = _node(tmp_path)
    result = CliRunner().invoke(app, ["trust", "show", "--config", str(node), "-o", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["node"], r["hub"], r["registry_serial"]) for r in rows] == [
        ("ngsp", True, 7),
        ("hanoi", False, 7),
    ]
    assert "hanoi-2026a Ed25519" in rows[1]["keys"]
    assert "registry serial 7" in result.stderr
