"""The ``federation`` section of node.yaml: this node's keys, trust registry and links.

federation:
  keys:                               # signing keys; the newest valid in the registry is used
    - {key_id: hanoi-2026a, file: keys/hanoi-2026a.key.pem}
  trust:
    registry: http://127.0.0.1:8099/trust/registry.json   # or a file path
    anchors: {ngsp-anchor-1: keys/ngsp-anchor-1.pub.pem}  # the keys the registry is signed with
    refresh: 5m
    grace: 24h                        # after that long without a refresh, links stop forwarding
  upstream: ngsp                      # next hop for nodes without a direct link
  links:
    - peer: ngsp
      bootstrap_servers: 127.0.0.1:19092
      signing: batch                  # or: record
      in_flight_batches: 4            # batches sent to the peer ahead of their acknowledgement
      security:                       # the link's own principal on the peer's cluster
        protocol: SASL_SSL            # unset section: plaintext
        username: link-hanoi          # granted there by `lgsp security grant-link`
        password_file: secrets/link-ngsp.password   # or password_env: LGSP_LINK_NGSP_PASSWORD
        ca_file: tls/ngsp-ca.pem      # the peer cluster's CA
  max_age: 7d                         # older ce_time is refused at the border as a replay
  border: true                        # false in every gateway process of the node but one
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bus.kafka.securityconfig import SecurityConfig
from gateway.routing.retry_tiers import parse_delay
from gateway.routing.table import Hops
from schemas.topics import link_topic


def _delay(value: str) -> str:
    parse_delay(value)
    return value


class SigningKeyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(min_length=1)
    file: Path


class TrustConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    registry: str = Field(min_length=1)
    anchors: dict[str, Path] = Field(min_length=1)
    refresh: str = "5m"
    grace: str = "24h"

    _refresh = field_validator("refresh", "grace")(classmethod(lambda cls, v: _delay(v)))


# "batch": one signature per forwarded batch over a Merkle tree, each record with its
# inclusion proof (docs/decisions/0003); "record": one signature per record.
SigningMode = Literal["batch", "record"]


class LinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    peer: str
    bootstrap_servers: str
    signing: SigningMode = "batch"
    # batches sent ahead of the peer's acknowledgements (offsets still committed in order)
    in_flight_batches: int = Field(default=4, ge=1, le=64)
    security: SecurityConfig | None = None  # None: plaintext to the peer (a dev cluster)

    @field_validator("peer")
    @classmethod
    def _peer(cls, peer: str) -> str:
        link_topic(peer, peer)
        return peer


class FederationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: list[SigningKeyConfig] = Field(min_length=1)
    trust: TrustConfig
    upstream: str | None = None
    links: list[LinkConfig] = Field(default_factory=list)
    max_age: str = "7d"
    # The border keeps one audit chain: run it in one gateway process of the node only.
    border: bool = True

    _max_age = field_validator("max_age")(classmethod(lambda cls, v: _delay(v)))

    def hops(self) -> Hops:
        return Hops(frozenset(link.peer for link in self.links), self.upstream)


def resolve(base_dir: Path, path: Path) -> Path:
    return path if path.is_absolute() else base_dir / path
