"""The border's memory of the Merkle nodes earlier records of a batch proved: a record verified
through it gets exactly the verdict a full fold of its own proof gives (a tampered proof is
still refused, with the same code), and the memory stays within its bounds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.federation import errors
from gateway.federation.border.verify import Refusal, Verified, VerifiedRoots, verify_record
from gateway.federation.errors import TrustError
from gateway.federation.trust import merkle
from gateway.federation.trust.signing import signed_text
from schemas.envelope import header_value
from tests.unit.test_federation_batch_signing import NOW, Record, _batch, _leaves
from tests.unit.test_federation_trust import keys, registry  # noqa: F401 - the shared fixture


def _outcome(call: object) -> object:
    """What a fold gives: its root, or the code it raised."""
    try:
        return call() if callable(call) else call
    except TrustError as error:
        return error.code


def _internal_nodes(size: int) -> int:
    """The nodes of a tree of ``size`` leaves above the leaves (carried nodes counted again)."""
    total, count = 0, size
    while count > 1:
        count = (count + 1) >> 1
        total += count
    return total


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.randoms(use_true_random=False))
def test_a_fold_through_known_nodes_gives_root_of_s_root_for_every_record(
    size: int, random: object
) -> None:
    """In any order, every record's fold through the nodes earlier records proved gives the
    root ``root_of`` gives, and each node above the leaves is hashed once for the whole batch
    (a full fold of every record hashes each record's whole path)."""
    leaves = _leaves(size)
    root, proofs = merkle.build(leaves)
    order = list(range(size))
    random.shuffle(order)  # type: ignore[attr-defined]
    known: merkle.KnownNodes = {}
    reached = 0
    for i in order:
        folded, learned = merkle.fold(leaves[i], proofs[i], known)
        assert folded == merkle.root_of(leaves[i], proofs[i]) == root
        reached += len(learned)
        known.update(learned)
    assert reached == len(known) <= _internal_nodes(size)


@st.composite
def _tampered(draw: st.DrawFn) -> tuple[int, merkle.Proof, list[bytes], merkle.Proof]:
    """A tree, one of its records, and that record's proof changed in one way."""
    size = draw(st.integers(min_value=2, max_value=200))
    leaves = _leaves(size)
    _, proofs = merkle.build(leaves)
    index = draw(st.integers(min_value=0, max_value=size - 1))
    proof = proofs[index]
    path = list(proof.path)
    how = draw(st.sampled_from(["flip", "drop", "add", "index", "size", "swap"]))
    if how == "flip" and path:
        at, bit = draw(st.integers(0, len(path) - 1)), draw(st.integers(0, 255))
        path[at] = bytes([path[at][0] ^ (bit or 1)]) + path[at][1:]
    elif how == "drop" and path:
        del path[draw(st.integers(0, len(path) - 1))]
    elif how == "add":
        path.insert(draw(st.integers(0, len(path))), bytes(32))
    elif how == "swap" and len(path) > 1:
        path[0], path[-1] = path[-1], path[0]
    changed = merkle.Proof(proof.index, proof.size, tuple(path))
    if how == "index":
        changed = merkle.Proof((proof.index + 1) % size, proof.size, proof.path)
    elif how == "size":
        changed = merkle.Proof(proof.index, size + draw(st.integers(1, 3)), proof.path)
    return index, changed, leaves, proof


@settings(max_examples=200, deadline=None)
@given(_tampered())
def test_a_tampered_proof_folds_through_known_nodes_as_it_does_alone(
    case: tuple[int, merkle.Proof, list[bytes], merkle.Proof],
) -> None:
    """With every other record of the batch already proven, a changed proof (a flipped bit, a
    hash dropped, added or moved, another index or tree size) gives what ``root_of`` gives for
    it alone: BAD-PROOF, or a root the batch's signature does not cover."""
    index, changed, leaves, _ = case
    root, proofs = merkle.build(leaves)
    known: merkle.KnownNodes = {}
    for i, proof in enumerate(proofs):
        if i != index:
            known.update(merkle.fold(leaves[i], proof, known)[1])
    if changed.size != len(leaves):
        known = {}  # another tree: VerifiedRoots keeps nodes per signature and tree size
    alone = _outcome(lambda: merkle.root_of(leaves[index], changed))
    assert _outcome(lambda: merkle.fold(leaves[index], changed, known)[0]) == alone
    if changed != proofs[index] and isinstance(alone, bytes):  # and what the signature covers
        assert merkle.root_text(changed.size, alone) != merkle.root_text(len(leaves), root)


def _with_proof(record: Record, proof: str) -> Record:
    headers, key, value = record
    return [(k, proof.encode() if k == "ce_proof" else v) for k, v in headers], key, value


def _verdict(keys: Path, record: Record, roots: VerifiedRoots | None) -> Verified | Refusal:  # noqa: F811
    headers, key, value = record
    return verify_record(
        registry(keys), "hanoi", headers, key, value, NOW, timedelta(days=7), roots
    )


def test_a_tampered_proof_in_a_batch_whose_other_records_verified_is_still_refused(
    keys: Path,  # noqa: F811
) -> None:
    """Fifteen records of a batch verified, their nodes remembered: the sixteenth with one bit
    of its proof's top hash changed is refused (BAD-SIGNATURE: its proof leads to another
    root), with a hash missing or one too many BAD-PROOF, exactly as it is alone; untouched,
    it verifies through the memory as it does alone."""
    batch = _batch(keys, 16)
    roots = VerifiedRoots()
    for record in batch[1:]:
        assert isinstance(_verdict(keys, record, roots), Verified)
    header = header_value(batch[0][0], "ce_proof")
    assert header is not None
    proof = merkle.parse_proof(header)
    top = bytes([proof.path[-1][0] ^ 1]) + proof.path[-1][1:]
    flipped = merkle.Proof(proof.index, proof.size, (*proof.path[:-1], top)).header()
    short = merkle.Proof(proof.index, proof.size, proof.path[:-1]).header()
    long = merkle.Proof(proof.index, proof.size, (*proof.path, proof.path[0])).header()
    for changed, code in ((flipped, errors.BAD_SIGNATURE), (short, errors.BAD_PROOF),
                          (long, errors.BAD_PROOF), ("v1:0:16:%%", errors.BAD_PROOF)):  # fmt: skip
        tampered = _with_proof(batch[0], changed)
        remembered = _verdict(keys, tampered, roots)
        assert isinstance(remembered, Refusal) and remembered.code == code
        assert remembered == _verdict(keys, tampered, None)
    via_memory = _verdict(keys, batch[0], roots)
    assert isinstance(via_memory, Verified) and via_memory == _verdict(keys, batch[0], None)


def test_a_record_verified_through_the_memory_did_not_fold_its_whole_proof(keys: Path) -> None:  # noqa: F811
    """The memory is used: once its neighbour verified, a record's fold stops at their shared
    parent (nothing left to learn) with the root of its full fold, and its verdict is the full
    fold's."""
    first, second = _batch(keys, 8)[:2]
    roots = VerifiedRoots()
    assert isinstance(_verdict(keys, first, roots), Verified)
    (known,) = roots._trees.values()
    assert len(known) == 2  # the first record's path between its leaf and the root: levels 1, 2
    headers, key, value = second
    text = {k: v.decode() for k, v in headers}
    leaf = merkle.leaf_hash(
        signed_text(text["ce_id"], text["ce_source"], text["ce_type"], text["ce_time"],
                    text.get("ce_dataschema"), text.get("ce_recipients"), key, value)
    )  # fmt: skip
    proof = merkle.parse_proof(text["ce_proof"])
    assert proof.index == 1 and len(proof.path) == 3
    root, learned = merkle.fold(leaf, proof, known)
    assert learned == {} and root == merkle.root_of(leaf, proof)
    assert _verdict(keys, second, roots) == _verdict(keys, second, None)


def test_verified_roots_keep_their_nodes_within_bounds(keys: Path) -> None:  # noqa: F811
    """The remembered nodes stay under ``max_nodes``, least recently used tree first; a tree
    larger than the bound keeps what fits, and its other records still verify (by full
    folds)."""
    roots = VerifiedRoots(max_nodes=20)
    for _ in range(4):
        for record in _batch(keys, 8):  # 6 nodes between the leaves and the root each
            assert isinstance(_verdict(keys, record, roots), Verified)
        assert roots._nodes == sum(len(known) for known in roots._trees.values()) <= 20
    assert len(roots._trees) == 3
    for record in _batch(keys, 32):  # 30 nodes: more than the bound
        assert isinstance(_verdict(keys, record, roots), Verified)
    assert roots._nodes == sum(len(known) for known in roots._trees.values()) <= 20


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_small_batches_verify_through_the_memory(keys: Path, size: int) -> None:  # noqa: F811
    """Trees of one record (no proof hashes), odd sizes (a node carried up unchanged): every
    record verifies through the memory as alone."""
    roots = VerifiedRoots()
    for record in _batch(keys, size):
        assert _verdict(keys, record, roots) == _verdict(keys, record, None)
        assert isinstance(_verdict(keys, record, roots), Verified)
