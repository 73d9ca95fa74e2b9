"""The console's configuration file (``console.yaml``).

gateway_config: node.yaml          # the node's gateway file: name, Kafka, routes, federation
listen: {host: 127.0.0.1, port: 8095}
secure_cookie: false               # true when the console is served over TLS (a proxy)
session_minutes: 480
poll_s: 5                          # how often the overview samples the processes
processes:                         # their admin / readiness / metrics HTTP ports
  - {name: gateway, kind: gateway, url: "http://127.0.0.1:8091"}
  - {name: tracker, kind: tracker, url: "http://127.0.0.1:8093"}
  - {name: hanoi-webhook, kind: connector, url: "http://127.0.0.1:9102"}
"""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bus.yamlconfig import load_yaml_model


class ProcessKind(enum.StrEnum):
    GATEWAY = "gateway"
    TRACKER = "tracker"
    CONNECTOR = "connector"


class ProcessSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    kind: ProcessKind
    url: str = Field(pattern=r"^https?://", description="Base URL of its HTTP port.")


class ListenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8095, ge=0, le=65535)


class ConsoleConfig(BaseModel):
    """One node's console."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gateway_config: Path
    listen: ListenConfig = Field(default_factory=ListenConfig)
    secure_cookie: bool = False
    session_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    poll_s: float = Field(default=5.0, gt=0, le=300)
    processes: list[ProcessSpec] = Field(min_length=1)
    base_dir: Path = Field(default=Path(), exclude=True)

    @model_validator(mode="after")
    def _one_gateway(self) -> ConsoleConfig:
        kinds = [p.kind for p in self.processes]
        if kinds.count(ProcessKind.GATEWAY) != 1 or kinds.count(ProcessKind.TRACKER) > 1:
            raise ValueError("processes: name exactly one gateway and at most one tracker")
        if len({p.name for p in self.processes}) != len(self.processes):
            raise ValueError("processes: names must be unique")
        return self

    @property
    def gateway_path(self) -> Path:
        path = self.gateway_config
        return path if path.is_absolute() else self.base_dir / path

    def url_of(self, kind: ProcessKind) -> str | None:
        return next((p.url.rstrip("/") for p in self.processes if p.kind is kind), None)


def load_console_config(path: Path) -> ConsoleConfig:
    config = load_yaml_model(path, ConsoleConfig)
    return config.model_copy(update={"base_dir": path.resolve().parent})
