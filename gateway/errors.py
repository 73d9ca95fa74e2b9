"""Why the gateway parks a record. Each code is documented in docs/errors.md.

A missing destination topic (``DESTINATION_MISSING``) sends the record through the retry
tiers; every other code sends it straight to the DLQ.

    LgspError
    └── RoutingError     a record the gateway cannot route (the park codes below)
        └── TransformError   a route's transformation failed on this record
"""

from __future__ import annotations

from schemas.errors import LgspError

NO_ROUTE = "LGSP-GW-NO-ROUTE"
FORBIDDEN = "LGSP-GW-FORBIDDEN"
NO_RECIPIENTS = "LGSP-GW-NO-RECIPIENTS"
UNKNOWN_RECIPIENT = "LGSP-GW-UNKNOWN-RECIPIENT"
DESTINATION_MISSING = "LGSP-GW-DEST-MISSING"
TRANSFORM_FAILED = "LGSP-GW-TRANSFORM"
RETRIES_EXHAUSTED = "LGSP-GW-RETRIES-EXHAUSTED"
TOO_LARGE = "LGSP-GW-TOO-LARGE"


class RoutingError(LgspError):
    """A record the routing table does not let through, or cannot place."""

    code = "LGSP-GW"


class TransformError(RoutingError):
    """A route's transformation could not be applied to this record (it is dead-lettered)."""

    code = TRANSFORM_FAILED
