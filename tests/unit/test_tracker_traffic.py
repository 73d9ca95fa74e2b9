"""The traffic generator the demo, tests and benchmark replay: realistic and deterministic."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from typing import Any

from tracker.periods import parse_period
from tracker.topics import DOCUMENT_SENT, DOCUMENT_STATUS, DOSSIER_STATUS
from tracker.traffic import TrafficEvent, TrafficSpec, generate_quarter
from tracker.workdays import load_calendar, local_date

ALLOWED = {  # status -> statuses that may follow it in a dossier's life
    1: {2},
    2: {3, 4},
    4: {5, 7, 9},
    5: {4},
    7: {8},
    9: {10},
}


def test_same_seed_same_quarter() -> None:
    """Two runs with one seed produce the same events; another seed does not."""
    spec = TrafficSpec(dossiers=200, documents=20, seed=4)
    first, again = generate_quarter(spec), generate_quarter(spec)

    def signature(event: TrafficEvent) -> tuple[str, int, int]:
        return (event.key, event.at, event.record.get("statusCode", 0))

    assert [signature(e) for e in first] == [signature(e) for e in again]
    other = generate_quarter(TrafficSpec(dossiers=200, documents=20, seed=5))
    assert [e.key for e in other] != [e.key for e in first]


def test_dossier_lives_follow_the_status_rules() -> None:
    """Each dossier is received on a working day of the quarter, due after receipt, its
    statuses follow one another as one-stop shops make them, and most finish on time."""
    calendar = load_calendar()
    quarter = parse_period("2026Q3")
    events = generate_quarter(TrafficSpec(dossiers=2000, documents=100, seed=9))
    assert [e.at for e in events] == sorted(e.at for e in events)
    lives: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event.event_type == DOSSIER_STATUS:
            lives[event.key].append(event.record)
    assert len(lives) == 2000
    finished = on_time = 0
    for records in lives.values():
        first = records[0]
        assert quarter.contains(first["receivedAt"])
        assert calendar.is_working_day(local_date(first["receivedAt"]))
        assert first["dueAt"] > first["receivedAt"]
        statuses = [r["statusCode"] for r in records]
        assert statuses[0] in (1, 2)
        for before, after in itertools.pairwise(statuses):
            assert after in ALLOWED[before], statuses
        if statuses[-1] == 10:
            last = records[-1]
            finished += 1
            on_time += last["finishedAt"] <= last["dueAt"]
            assert last["finishedAt"] <= last["returnedAt"]
    assert 0.75 < on_time / finished < 0.97
    channels = Counter(r[0]["channel"] for r in lives.values())
    assert channels[2] > 0.3 * len(lives) and channels[1] > 0.3 * len(lives)
    kinds = Counter(e.event_type for e in events)
    assert kinds[DOCUMENT_SENT] == 100 and kinds[DOCUMENT_STATUS] >= 100
