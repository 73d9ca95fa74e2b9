"""Error codes of federation and trust. Each is documented in docs/errors.md."""

from __future__ import annotations

from schemas.errors import LgspError


class TrustError(LgspError):
    """The trust registry, a key or a signature could not be trusted."""

    code = "LGSP-TRUST"


class FederationError(LgspError):
    """A link or the border could not do its work."""

    code = "LGSP-FED"


# Why the border refuses a record (the park code of the refused copy).
UNSIGNED = "LGSP-FED-UNSIGNED"
BAD_SIGNATURE = "LGSP-FED-BAD-SIGNATURE"
BAD_PROOF = "LGSP-FED-BAD-PROOF"
UNKNOWN_SIGNER = "LGSP-FED-UNKNOWN-SIGNER"
KEY_EXPIRED = "LGSP-FED-KEY-EXPIRED"
WRONG_PEER = "LGSP-FED-WRONG-PEER"
UNKNOWN_AGENCY = "LGSP-FED-UNKNOWN-AGENCY"
NOT_SERVED = "LGSP-FED-NOT-SERVED"
REPLAYED = "LGSP-FED-REPLAYED"
BAD_ENVELOPE = "LGSP-FED-BAD-ENVELOPE"
REGISTRY_STALE = "LGSP-TRUST-STALE"
NO_ROUTE = "LGSP-FED-NO-ROUTE"
