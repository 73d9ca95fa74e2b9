"""The border's decision for one record from another node: accept it, or refuse it and why.

Pure: the registry, the clock and the record's bytes in, a ``Refusal`` or None out. A
batch-signed record (``ce_proof``, see ``merkle``) is checked by folding its proof to the
batch's root and verifying the one signature over that root; ``VerifiedRoots`` remembers the
roots already verified, so a batch costs one signature check however many records it has.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gateway.federation import errors
from gateway.federation.errors import TrustError
from gateway.federation.trust import merkle
from gateway.federation.trust.registry import TrustRegistry
from gateway.federation.trust.signing import PublicKey, signed_text, split_signature, verify_bytes
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


@dataclass
class VerifiedRoots:
    """The batch roots whose signature checked out lately (least recently used evicted)."""

    capacity: int = 256
    _seen: OrderedDict[tuple[str, bytes, bytes], None] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._seen)

    def remembers(self, key_id: str, signature: bytes, text: bytes) -> bool:
        return (key_id, signature, text) in self._seen

    def verify(self, key_id: str, key: PublicKey, signature: bytes, text: bytes) -> bool:
        memo = (key_id, signature, text)
        if memo in self._seen:
            self._seen.move_to_end(memo)
            return True
        if not verify_bytes(key, signature, text):
            return False
        self._seen[memo] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True


def verify_record(
    registry: TrustRegistry,
    peer: str,
    headers: Headers,
    key: bytes | None,
    value: bytes | None,
    now: datetime,
    max_age: timedelta,
    roots: VerifiedRoots | None = None,
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
    proof_header = header_value(headers, "ce_proof")
    if proof_header is not None:
        try:
            proof = merkle.parse_proof(proof_header)
            text = merkle.root_text(proof.size, merkle.root_of(merkle.leaf_hash(text), proof))
        except TrustError as error:
            return Refusal(error.code, error.message)
    checked = (
        roots.verify(key_id, entry.key, signature, text)
        if roots is not None
        else verify_bytes(entry.key, signature, text)
    )
    if not checked:
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
