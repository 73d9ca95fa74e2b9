"""Making trust material: node key pairs and the signed registry document (used by
``lgsp trust keygen`` and ``lgsp trust sign``, by NGSP operators, and by tests and the demo)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bus.yamlconfig import load_yaml_model
from gateway.federation.trust.registry import (
    RegistryDocument,
    RegistryKey,
    RegistryNode,
    sign_registry,
)
from gateway.federation.trust.signing import (
    Algorithm,
    algorithm_of,
    generate_key,
    load_private_key,
    load_public_key,
    private_pem,
    public_pem,
)


def write_key_pair(folder: Path, key_id: str, algorithm: Algorithm = "Ed25519") -> Path:
    """``<key_id>.key.pem`` (private, mode 0600) and ``<key_id>.pub.pem``; returns the first."""
    folder.mkdir(parents=True, exist_ok=True)
    key = generate_key(algorithm)
    private = folder / f"{key_id}.key.pem"
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private_pem(key))
    (folder / f"{key_id}.pub.pem").write_text(public_pem(key))
    return private


class KeySource(BaseModel):
    """A key of the registry source file: its public key file (or the private one's)."""

    model_config = ConfigDict(extra="forbid")

    key_id: str
    file: Path
    not_before: datetime
    not_after: datetime


class NodeSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    operator: str
    hub: bool = False
    agencies: list[str] = Field(default_factory=list)
    keys: list[KeySource] = Field(default_factory=list)


class RegistrySource(BaseModel):
    """What an NGSP operator writes (YAML) before signing: keys by file, not inline."""

    model_config = ConfigDict(extra="forbid")

    serial: int = Field(ge=1)
    issued_at: datetime
    nodes: list[NodeSource] = Field(min_length=1)


def registry_key(key_id: str, file: Path, not_before: datetime, not_after: datetime) -> RegistryKey:
    text = file.read_text()
    if "PRIVATE KEY" in text:
        private = load_private_key(file)
        pem, algorithm = public_pem(private), algorithm_of(private)
    else:
        public = load_public_key(text)
        pem, algorithm = text, algorithm_of(public)
    return RegistryKey(
        key_id=key_id,
        algorithm=algorithm,
        public_key=pem,
        not_before=not_before,
        not_after=not_after,
    )


def build_document(source: RegistrySource, base_dir: Path) -> RegistryDocument:
    nodes = [
        RegistryNode(
            name=n.name,
            operator=n.operator,
            hub=n.hub,
            agencies=n.agencies,
            keys=[
                registry_key(
                    k.key_id,
                    k.file if k.file.is_absolute() else base_dir / k.file,
                    k.not_before,
                    k.not_after,
                )
                for k in n.keys
            ],
        )
        for n in source.nodes
    ]
    return RegistryDocument(serial=source.serial, issued_at=source.issued_at, nodes=nodes)


def sign_registry_file(source_path: Path, anchor_key_id: str, anchor_key: Path) -> bytes:
    source = load_yaml_model(source_path, RegistrySource)
    document = build_document(source, source_path.resolve().parent)
    return sign_registry(document, anchor_key_id, load_private_key(anchor_key))
