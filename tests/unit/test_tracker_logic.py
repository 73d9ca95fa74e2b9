"""The tracker's pure rules: working days, dossier and document state, figures and reports."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tracker.documents import apply_document_sent, apply_document_status, overdue_recipients
from tracker.dossiers import Timeliness, apply_dossier_change, timeliness, working_days_late
from tracker.errors import TrackerConfigError, TrackerQueryError, TrackerRecordError
from tracker.figures import count_dossiers, make_filter
from tracker.periods import parse_period, parse_quarter
from tracker.quarterly_report import quarter_report, report_csv
from tracker.state import (
    TrackerState,
    decode_document,
    decode_dossier,
    encode_document,
    encode_dossier,
)
from tracker.workdays import VIETNAM, load_calendar, millis_of, parse_calendar

CAL = load_calendar()


def ms(year: int, month: int, day: int, hour: float = 9) -> int:
    return millis_of(datetime(year, month, day, tzinfo=VIETNAM) + timedelta(hours=hour))


def dossier_event(status: int, at: int, **extra: object) -> dict[str, object]:
    record: dict[str, object] = {
        "dossierCode": "H24.0102-260701-0001",
        "procedureCode": "1.001193.000.00.00.H24",
        "procedureName": "Đăng ký khai sinh",
        "receivingAgency": {"code": "000.01.02.H24", "name": "UBND phường Phúc Xá"},
        "owner": {"name": "Lê Minh Châu", "kind": 1, "idNumber": "001190012345"},
        "channel": 2,
        "serviceLevel": "full_online",
        "statusCode": status,
        "receivedAt": ms(2026, 7, 1),
        "dueAt": ms(2026, 7, 3, 17),
        "finishedAt": None,
        "returnedAt": None,
        "paidOnline": False,
        "changedAt": at,
    }
    record.update(extra)
    return record


def test_tet_and_weekends_are_not_working_days() -> None:
    """Tết 2026 (16-20 Feb), bridge days and weekends are off; a make-up Saturday is worked."""
    assert not CAL.is_working_day(date(2026, 2, 17))
    assert not CAL.is_working_day(date(2026, 2, 21))
    assert CAL.is_working_day(date(2025, 4, 26))  # Saturday worked for the 2 May 2025 bridge
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2026, 2, 23))


def test_due_date_counts_working_days_across_holidays() -> None:
    """Five working days from Friday 13 Feb 2026 skip the Tết week and land on 27 Feb."""
    assert CAL.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert CAL.working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5


def test_holiday_file_errors_name_the_row() -> None:
    """A bad date or kind in the holiday file is refused with its row number."""
    with pytest.raises(TrackerConfigError, match="row 3"):
        parse_calendar(["date,kind,name", "2026-01-01,holiday,x", "2026-13-01,holiday,y"], "f")
    with pytest.raises(TrackerConfigError, match="kind 'party'"):
        parse_calendar(["date,kind,name", "2026-01-01,party,x"], "f")


def test_latest_change_wins_and_replays_change_nothing() -> None:
    """An older change joins the history without moving the status back; a replay is a no-op."""
    state = apply_dossier_change(None, dossier_event(2, ms(2026, 7, 1, 10)))
    state = apply_dossier_change(state, dossier_event(4, ms(2026, 7, 2, 10)))
    older = apply_dossier_change(state, dossier_event(1, ms(2026, 7, 1, 9)))
    assert older.status == 4
    assert [s.status for s in older.history] == [1, 2, 4]
    assert apply_dossier_change(older, dossier_event(4, ms(2026, 7, 2, 10))) is older


def test_on_time_late_and_overdue() -> None:
    """Finished by the due time is on time, after it late; open and past due is overdue."""
    state = apply_dossier_change(None, dossier_event(4, ms(2026, 7, 1, 10)))
    assert timeliness(state, ms(2026, 7, 3, 12)) is Timeliness.IN_PROGRESS
    assert timeliness(state, ms(2026, 7, 6, 12)) is Timeliness.OVERDUE
    assert working_days_late(state, CAL, ms(2026, 7, 7, 12)) == 2  # Mon 6, Tue 7
    done = apply_dossier_change(state, dossier_event(9, ms(2026, 7, 3), finishedAt=ms(2026, 7, 3)))
    assert timeliness(done, ms(2026, 8, 1)) is Timeliness.ON_TIME
    late = apply_dossier_change(state, dossier_event(9, ms(2026, 7, 6), finishedAt=ms(2026, 7, 6)))
    assert timeliness(late, ms(2026, 8, 1)) is Timeliness.LATE
    refused = apply_dossier_change(state, dossier_event(3, ms(2026, 7, 2)))
    assert timeliness(refused, ms(2026, 8, 1)) is Timeliness.CLOSED


def test_changelog_round_trip_keeps_no_personal_data() -> None:
    """A dossier's changelog value decodes to the same state and holds no owner data."""
    state = apply_dossier_change(None, dossier_event(2, ms(2026, 7, 1, 10)))
    value = encode_dossier(state)
    assert decode_dossier(value) == state
    assert b"001190012345" not in value and "Châu".encode() not in value


def test_restore_keeps_each_keys_last_value() -> None:
    """Reading an uncompacted changelog back, the last value of a key wins; None deletes."""
    first = apply_dossier_change(None, dossier_event(2, ms(2026, 7, 1, 10)))
    later = apply_dossier_change(first, dossier_event(4, ms(2026, 7, 2, 10)))
    key = b"d:" + first.code.encode()
    state = TrackerState()
    log = [(key, encode_dossier(first)), (b"d:gone", None), (key, encode_dossier(later))]
    state.restore_all(log)
    assert state.dossiers == {first.code: later}
    state.restore_all([(key, None)])
    assert state.dossiers == {}


def document_sent() -> dict[str, object]:
    return {
        "documentId": "000.00.01.H24,2026/07/01,12/H24-VP",
        "sender": {"code": "000.00.01.H24", "name": "Văn phòng"},
        "recipients": [
            {"code": "000.00.12.H24", "name": "Sở Tư pháp"},
            {"code": "000.00.13.H24", "name": "Sở Tài chính"},
        ],
        "subject": "Về việc triển khai",
        "codeNumber": "12",
        "codeNotation": "H24-VP",
        "dueDate": date(2026, 7, 10),
        "sentAt": ms(2026, 7, 1),
    }


def feedback(code: str, status: str, at: int) -> dict[str, object]:
    return {
        "documentId": "000.00.01.H24,2026/07/01,12/H24-VP",
        "documentSender": "000.00.01.H24",
        "from": {"code": code, "name": code},
        "statusCode": status,
        "statusAt": at,
    }


def test_document_recipients_and_overdue() -> None:
    """Each recipient keeps its latest status; past the due date, unfinished ones are overdue."""
    early = apply_document_status(None, feedback("000.00.12.H24", "01", ms(2026, 7, 1, 11)))
    document = apply_document_sent(early, document_sent())
    document = apply_document_status(document, feedback("000.00.12.H24", "06", ms(2026, 7, 2)))
    document = apply_document_status(document, feedback("000.00.12.H24", "05", ms(2026, 7, 1)))
    states = {r.code: r.state for r in document.recipients}
    assert states == {"000.00.12.H24": "done", "000.00.13.H24": "sent"}
    assert overdue_recipients(document, ms(2026, 7, 10, 16)) == []
    assert [r.code for r in overdue_recipients(document, ms(2026, 7, 11))] == ["000.00.13.H24"]
    assert decode_document(encode_document(document)) == document
    with pytest.raises(TrackerRecordError):
        apply_document_status(document, feedback("000.00.13.H24", "99", ms(2026, 7, 2)))


def test_figures_and_quarter_report_count_each_dossier_once() -> None:
    """Counts per channel and the Q3 report agree on one finished, one late, one open dossier."""
    on_time = apply_dossier_change(
        None,
        dossier_event(10, ms(2026, 7, 3), finishedAt=ms(2026, 7, 2), returnedAt=ms(2026, 7, 3)),
    )
    late = apply_dossier_change(
        None,
        dossier_event(9, ms(2026, 7, 8), dossierCode="B", finishedAt=ms(2026, 7, 8), channel=1),
    )
    open_one = apply_dossier_change(None, dossier_event(4, ms(2026, 7, 2), dossierCode="C"))
    dossiers = [on_time, late, open_one]
    counts = count_dossiers(dossiers, "channel", ms(2026, 10, 1))
    assert (counts["online"].received, counts["in_person"].late) == (2, 1)
    assert counts["online"].overdue == 1
    [record] = quarter_report(dossiers, parse_period("2026Q3"), CAL, ms(2026, 10, 1))
    assert (record["dossiersReceived"], record["dossiersOnline"]) == (3, 2)
    assert (record["dossiersFinished"], record["dossiersOnTime"], record["dossiersLate"]) == (
        2,
        1,
        1,
    )
    assert record["averageProcessingDays"] == (1 + 5) / 2  # 1 Jul -> 2 Jul, 1 Jul -> 8 Jul
    assert record["reportId"] == "000.01.02.H24:2026Q3"
    assert report_csv([record]).splitlines()[1].startswith("000.01.02.H24:2026Q3,000.01.02.H24,")


def test_query_errors_are_coded() -> None:
    """Unknown periods, statuses, channels and groupings raise LGSP-TRACKER-QUERY."""
    for bad in ({"period": "2026Q5"}, {"status": 11}, {"channel": "fax"}):
        with pytest.raises(TrackerQueryError):
            make_filter(**bad)
    with pytest.raises(TrackerQueryError):
        count_dossiers([], "colour", 0)
    assert parse_period("2026-12").end_ms == parse_period("2027Q1").start_ms
    with pytest.raises(TrackerQueryError, match="quarterly"):
        parse_quarter("2026-07")
