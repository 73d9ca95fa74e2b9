"""A content-addressed folder of attachments: each file is stored once under its SHA-256
(``sha256/<first two hex digits>/<hex>``), written to a hidden file and renamed so a reader
never sees half of it, and deleted once older than the retention (storing it again renews
it)."""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

_HEX64 = re.compile(r"[0-9a-f]{64}")


def is_sha256(text: str) -> bool:
    """64 lower-case hex digits (the only names the store has)."""
    return bool(_HEX64.fullmatch(text))


@dataclass(frozen=True)
class StoredAttachment:
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class AttachmentStore:
    """The store's folder; the node's store server serves it, sources write into it."""

    folder: Path

    def path_of(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"{sha256!r} is not a SHA-256 (64 lower-case hex digits)")
        return self.folder / "sha256" / sha256[:2] / sha256

    def put(self, content: bytes) -> StoredAttachment:
        """Store ``content`` (once: the same bytes have the same name) and return its hash."""
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path_of(sha256)
        if target.exists():
            os.utime(target)  # stored again: its retention starts again
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{sha256}.{os.getpid()}.part")
            partial.write_bytes(content)
            partial.replace(target)
        return StoredAttachment(sha256, len(content))

    def prune(self, retention_s: float, now: float | None = None) -> int:
        """Delete the files stored longer ago than ``retention_s``; return how many."""
        cutoff = (time.time() if now is None else now) - retention_s
        removed = 0
        for path in self.folder.glob("sha256/*/*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # pruned by another process meanwhile
                continue
        return removed
