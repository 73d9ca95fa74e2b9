"""Batch signatures over a Merkle tree: one signature per batch, every record verifiable alone."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.federation import errors
from gateway.federation.border.verify import Refusal, Verified, VerifiedRoots, verify_record
from gateway.federation.errors import TrustError
from gateway.federation.links.signing import batch_signed_headers, signed_headers
from gateway.federation.trust import merkle
from gateway.federation.trust.signing import NodeSigner, load_private_key
from schemas.envelope import Envelope, header_value
from tests.unit.test_federation_trust import keys, registry  # noqa: F401 - the shared fixture

NOW = datetime.now(UTC)
Record = tuple[list[tuple[str, bytes]], bytes, bytes]


def _leaves(count: int) -> list[bytes]:
    return [merkle.leaf_hash(f"record {i}".encode()) for i in range(count)]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300))
def test_every_proof_leads_from_its_leaf_to_the_root(size: int) -> None:
    """For any batch size, each leaf's proof folds to the tree's root, through its header form."""
    leaves = _leaves(size)
    root, proofs = merkle.build(leaves)
    for leaf, proof in zip(leaves, proofs, strict=True):
        assert merkle.root_of(leaf, merkle.parse_proof(proof.header())) == root


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=200), st.data())
def test_a_proof_does_not_fit_another_leaf_or_another_tree_size(
    size: int, data: st.DataObject
) -> None:
    """Another leaf, or the same proof claimed for a larger tree, folds to another root or
    is refused as malformed: a record cannot borrow a neighbour's place."""
    leaves = _leaves(size)
    root, proofs = merkle.build(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    assert merkle.root_of(leaves[other], proofs[index]) != root
    grown = merkle.Proof(index, size * 2 + 1, proofs[index].path)
    try:
        assert merkle.root_of(leaves[index], grown) != root
    except TrustError as error:
        assert error.code == errors.BAD_PROOF


@pytest.mark.parametrize(
    "header",
    ["v2:0:1:", "v1:3:2:", "v1:x:2:", "v1:0:2:!!!", "v1:0:2:" + "A" * 10, "v1:0:1"],
)
def test_malformed_proof_headers_are_refused_with_a_code(header: str) -> None:
    """A wrong version, an index out of its tree, bad base64 or a partial hash is BAD-PROOF."""
    with pytest.raises(TrustError) as refused:
        merkle.parse_proof(header)
    assert refused.value.code == errors.BAD_PROOF


def _batch(keys: Path, count: int, key_id: str = "hanoi-1") -> list[Record]:  # noqa: F811
    signer = NodeSigner(key_id, load_private_key(keys / f"{key_id}.key.pem"))
    records = []
    for i in range(count):
        envelope = Envelope.new(
            source="000.01.02.H24",
            type="vn.gov.document.status.v1",
            recipients=["000.00.00.G22"],
        )
        records.append((envelope.to_headers(), f"DOC-{i}".encode(), b"\xc3\x01value %d" % i))
    signed = batch_signed_headers(records, signer)
    return [(h, k, v) for h, (_, k, v) in zip(signed, records, strict=True)]


def _verdict(keys: Path, record: Record, roots: VerifiedRoots | None = None) -> object:  # noqa: F811
    headers, key, value = record
    return verify_record(
        registry(keys), "hanoi", headers, key, value, NOW, timedelta(days=7), roots
    )


def test_batch_carries_one_signature_and_each_record_verifies_alone(keys: Path) -> None:  # noqa: F811
    """All records of a batch share one ce_signature; each one, taken alone with no memory of
    its batch, is accepted, with either of Hà Nội's keys (Ed25519 and ECDSA P-256)."""
    for key_id in ("hanoi-1", "hanoi-2"):
        batch = _batch(keys, 7, key_id)
        assert len({header_value(h, "ce_signature") for h, _, _ in batch}) == 1
        for record in batch:
            assert isinstance(_verdict(keys, record), Verified)


def test_a_changed_record_of_a_batch_is_refused_and_its_neighbours_still_pass(keys: Path) -> None:  # noqa: F811
    """One changed value byte, a changed recipient or a swapped proof breaks only that record."""
    batch = _batch(keys, 5)
    roots = VerifiedRoots()
    headers, key, value = batch[2]
    changed = _verdict(keys, (headers, key, value[:-1] + b"X"), roots)
    assert isinstance(changed, Refusal) and changed.code == errors.BAD_SIGNATURE
    redirected = [(k, b"000.00.00.G01" if k == "ce_recipients" else v) for k, v in headers]
    moved = _verdict(keys, (redirected, key, value), roots)
    assert isinstance(moved, Refusal) and moved.code == errors.BAD_SIGNATURE
    neighbour_proof = header_value(batch[3][0], "ce_proof")
    assert neighbour_proof is not None
    swapped = [(k, neighbour_proof.encode() if k == "ce_proof" else v) for k, v in headers]
    borrowed = _verdict(keys, (swapped, key, value), roots)
    assert isinstance(borrowed, Refusal) and borrowed.code == errors.BAD_SIGNATURE
    for record in (batch[1], batch[3]):
        assert isinstance(_verdict(keys, record, roots), Verified)


def test_a_garbled_proof_is_refused_as_bad_proof(keys: Path) -> None:  # noqa: F811
    """A ce_proof that is not a proof at all is refused with BAD-PROOF, not an exception."""
    headers, key, value = _batch(keys, 3)[0]
    garbled = [(k, b"v1:0:3:%%%" if k == "ce_proof" else v) for k, v in headers]
    outcome = _verdict(keys, (garbled, key, value))
    assert isinstance(outcome, Refusal) and outcome.code == errors.BAD_PROOF


def test_re_signing_replaces_an_earlier_hop_s_signature_and_proof(keys: Path) -> None:  # noqa: F811
    """A hub that forwards a batch-signed record per record drops the earlier ce_proof, so the
    record verifies against the hub's own signature."""
    headers, key, value = _batch(keys, 4)[1]
    ngsp = NodeSigner("ngsp-1", load_private_key(keys / "ngsp-1.key.pem"))
    again = signed_headers(headers, key, value, ngsp)
    assert header_value(again, "ce_proof") is None
    outcome = verify_record(registry(keys), "ngsp", again, key, value, NOW, timedelta(days=7))
    assert isinstance(outcome, Verified)


def test_verified_roots_remember_good_roots_only_and_keep_their_capacity(keys: Path) -> None:  # noqa: F811
    """A root verified once is answered from memory; a bad signature is never remembered; the
    least recently used root goes first when the memo is full."""
    signer = NodeSigner("hanoi-1", load_private_key(keys / "hanoi-1.key.pem"))
    entry = registry(keys).key("hanoi-1")
    assert entry is not None
    roots = VerifiedRoots(capacity=2)
    texts = [merkle.root_text(1, merkle.leaf_hash(b"%d" % i)) for i in range(3)]
    signatures = [signer.sign(t).split(":", 1)[1] for t in texts]
    raw = [base64.urlsafe_b64decode(s) for s in signatures]
    assert not roots.verify("hanoi-1", entry.key, raw[1], texts[0])
    assert len(roots) == 0
    for i in (0, 1, 0, 2):
        assert roots.verify("hanoi-1", entry.key, raw[i], texts[i])
    assert len(roots) == 2
    assert roots.remembers("hanoi-1", raw[0], texts[0])
    assert not roots.remembers("hanoi-1", raw[1], texts[1])
