"""The trust registry: the signed list of member agencies, their nodes and the nodes' keys.

Like X-Road's global configuration, NGSP publishes one document, signed with its anchor key,
that every node fetches and checks against the anchor's public key it was installed with:

    {"registry": {"serial": 7, "issued_at": ..., "nodes": [
        {"name": "hanoi", "operator": "000.00.00.H24", "hub": false,
         "agencies": ["under 000.00.00.H24"],
         "keys": [{"key_id": "hanoi-2026a", "algorithm": "Ed25519", "public_key": "-----BEGIN...",
                   "not_before": ..., "not_after": ...}]}]},
     "signature": {"key_id": "ngsp-anchor-1", "value": "<base64url>"}}

The signature covers the canonical JSON of ``registry`` (sorted keys, no spaces, UTF-8).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.federation.errors import TrustError
from gateway.federation.trust.canonical import canonical_json
from gateway.federation.trust.signing import (
    Algorithm,
    KeyEntry,
    PrivateKey,
    PublicKey,
    algorithm_of,
    load_public_key,
    sign_bytes,
    verify_bytes,
)
from gateway.routing.patterns import AgencyPattern
from schemas.errors import LgspError
from schemas.ids.agency import AgencyCode


class RegistryKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    algorithm: Algorithm
    public_key: str
    not_before: datetime
    not_after: datetime


class RegistryNode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    operator: str
    hub: bool = False
    agencies: list[str] = Field(default_factory=list)
    keys: list[RegistryKey] = Field(default_factory=list)

    @field_validator("agencies")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for text in patterns:
            try:
                AgencyPattern.parse(text)
            except LgspError as error:
                raise ValueError(error.message) from error
        return patterns


class RegistryDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    serial: int = Field(ge=1)
    issued_at: datetime
    nodes: list[RegistryNode] = Field(min_length=1)


_MAX_SERVING = 16384


@dataclass(frozen=True, slots=True)
class _Member:
    node: str
    pattern: AgencyPattern


class TrustRegistry:
    """A verified registry, compiled for look-ups by key id and by agency."""

    def __init__(self, document: RegistryDocument) -> None:
        self.document = document
        self.serial = document.serial
        self.nodes = {n.name: n for n in document.nodes}
        self._keys: dict[str, KeyEntry] = {}
        for node in document.nodes:
            for key in node.keys:
                public = load_public_key(key.public_key)
                if algorithm_of(public) != key.algorithm:
                    raise TrustError(
                        f"key {key.key_id}: the key is not {key.algorithm}", code="LGSP-TRUST-KEY"
                    )
                self._keys[key.key_id] = KeyEntry(
                    key.key_id, node.name, public, key.not_before, key.not_after
                )
        self._members = [
            _Member(n.name, AgencyPattern.parse(p)) for n in document.nodes for p in n.agencies
        ]
        # agency -> node_serving(agency): the border asks for every record; the registry is
        # immutable, so the answers stay true (bounded: cleared when full)
        self._serving: dict[str, str | None] = {}

    def key(self, key_id: str) -> KeyEntry | None:
        return self._keys.get(key_id)

    def node_serving(self, agency: str) -> str | None:
        """The node a member agency belongs to, by the most specific pattern, or None."""
        try:
            return self._serving[agency]
        except KeyError:
            pass
        if len(self._serving) >= _MAX_SERVING:
            self._serving.clear()
        found = self._serving[agency] = self._node_serving(agency)
        return found

    def _node_serving(self, agency: str) -> str | None:
        code = AgencyCode.parse(agency)
        best: tuple[int, str] | None = None
        for member in self._members:
            if member.pattern.matches(code):
                depth = 0 if member.pattern.code is None else len(str(member.pattern.code))
                depth += 0 if member.pattern.under else 1
                if best is None or depth > best[0]:
                    best = (depth, member.node)
        return best[1] if best else None

    def is_hub(self, node: str) -> bool:
        entry = self.nodes.get(node)
        return entry is not None and entry.hub


def sign_registry(document: RegistryDocument, anchor_key_id: str, anchor: PrivateKey) -> bytes:
    """The published form of ``document``, signed with the anchor key."""
    body = document.model_dump(mode="json")
    signature = base64.urlsafe_b64encode(sign_bytes(anchor, canonical_json(body))).decode()
    published = {"registry": body, "signature": {"key_id": anchor_key_id, "value": signature}}
    return json.dumps(published, ensure_ascii=False, indent=2).encode()


def open_registry(published: bytes, anchors: dict[str, PublicKey]) -> TrustRegistry:
    """Check a published registry against the anchor keys and compile it."""
    try:
        outer = json.loads(published)
        body = outer["registry"]
        key_id = outer["signature"]["key_id"]
        signature = base64.urlsafe_b64decode(outer["signature"]["value"].encode())
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise TrustError(
            f"the registry is not a signed registry document: {error}", code="LGSP-TRUST-FORMAT"
        ) from error
    anchor = anchors.get(key_id)
    if anchor is None:
        raise TrustError(
            f"the registry is signed with {key_id!r}, not an anchor this node trusts",
            code="LGSP-TRUST-ANCHOR",
        )
    if not verify_bytes(anchor, signature, canonical_json(body)):
        raise TrustError(
            "the registry's signature does not match its content", code="LGSP-TRUST-ANCHOR"
        )
    try:
        document = RegistryDocument.model_validate(body)
    except ValidationError as error:
        raise TrustError(f"invalid registry: {error}", code="LGSP-TRUST-FORMAT") from error
    return TrustRegistry(document)
