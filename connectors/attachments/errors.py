"""Errors of attachments: what a source or sink refuses about a file.

PermanentDeliveryError (connectors.errors)
└── AttachmentError               LGSP-CONN-ATTACHMENT-*: the record is parked
    ├── code LGSP-CONN-ATTACHMENT-HASH-MISMATCH   the bytes fetched are not the ones named
    ├── code LGSP-CONN-ATTACHMENT-MISSING         the store does not have it (expired?)
    ├── code LGSP-CONN-ATTACHMENT-TOO-LARGE       over the sink's max_attachment_bytes
    └── code LGSP-CONN-ATTACHMENT-NOT-ALLOWED     its URI is outside attachment_sources
"""

from __future__ import annotations

from connectors.errors import PermanentDeliveryError

HASH_MISMATCH = "LGSP-CONN-ATTACHMENT-HASH-MISMATCH"
MISSING = "LGSP-CONN-ATTACHMENT-MISSING"
TOO_LARGE = "LGSP-CONN-ATTACHMENT-TOO-LARGE"
NOT_ALLOWED = "LGSP-CONN-ATTACHMENT-NOT-ALLOWED"


class AttachmentError(PermanentDeliveryError):
    """An attachment that will fail the same way on every attempt: the record is parked."""

    code = "LGSP-CONN-ATTACHMENT"
