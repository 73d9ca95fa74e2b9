"""Errors of connectors: what a sink's target answered, and what a connector refuses.

    LgspError
    └── ConnectorError              LGSP-CONN-*: configuration, plug-ins, edXML files, webhooks
        └── DeliveryError           a sink could not hand a record to the agency's system
            ├── RetriableDeliveryError   timeouts, 429, 5xx: tried again after a back-off
            └── PermanentDeliveryError   4xx, schema mismatch: the record is parked with the reason

A sink's ``deliver`` raises one of the two delivery errors; the SDK decides what follows.
"""

from __future__ import annotations

from schemas.errors import LgspError


class ConnectorError(LgspError):
    """A connector cannot do what it was asked (bad plug-in, malformed file, refused request)."""

    code = "LGSP-CONN"


class DeliveryError(ConnectorError):
    """The target system did not take a record."""

    code = "LGSP-CONN-DELIVERY"


class RetriableDeliveryError(DeliveryError):
    """Trying again later may succeed; ``retry_after_s`` is the target's own hint, if any."""

    code = "LGSP-CONN-TARGET-UNAVAILABLE"
    retriable = True

    def __init__(
        self, message: str, *, code: str | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(DeliveryError):
    """The same record will fail the same way on every attempt: park it."""

    code = "LGSP-CONN-TARGET-REJECTED"
    retriable = False
