"""Errors of the tracker, each with a stable code documented in docs/errors.md.

LgspError
└── TrackerError               LGSP-TRACKER
    ├── TrackerConfigError     LGSP-TRACKER-CONFIG   a holiday file or setting that is wrong
    ├── TrackerRecordError     LGSP-TRACKER-RECORD   an event the tracker cannot use (parked)
    ├── TrackerQueryError      LGSP-TRACKER-QUERY    a look-up with invalid parameters (422)
    └── TrackerNotFoundError   LGSP-TRACKER-NOT-FOUND  no such dossier or document (404)
"""

from __future__ import annotations

from schemas.errors import LgspError


class TrackerError(LgspError):
    code = "LGSP-TRACKER"


class TrackerConfigError(TrackerError):
    code = "LGSP-TRACKER-CONFIG"


class TrackerRecordError(TrackerError):
    """An event that is well-formed Avro but cannot be tracked (e.g. an unknown status)."""

    code = "LGSP-TRACKER-RECORD"


class TrackerQueryError(TrackerError):
    code = "LGSP-TRACKER-QUERY"


class TrackerNotFoundError(TrackerError):
    code = "LGSP-TRACKER-NOT-FOUND"
