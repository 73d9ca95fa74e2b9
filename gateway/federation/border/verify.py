"""The border's decision for one record from another node: accept it, or refuse it and why.

Pure: the registry, the clock and the record's bytes in, a ``Refusal`` or None out. A
batch-signed record (``ce_proof``, see ``merkle``) is checked by folding its proof to the
batch's root and verifying the one signature over that root; ``VerifiedRoots`` remembers the
roots already verified, so a batch costs one signature check however many records it has, and
the nodes of each root's tree that earlier records proved, so that a record's fold stops where
it meets them (``merkle.fold``): every record's own proof is still read and checked.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from gateway.federation import errors
from gateway.federation.errors import TrustError
from gateway.federation.trust import merkle
from gateway.federation.trust.registry import TrustRegistry
from gateway.federation.trust.signing import (
    PublicKey,
    digest_signed_text,
    split_signature,
    verify_bytes,
)
from schemas.envelope import Envelope, Headers, decode_headers, format_time
from schemas.errors import LgspError


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Verified:
    envelope: Envelope
    key_id: str


class Arrival(NamedTuple):
    """One record as it reached the border over the link from ``peer``, its headers read
    once (``decode_headers``) and its value hashed once, for verification and the audit."""

    peer: str
    text: Mapping[str, str]
    extensions: Mapping[str, str]
    key: bytes | None
    value_sha256: str


# (key id, signature, tree size): the tree a batch signature covers
_Tree = tuple[str, bytes, int]


@dataclass
class VerifiedRoots:
    """The batch roots whose signature checked out lately, and the nodes of their trees that
    records proved (least recently used evicted; ``max_nodes`` bounds the nodes kept)."""

    capacity: int = 256
    max_nodes: int = 1 << 14  # ~0.6 KB a node with the proof it holds: ~10 MB at most
    _seen: OrderedDict[tuple[str, bytes, bytes], None] = field(default_factory=OrderedDict)
    _trees: OrderedDict[_Tree, merkle.KnownNodes] = field(default_factory=OrderedDict)
    _nodes: int = 0

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

    def verify_leaf(
        self, key_id: str, key: PublicKey, signature: bytes, leaf: bytes, proof: merkle.Proof
    ) -> bool:
        """Whether ``proof`` leads from ``leaf`` to a root that ``signature`` covers: the fold
        of ``merkle.root_of``, shortened by the nodes earlier records of the tree proved."""
        tree = (key_id, signature, proof.size)
        known = self._trees.get(tree)
        if known is None:
            known = {}
        else:
            self._trees.move_to_end(tree)
        root, learned = merkle.fold(leaf, proof, known)
        if not self.verify(key_id, key, signature, merkle.root_text(proof.size, root)):
            return False
        if learned:
            self._learn(tree, known, learned)
        return True

    def _learn(self, tree: _Tree, known: merkle.KnownNodes, learned: merkle.KnownNodes) -> None:
        before = len(known)
        if before + len(learned) > self.max_nodes:
            return  # a tree this large keeps what it has: its other records fold in full
        known.update(learned)
        if before == 0:
            self._trees[tree] = known
        self._nodes += len(known) - before
        while self._nodes > self.max_nodes or len(self._trees) > self.capacity:
            _, dropped = self._trees.popitem(last=False)
            self._nodes -= len(dropped)


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
    arrival, unreadable = read_arrival(peer, headers, key, value)
    return unreadable or verify_arrival(registry, arrival, now, max_age, roots)


def read_arrival(
    peer: str, headers: Headers, key: bytes | None, value: bytes | None
) -> tuple[Arrival, Refusal | None]:
    """A record's headers read and its value hashed, once. Headers that cannot be read (not
    UTF-8, one repeated) are a refusal; their text is then read leniently, for the audit."""
    digest = hashlib.sha256(value or b"").hexdigest()
    try:
        text, extensions = decode_headers(headers)
    except LgspError as error:
        lenient = {k: (v or b"").decode("utf-8", "replace") for k, v in headers}
        refusal = Refusal(errors.BAD_ENVELOPE, f"{error.code}: {error.message}")
        return Arrival(peer, lenient, {}, key, digest), refusal
    return Arrival(peer, text, extensions, key, digest), None


def verify_arrival(
    registry: TrustRegistry,
    arrival: Arrival,
    now: datetime,
    max_age: timedelta,
    roots: VerifiedRoots | None = None,
) -> Verified | Refusal:
    """``verify_record`` of a record whose headers and value the caller has already read."""
    peer, text = arrival.peer, arrival.text
    try:
        envelope = Envelope.from_text(text, arrival.extensions)
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
    # ce_time as it came: the text the link signed (the headers, not the parsed envelope)
    signed = digest_signed_text(
        envelope.id,
        envelope.source,
        envelope.type,
        text["ce_time"],
        envelope.dataschema,
        text.get("ce_recipients"),
        arrival.key,
        arrival.value_sha256,
    )
    proof_header = text.get("ce_proof")
    try:
        if proof_header is None:
            checked = (
                roots.verify(key_id, entry.key, signature, signed)
                if roots is not None
                else verify_bytes(entry.key, signature, signed)
            )
        else:
            proof, leaf = merkle.parse_proof(proof_header), merkle.leaf_hash(signed)
            checked = (
                roots.verify_leaf(key_id, entry.key, signature, leaf, proof)
                if roots is not None
                else verify_bytes(
                    entry.key, signature, merkle.root_text(proof.size, merkle.root_of(leaf, proof))
                )
            )
    except TrustError as error:
        return Refusal(error.code, error.message)
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
