"""Times as Vietnamese national systems write them: ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh
(the national portal's dossier dates, the payment platform's times)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
COMPACT = "%Y%m%d%H%M%S"


def compact_time(value: datetime) -> str:
    """``yyyyMMddHHmmss`` of an aware instant, in Vietnam's time."""
    return value.astimezone(VIETNAM).strftime(COMPACT)


def parse_compact_time(text: str) -> datetime:
    """The instant of a ``yyyyMMddHHmmss`` Vietnam time (ValueError for anything else)."""
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise ValueError(f"{text!r} is not yyyyMMddHHmmss")
    return datetime.strptime(text, COMPACT).replace(tzinfo=VIETNAM)
