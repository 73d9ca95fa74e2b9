"""The border's hash-chained audit log: built, archived and verified offline."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gateway.federation.border.audit import (
    GENESIS,
    archived_entries,
    chain_entry,
    check_chain,
    encoded_chain_entry,
    entry_hash,
    write_batch,
)
from lgsp.cli import app


def chain(count: int) -> list[dict[str, object]]:
    entries, prev = [], GENESIS
    for seq in range(count):
        entry = chain_entry(prev, seq, {"decision": "accepted", "ce_id": f"id-{seq}"})
        entries.append(entry)
        prev = str(entry["hash"])
    return entries


def archive(folder: Path, entries: list[dict[str, object]], size: int = 4) -> None:
    for start in range(0, len(entries), size):
        write_batch(folder, "hanoi", entries[start : start + size])


def test_intact_chain_verifies_across_archive_batches(tmp_path: Path) -> None:
    """Ten entries archived in three files verify as one chain."""
    archive(tmp_path, chain(10))
    assert len(list(tmp_path.glob("audit-hanoi-*.jsonl"))) == 3
    check = check_chain(archived_entries([tmp_path]))
    assert check.intact and check.entries == 10


def test_edited_entry_is_named(tmp_path: Path) -> None:
    """Changing one field of entry 5 breaks the chain exactly there, with file and line."""
    entries = chain(10)
    entries[5] = {**entries[5], "decision": "refused"}
    archive(tmp_path, entries)
    check = check_chain(archived_entries([tmp_path]))
    assert not check.intact
    assert check.broken_seq == 5
    assert check.broken_at is not None and check.broken_at.endswith("0000000004-0000000007.jsonl:2")


def test_rehashed_edit_is_caught_by_the_next_entry(tmp_path: Path) -> None:
    """An editor who recomputes the edited entry's hash is caught by the next entry's prev."""
    entries = chain(6)
    edited = {k: v for k, v in entries[2].items() if k != "hash"} | {"ce_id": "forged"}
    entries[2] = chain_entry(
        str(entries[1]["hash"]), 2, {k: v for k, v in edited.items() if k not in ("seq", "prev")}
    )
    archive(tmp_path, entries, size=10)
    check = check_chain(archived_entries([tmp_path]))
    assert check.broken_seq == 3


def test_removed_entry_is_named(tmp_path: Path) -> None:
    """A deleted entry shows as a jump in the sequence."""
    entries = chain(8)
    del entries[4]
    archive(tmp_path, entries, size=10)
    check = check_chain(archived_entries([tmp_path]))
    assert check.broken_seq == 5 and "jumps" in (check.why or "")


def test_cli_verify_exit_codes(tmp_path: Path) -> None:
    """`lgsp audit verify` exits 0 on an intact archive, 1 naming the first broken entry."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    archive(good, chain(5))
    entries = chain(5)
    entries[3] = {**entries[3], "ce_id": "changed"}
    archive(bad, entries)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "5 entries" in ok.output
    broken = runner.invoke(app, ["audit", "verify", str(bad)])
    assert broken.exit_code == 1
    assert "entry 3" in broken.output and "jsonl:4" in broken.output
    line = (bad / "audit-hanoi-0000000000-0000000003.jsonl").read_text().splitlines()[3]
    assert json.loads(line)["ce_id"] == "changed"


def test_an_encoded_entry_reads_back_as_the_entry_with_a_hash_that_checks() -> None:
    """The audit topic's JSON text (encoded once) parses to the same entry, hash included,
    and a chain of such texts verifies; one changed character breaks it."""
    prev, texts = GENESIS, []
    for seq in range(5):
        fields = {"decision": "accepted", "ce_id": f"id-{seq}", "reason": 'Sở Tư pháp "x"'}
        entry, text = encoded_chain_entry(prev, seq, fields)
        assert json.loads(text) == entry == chain_entry(prev, seq, fields)
        assert entry_hash(json.loads(text)) == entry["hash"]
        texts.append(text)
        prev = entry["hash"]
    assert check_chain((str(i), json.loads(t)) for i, t in enumerate(texts)).intact
    texts[2] = texts[2].replace(b"id-2", b"id-X")
    assert not check_chain((str(i), json.loads(t)) for i, t in enumerate(texts)).intact
