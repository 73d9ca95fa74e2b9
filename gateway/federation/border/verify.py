"""The border's decision for one record from another node: accept it, or refuse it and why.

Pure: the registry, the clock and the record's bytes in, a ``Refusal`` or None out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.federation import errors
from gateway.federation.errors import TrustError
from gateway.federation.trust.registry import TrustRegistry
from gateway.federation.trust.signing import signed_text, split_signature, verify_bytes
from schemas.envelope import Envelope, Headers, format_time, header_value
from schemas.errors import LgspError


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Verified:
    envelope: Envelope
    key_id: str


def verify_record(
    registry: TrustRegistry,
    peer: str,
    headers: Headers,
    key: bytes | None,
    value: bytes | None,
    now: datetime,
    max_age: timedelta,
) -> Verified | Refusal:
    """Check that ``peer`` signed this record with a valid key and may speak for its sender."""
    try:
        envelope = Envelope.from_headers(headers)
    except LgspError as error:
        return Refusal(errors.BAD_ENVELOPE, f"{error.code}: {error.message}")
    if not envelope.signature:
        return Refusal(errors.UNSIGNED, f"record {envelope.id} from {peer} carries no signature")
    try:
        key_id, signature = split_signature(envelope.signature)
    except TrustError as error:
        return Refusal(error.code, error.message)
    entry = registry.key(key_id)
    if entry is None:
        return Refusal(errors.UNKNOWN_SIGNER, f"key {key_id!r} is not in trust registry")
    if entry.node != peer:
        return Refusal(
            errors.WRONG_PEER,
            f"signed by {entry.node}'s key {key_id} but came over the {peer} link",
        )
    if not entry.not_before <= now <= entry.not_after:
        return Refusal(
            errors.KEY_EXPIRED,
            f"key {key_id} is valid from {format_time(entry.not_before)} "
            f"to {format_time(entry.not_after)}",
        )
    text = signed_text(
        envelope.id,
        envelope.source,
        envelope.type,
        format_time(envelope.time),
        envelope.dataschema,
        header_value(headers, "ce_recipients"),
        key,
        value,
    )
    if not verify_bytes(entry.key, signature, text):
        return Refusal(
            errors.BAD_SIGNATURE,
            f"signature by {key_id} does not match the record (value or headers changed)",
        )
    if now - envelope.time > max_age:
        return Refusal(
            errors.REPLAYED, f"ce_time {format_time(envelope.time)} is older than {max_age}"
        )
    serving = registry.node_serving(envelope.source)
    if serving is None:
        return Refusal(
            errors.UNKNOWN_AGENCY, f"{envelope.source} is not a member agency of the registry"
        )
    if serving != peer and not registry.is_hub(peer):
        return Refusal(
            errors.NOT_SERVED, f"{peer} may not send for {envelope.source} (served by {serving})"
        )
    return Verified(envelope, key_id)
