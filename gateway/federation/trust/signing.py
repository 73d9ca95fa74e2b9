"""Record signatures: a node signs each record it forwards; the receiving border verifies.

The signed text binds the value (by its SHA-256) to the headers that identify the record, so a
changed byte, a changed sender or a replayed copy under a new id all fail verification:

    lines: lgsp-sig-v1, ce_id, ce_source, ce_type, ce_time, ce_dataschema, ce_recipients,
           key (hex), sha256(value) (hex)

The ``ce_signature`` header is ``<key id>:<base64url signature>``; the key id names a key of the
trust registry, which says which node holds it, its algorithm and its validity.
Every hop signs again with its own key: a hub (NGSP) that narrows the recipients per
destination node signs what it sends.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from gateway.federation import errors
from gateway.federation.errors import TrustError

Algorithm = Literal["Ed25519", "ECDSA-P256-SHA256"]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
_VERSION = b"lgsp-sig-v1"


def signed_text(
    event_id: str,
    source: str,
    event_type: str,
    time: str,
    dataschema: str | None,
    recipients: str | None,
    key: bytes | None,
    value: bytes | None,
) -> bytes:
    """The bytes a record's signature covers."""
    digest = hashlib.sha256(value or b"").hexdigest()
    return digest_signed_text(
        event_id, source, event_type, time, dataschema, recipients, key, digest
    )


def digest_signed_text(
    event_id: str,
    source: str,
    event_type: str,
    time: str,
    dataschema: str | None,
    recipients: str | None,
    key: bytes | None,
    value_sha256: str,
) -> bytes:
    """``signed_text`` of a value whose SHA-256 (hex) the caller has already computed."""
    parts = (
        event_id,
        source,
        event_type,
        time,
        dataschema or "",
        recipients or "",
        (key or b"").hex(),
        value_sha256,
    )
    return _VERSION + b"\n" + "\n".join(parts).encode()


def generate_key(algorithm: Algorithm) -> PrivateKey:
    if algorithm == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_of(key: PrivateKey | PublicKey) -> Algorithm:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "Ed25519"
    if key.curve.name != "secp256r1":
        raise TrustError(f"curve {key.curve.name}: only P-256", code="LGSP-TRUST-KEY")
    return "ECDSA-P256-SHA256"


def private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: PrivateKey | PublicKey) -> str:
    public = (
        key.public_key()
        if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey)
        else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_private_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise TrustError(
            f"cannot read private key {path}: {error}", code="LGSP-TRUST-KEY"
        ) from error
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise TrustError(f"{path}: use an Ed25519 or ECDSA P-256 key", code="LGSP-TRUST-KEY")
    algorithm_of(key)
    return key


def load_public_key(pem: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as error:
        raise TrustError(f"unreadable public key: {error}", code="LGSP-TRUST-KEY") from error
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise TrustError("use an Ed25519 or ECDSA P-256 key", code="LGSP-TRUST-KEY")
    algorithm_of(key)
    return key


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify_bytes(key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class NodeSigner:
    """A node's current signing key and its id in the trust registry."""

    key_id: str
    key: PrivateKey

    def sign(self, data: bytes) -> str:
        """The ``ce_signature`` header value for ``data`` (from ``signed_text``)."""
        return f"{self.key_id}:{base64.urlsafe_b64encode(sign_bytes(self.key, data)).decode()}"


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """A public key of the trust registry: whose it is and when it may be used."""

    key_id: str
    node: str
    key: PublicKey
    not_before: datetime
    not_after: datetime


@functools.lru_cache(maxsize=256)  # a batch's records all carry the same signature
def split_signature(header: str) -> tuple[str, bytes]:
    """``<key id>:<base64url>`` into its parts; a malformed header raises ``TrustError``."""
    key_id, sep, encoded = header.partition(":")
    if not sep or not key_id or not encoded:
        raise TrustError("ce_signature is not <key id>:<signature>", code=errors.BAD_SIGNATURE)
    try:
        return key_id, base64.urlsafe_b64decode(encoded.encode())
    except ValueError as error:
        raise TrustError("ce_signature is not base64url", code=errors.BAD_SIGNATURE) from error
