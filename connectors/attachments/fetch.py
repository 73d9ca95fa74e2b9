"""A sink's fetch of an attachment named in a record: only from the stores it trusts, never
more than its limit, and only bytes whose SHA-256 is the one the record names."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from connectors.attachments.errors import (
    HASH_MISMATCH,
    MISSING,
    NOT_ALLOWED,
    TOO_LARGE,
    AttachmentError,
)
from connectors.errors import RetriableDeliveryError

_CHUNK = 1 << 20


def check_declared(attachment: Mapping[str, Any], sources: Sequence[str], max_bytes: int) -> None:
    """Refuse, before any request, an attachment from an untrusted place or declared too big."""
    uri = str(attachment["uri"])
    if not any(uri.startswith(prefix) for prefix in sources):
        raise AttachmentError(
            f"attachment {attachment['name']!r}: {uri[:200]} is not under attachment_sources",
            code=NOT_ALLOWED,
        )
    if int(attachment["sizeBytes"]) > max_bytes:
        raise AttachmentError(
            f"attachment {attachment['name']!r} is {attachment['sizeBytes']} bytes, over "
            f"max_attachment_bytes {max_bytes}",
            code=TOO_LARGE,
        )


async def fetch_attachment(
    client: httpx.AsyncClient,
    attachment: Mapping[str, Any],
    *,
    sources: Sequence[str],
    max_bytes: int,
) -> bytes:
    """The attachment's bytes, checked against its ``sha256`` and ``sizeBytes``."""
    check_declared(attachment, sources, max_bytes)
    name, uri = attachment["name"], str(attachment["uri"])
    digest, chunks, size = hashlib.sha256(), [], 0
    try:
        async with client.stream("GET", uri) as response:
            if response.status_code == 404:
                raise AttachmentError(
                    f"attachment {name!r}: the store has no {uri[:200]} (expired or never stored)",
                    code=MISSING,
                )
            if response.status_code >= 400:
                raise RetriableDeliveryError(
                    f"attachment {name!r}: the store answered {response.status_code}",
                    code="LGSP-CONN-TARGET-UNAVAILABLE",
                )
            async for chunk in response.aiter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentError(
                        f"attachment {name!r}: more than max_attachment_bytes {max_bytes} sent",
                        code=TOO_LARGE,
                    )
                digest.update(chunk)
                chunks.append(chunk)
    except httpx.HTTPError as error:
        raise RetriableDeliveryError(
            f"attachment {name!r}: {type(error).__name__} fetching {uri[:200]}: {error}"
        ) from error
    if digest.hexdigest() != attachment["sha256"] or size != int(attachment["sizeBytes"]):
        raise AttachmentError(
            f"attachment {name!r}: fetched {size} bytes with SHA-256 {digest.hexdigest()}, the "
            f"record names {attachment['sizeBytes']} bytes with {attachment['sha256']}",
            code=HASH_MISMATCH,
        )
    return b"".join(chunks)
