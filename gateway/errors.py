"""Why the gateway parks a record. Each code is documented in docs/errors.md.

Retriable codes send the record through the retry tiers; the others straight to the DLQ.
"""

from __future__ import annotations

from schemas.errors import LgspError


class RoutingError(LgspError):
    """A record the routing table does not let through, or cannot place."""

    code = "LGSP-GW"


NO_ROUTE = "LGSP-GW-NO-ROUTE"
FORBIDDEN = "LGSP-GW-FORBIDDEN"
NO_RECIPIENTS = "LGSP-GW-NO-RECIPIENTS"
UNKNOWN_RECIPIENT = "LGSP-GW-UNKNOWN-RECIPIENT"
DESTINATION_MISSING = "LGSP-GW-DEST-MISSING"
TRANSFORM_FAILED = "LGSP-GW-TRANSFORM"
RETRIES_EXHAUSTED = "LGSP-GW-RETRIES-EXHAUSTED"
TOO_LARGE = "LGSP-GW-TOO-LARGE"

RETRIABLE_CODES = frozenset({DESTINATION_MISSING})
