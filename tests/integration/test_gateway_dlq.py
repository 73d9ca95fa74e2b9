"""`lgsp dlq`: list and filter dead letters, redrive them once (idempotent), purge them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from tests import gatewayharness as gh

ROUTES = gh.PORTAL_ROUTES


def _dlq(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lgsp", "dlq", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "250", "PATH": ""},
    )


async def test_dead_letters_are_listed_redriven_once_and_purged(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Two dossiers exhaust their retries; `list` filters them, `redrive` of one delivers it
    once even when run twice, `purge` removes the other from the list."""
    node = gh.PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES, tiers=("1s",))
    portal = f"lgsp.{node.name}.inbox.portal"
    first = gh.make_event(
        "dossier.status", source="000.01.02.H24", changes={"dossierCode": "H24.22-0001"}
    )
    second = gh.make_event(
        "dossier.status", source="000.00.12.H24", changes={"dossierCode": "H24.22-0002"}
    )
    async with gh.running_gateway(config):
        await gh.publish(kafka_bootstrap, node.topic(gh.DOSSIER), [first, second])
        await gh.read_all(
            kafka_bootstrap, [node.topic(gh.DOSSIER) + ".dlq"], expected=2, settle_s=0, timeout_s=30
        )

        listed = _dlq(config, "list", "--output", "json", "--code", "LGSP-GW-RETRIES-EXHAUSTED")
        assert listed.returncode == 0, listed.stderr
        letters = [json.loads(line) for line in listed.stdout.splitlines()]
        assert {letter["ce_id"] for letter in letters} == {first[0].id, second[0].id}
        only_ward = _dlq(config, "list", "--output", "json", "--agency", "000.00.02.H24")
        assert [json.loads(line)["ce_id"] for line in only_ward.stdout.splitlines()] == [
            first[0].id
        ]

        await ensure_topics(kafka_bootstrap, [TopicSpec(portal, 3)])
        await asyncio.sleep(2.5)  # the gateway notices the new topic
        dry = _dlq(config, "redrive", "--id", first[0].id)
        assert "1 dead letter(s) would be redriven" in dry.stderr
        assert (
            "1 dead letter(s) redriven"
            in _dlq(config, "redrive", "--id", first[0].id, "--yes").stderr
        )
        assert (
            "0 dead letter(s) redriven"
            in _dlq(config, "redrive", "--id", first[0].id, "--yes").stderr
        )
        delivered = await gh.read_all(kafka_bootstrap, [portal], expected=2, timeout_s=8)

        assert (
            "1 dead letter(s) purged" in _dlq(config, "purge", "--id", second[0].id, "--yes").stderr
        )
        remaining = _dlq(config, "list", "--output", "json")
        everything = _dlq(config, "list", "--output", "json", "--all")
        shown = _dlq(config, "show", first[0].id)
    assert [gh.headers_of(r)["ce_id"] for r in delivered] == [first[0].id]
    assert remaining.stdout.strip() == ""
    assert {json.loads(line)["state"] for line in everything.stdout.splitlines()} == {
        "redriven",
        "purged",
    }
    detail = json.loads(shown.stdout)
    assert detail["record"]["dossierCode"] == "H24.22-0001" and detail["state"] == "redriven"
    assert detail["headers"]["lgsp-park-code"] == "LGSP-GW-RETRIES-EXHAUSTED"
