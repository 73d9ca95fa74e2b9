"""The federation border's dedup memory against a replayed record: the same ce_id to the same
recipients is a duplicate once accepted, in the same transaction and after it, and still after
a restart that rebuilds the memory from the audit entries (as ``restore_state`` does)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.federation.border.audit import GENESIS
from gateway.federation.border.state import BorderState
from schemas.envelope import format_time

WINDOW = timedelta(hours=1)
RECIPIENTS = "000.00.00.H24,000.00.00.H15"


def _audit(ce_id: str, recipients: str | None, at: datetime) -> dict[str, Any]:
    return {"at": format_time(at), "node": "h24", "peer": "ngsp", "ce_id": ce_id,
            "recipients": recipients, "value_sha256": "0" * 64, "origin": "link/0/7"}  # fmt: skip


def _let_in(
    state: BorderState, ce_id: str, recipients: str | None, at: datetime, log: list[Any]
) -> bool:
    """What the border does with one verified record (its audit entry added to ``log``, the
    audit topic): False if it is a duplicate."""
    key = state.dedup_key(ce_id, recipients)
    if state.is_duplicate(key):
        log.append(state.append({**_audit(ce_id, recipients, at), "decision": "duplicate"}))
        return False
    log.append(state.append({**_audit(ce_id, recipients, at), "decision": "accepted"}, key))
    return True


def test_a_replayed_record_is_a_duplicate_and_stays_one_after_a_restore() -> None:
    """Accepted once; its replay (same ce_id and recipients) is a duplicate within the same
    transaction, after the commit and after the state is rebuilt from the audit entries; the
    same ce_id to other recipients is a different delivery; an aborted acceptance is forgotten."""
    now = datetime.now(UTC)
    state = BorderState(WINDOW)
    log: list[dict[str, Any]] = []
    assert _let_in(state, "ev-1", RECIPIENTS, now, log)
    assert not _let_in(state, "ev-1", RECIPIENTS, now, log)  # replayed in the same transaction
    state.commit()
    assert not _let_in(state, "ev-1", RECIPIENTS, now, log)  # replayed after the commit
    assert _let_in(state, "ev-1", "000.00.00.G12", now, log)  # another delivery of the event
    state.commit()
    assert _let_in(state, "ev-aborted", RECIPIENTS, now, [])  # never written to the audit
    state.abort()  # the transaction did not commit: the record was not let in

    restored = BorderState(WINDOW)
    for entry in log:  # the audit topic's entries, as they were written
        restored.load(json.loads(json.dumps(entry)))
    restored.prune(now)
    assert (restored.seq, restored.head) == (state.seq, state.head) != (0, GENESIS)
    assert not _let_in(restored, "ev-1", RECIPIENTS, now, [])
    assert not _let_in(restored, "ev-1", "000.00.00.G12", now, [])
    assert _let_in(restored, "ev-aborted", RECIPIENTS, now, [])
    decisions = [e["decision"] for e in log]
    assert decisions == ["accepted", "duplicate", "duplicate", "accepted"]


def test_the_dedup_memory_forgets_after_its_window() -> None:
    """An acceptance older than the window is pruned at restore: the window is the promise."""
    now = datetime.now(UTC)
    state = BorderState(WINDOW)
    entries: list[Any] = []
    assert _let_in(state, "ev-old", None, now - 2 * WINDOW, entries)
    state.commit()
    restored = BorderState(WINDOW)
    for entry in entries:
        restored.load(entry)
    restored.prune(now)
    assert restored.seen == {}
