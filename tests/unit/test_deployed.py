"""The production topology launcher's pure parts: env files as systemd reads them, the
tokens a gateway is given, the demo's percentiles, which workload records it keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bus.adminauth import hash_admin_token
from lgsp.demo.traffic import Workload
from lgsp.deployed.configs import admin_tokens_entry
from lgsp.deployed.demo import percentile
from lgsp.deployed.services import ServiceSpec, read_env_file
from lgsp.deployed.traffic import in_topology
from schemas.envelope import Envelope
from schemas.ids.directory import bundled_directory


def test_an_env_file_is_read_as_systemd_reads_it(tmp_path: Path) -> None:
    """KEY=value lines, comments and blank lines skipped, '=' kept inside a value."""
    path = tmp_path / "gateway.env"
    path.write_text('# comment\n\nLGSP_KAFKA_USERNAME=gw\nLGSP_ADMIN_TOKENS=[{"a":"b=c"}]\n')
    assert read_env_file(path) == {
        "LGSP_KAFKA_USERNAME": "gw",
        "LGSP_ADMIN_TOKENS": '[{"a":"b=c"}]',
    }


def test_a_service_takes_its_credentials_from_its_env_files_not_the_launchers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The launcher's own LGSP_KAFKA_* and bootstrap never reach a service; its files do."""
    monkeypatch.setenv("LGSP_KAFKA_USERNAME", "lgsp-admin")
    monkeypatch.setenv("LGSP_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    own = tmp_path / "own.env"
    own.write_text("LGSP_KAFKA_USERNAME=lgsp-tracker-hanoi\n")
    spec = ServiceSpec("t", "lgsp-tracker-hanoi", ("tracker",), (own,), "http://x", tmp_path / "l")
    env = spec.environment()
    assert env["LGSP_KAFKA_USERNAME"] == "lgsp-tracker-hanoi"
    assert "LGSP_BOOTSTRAP_SERVERS" not in env


def test_a_gateway_is_given_only_the_hash_of_the_operator_token() -> None:
    """LGSP_ADMIN_TOKENS holds the token's SHA-256 with the operator role, never the token."""
    entry = admin_tokens_entry("a-long-enough-operator-token")
    assert "a-long-enough-operator-token" not in entry
    (token,) = json.loads(entry)
    assert token["role"] == "operator"
    assert token["token_sha256"] == hash_admin_token("a-long-enough-operator-token")


def test_percentiles_are_nearest_rank_and_zero_for_none() -> None:
    """p50 and p99 of 1..100 are 50 and 99; of nothing, 0."""
    values = [float(v) for v in range(100, 0, -1)]
    assert (percentile(values, 0.5), percentile(values, 0.99)) == (50.0, 99.0)
    assert percentile([], 0.5) == 0.0


def test_the_topology_keeps_no_record_for_danang() -> None:
    """Of the demo's workload, nothing published on, posted to or addressed to Đà Nẵng."""
    workload = Workload(bundled_directory(), seed=3, bad_share=0.0)
    kept = [p for p in workload.next_records(400) if in_topology(p)]
    assert kept and all(p.role in ("ngsp", "hanoi") for p in kept)
    for published in kept:
        if published.record is not None:
            recipients = Envelope.from_headers(published.record.headers).recipients
            assert not any(r.endswith("H15") for r in recipients)
