"""The border's audit chain: every record accepted, refused or dropped as a duplicate at the
border is one entry, and each entry holds the hash of the one before, so an edited, removed or
inserted entry breaks the chain from there on.

    {"seq": 41, "at": "...", "node": "hanoi", "peer": "ngsp", "decision": "accepted",
     "code": null, "reason": null, "ce_id": "...", "ce_type": "...", "ce_source": "...",
     "key_id": "ngsp-2026a", "value_sha256": "...", "prev": "<hash of 40>", "hash": "..."}

``hash`` is the SHA-256 of the canonical JSON of the entry without ``hash``. Entries live in the
node's audit topic (one partition, kept forever) and are archived in batches of JSON-lines files
that ``lgsp audit verify`` checks offline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.federation.trust.canonical import canonical_json

GENESIS = "0" * 64


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(
        canonical_json({k: v for k, v in entry.items() if k != "hash"})
    ).hexdigest()


def chain_entry(prev_hash: str, seq: int, fields: dict[str, Any]) -> dict[str, Any]:
    """The next entry of a chain whose last entry has ``prev_hash`` and ``seq - 1``."""
    return encoded_chain_entry(prev_hash, seq, fields)[0]


def encoded_chain_entry(
    prev_hash: str, seq: int, fields: dict[str, Any]
) -> tuple[dict[str, Any], bytes]:
    """``chain_entry`` and its JSON text for the audit topic, the entry encoded once: the
    canonical JSON that is hashed, with ``hash`` appended as its last member."""
    entry = {**fields, "seq": seq, "prev": prev_hash}
    body = canonical_json(entry)
    digest = hashlib.sha256(body).hexdigest()
    entry["hash"] = digest
    return entry, b'%s,"hash":"%s"}' % (body[:-1], digest.encode())


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of checking a chain: entries checked and the first broken one, if any."""

    entries: int
    last_hash: str
    broken_at: str | None = None  # where: "file:line" or "offset N"
    broken_seq: int | None = None
    why: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def check_chain(entries: Iterable[tuple[str, dict[str, Any]]]) -> ChainCheck:
    """Walk ``(where, entry)`` pairs in order; stop at the first entry that breaks the chain."""
    prev, expected_seq, count = GENESIS, None, 0
    for where, entry in entries:
        seq = entry.get("seq")
        problem = None
        if not isinstance(seq, int):
            problem = "no sequence number"
        elif expected_seq is not None and seq != expected_seq:
            problem = f"sequence jumps from {expected_seq - 1} to {seq} (entries missing)"
        elif expected_seq is None and seq != 0 and entry.get("prev") == GENESIS:
            problem = "first entry is not number 0"
        elif expected_seq is not None and entry.get("prev") != prev:
            problem = "prev does not match the hash of the entry before (entry removed or edited)"
        elif entry.get("hash") != entry_hash(entry):
            problem = "hash does not match the entry's content (entry edited)"
        if problem:
            return ChainCheck(count, prev, where, seq if isinstance(seq, int) else None, problem)
        prev, expected_seq, count = entry["hash"], seq + 1, count + 1  # type: ignore[operator]
    return ChainCheck(count, prev)


def archive_name(node: str, first: int, last: int) -> str:
    return f"audit-{node}-{first:010d}-{last:010d}.jsonl"


def write_batch(folder: Path, node: str, entries: list[dict[str, Any]]) -> Path:
    """One archive file of consecutive entries (written to a temporary name, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / archive_name(node, entries[0]["seq"], entries[-1]["seq"])
    partial = path.with_suffix(".partial")
    partial.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    partial.replace(path)
    return path


def archived_entries(paths: Iterable[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Entries of archive files (folders expand to their ``*.jsonl``), in sequence order."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("audit-*.jsonl")) if path.is_dir() else [path])
    for file in files:
        with file.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                where = f"{file}:{number}"
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = {"unreadable": line[:80]}
                yield where, entry if isinstance(entry, dict) else {"unreadable": line[:80]}


def last_archived_seq(folder: Path, node: str) -> int:
    """The last sequence number already archived in ``folder`` (-1 if none)."""
    names = sorted(folder.glob(f"audit-{node}-*.jsonl")) if folder.exists() else []
    return int(names[-1].stem.rsplit("-", 1)[1]) if names else -1
