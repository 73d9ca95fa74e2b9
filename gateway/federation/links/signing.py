"""What a link signs: a record's headers with this node's ``ce_signature`` in place of any
earlier one, over the record itself or, for a batch, over the batch's Merkle root with each
record's own ``ce_proof`` (docs/decisions/0003), so every record stays verifiable alone."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.federation.trust import merkle
from gateway.federation.trust.signing import NodeSigner, signed_text

_SIGNED = ("ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema", "ce_recipients")
_REPLACED = frozenset({"ce_signature", "ce_proof"})


def _text(headers: Sequence[tuple[str, bytes]], key: bytes | None, value: bytes | None) -> bytes:
    found = {k: v.decode("utf-8", "replace") for k, v in headers if k in _SIGNED}
    return signed_text(
        found.get("ce_id", ""),
        found.get("ce_source", ""),
        found.get("ce_type", ""),
        found.get("ce_time", ""),
        found.get("ce_dataschema"),
        found.get("ce_recipients"),
        key,
        value,
    )


def _unsigned(headers: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in headers if k not in _REPLACED]


def signed_headers(
    headers: Sequence[tuple[str, bytes]], key: bytes | None, value: bytes | None, signer: NodeSigner
) -> list[tuple[str, bytes]]:
    """A record's headers with this node's own ``ce_signature`` in place of any earlier one."""
    headers = _unsigned(headers)
    headers.append(("ce_signature", signer.sign(_text(headers, key, value)).encode()))
    return headers


def batch_signed_headers(
    records: Sequence[tuple[Sequence[tuple[str, bytes]], bytes | None, bytes | None]],
    signer: NodeSigner,
) -> list[list[tuple[str, bytes]]]:
    """Each record's headers with one ``ce_signature`` over the batch's Merkle root and the
    record's own ``ce_proof`` (``merkle``): one signature for the batch, every record still
    verifiable alone."""
    stripped = [_unsigned(headers) for headers, _, _ in records]
    leaves = [
        merkle.leaf_hash(_text(headers, key, value))
        for headers, (_, key, value) in zip(stripped, records, strict=True)
    ]
    root, proofs = merkle.build(leaves)
    signature = signer.sign(merkle.root_text(len(leaves), root)).encode()
    for headers, proof in zip(stripped, proofs, strict=True):
        headers.append(("ce_signature", signature))
        headers.append(("ce_proof", proof.header().encode()))
    return stripped
