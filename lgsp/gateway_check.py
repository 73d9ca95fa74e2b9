"""``lgsp gateway check``: every problem of a node's gateway files before it runs, like
``promtool check`` or ``nginx -t``: node.yaml, routes.yaml, the agency directory, the
federation's signing keys, trust anchors and registry, each with its file and line.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

from bus.yamlconfig import ConfigError, Location, line_in
from gateway.config import GatewayConfig, load_gateway_config, load_route_table
from gateway.federation.config import FederationConfig, resolve
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.registry import TrustRegistry
from gateway.federation.trust.signing import load_private_key, public_pem
from gateway.federation.trust.store import TrustStore
from schemas.catalog import bundled_catalog
from schemas.errors import LgspError

_LINE = re.compile(r"^line (\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is (file and line, when one is known) and its error code."""

    file: str
    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: [{self.code}] {self.message}"

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class CheckResult:
    """The problems found, and what was checked (for the summary line)."""

    problems: tuple[Problem, ...]
    checked: tuple[str, ...]


def problems_of(error: ConfigError, file: Path) -> list[Problem]:
    """A ``ConfigError``'s ``line N: ...`` problems as ``file:N`` problems."""
    found = []
    for problem in error.problems:
        match = _LINE.match(problem)
        line, text = (int(match.group(1)), match.group(2)) if match else (None, problem)
        found.append(Problem(str(file), line, error.code, text))
    return found


def check_node(path: Path, now: datetime | None = None) -> CheckResult:
    """Check node.yaml at ``path`` and every file it names; never raises for bad content."""
    try:
        config = load_gateway_config(path)
    except ConfigError as error:
        return CheckResult(tuple(problems_of(error, path)), (str(path),))
    problems: list[Problem] = []
    checked = [str(path)]
    try:
        directory = config.load_directory()
    except LgspError as error:
        where = str(config.directory) if config.directory else "bundled agency directory"
        return CheckResult((Problem(where, None, error.code, error.message),), tuple(checked))
    try:
        load_route_table(config, directory, bundled_catalog())
        checked.append(str(config.routes_path))
    except ConfigError as error:
        problems += problems_of(error, config.routes_path)
    except LgspError as error:
        problems.append(Problem(str(config.routes_path), None, error.code, error.message))
    if config.federation is not None:
        federation_problems, registry = _check_federation(path, config, config.federation, now)
        problems += federation_problems
        if registry is not None:
            checked.append(f"trust registry serial {registry.serial}")
    return CheckResult(tuple(problems), tuple(checked))


def _check_federation(
    path: Path, config: GatewayConfig, federation: FederationConfig, now: datetime | None
) -> tuple[list[Problem], TrustRegistry | None]:
    text = path.read_text(encoding="utf-8")

    def at(location: Location, code: str, message: str) -> Problem:
        return Problem(str(path), line_in(text, ("federation", *location)), code, message)

    problems: list[Problem] = []
    private_pems: dict[str, str] = {}
    for index, key in enumerate(federation.keys):
        try:
            private_pems[key.key_id] = public_pem(
                load_private_key(resolve(config.base_dir, key.file))
            )
        except LgspError as error:
            problems.append(at(("keys", index, "file"), error.code, error.message))
    try:
        store = TrustStore(
            federation.trust, config.base_dir, FederationMetrics(CollectorRegistry(), config.node)
        )
    except LgspError as error:
        return [*problems, at(("trust", "anchors"), error.code, error.message)], None
    except OSError as error:
        message = f"cannot read a trust anchor: {error}"
        return [*problems, at(("trust", "anchors"), "LGSP-TRUST-KEY", message)], None
    try:
        registry = asyncio.run(store.refresh())
    except LgspError as error:
        return [*problems, at(("trust", "registry"), error.code, error.message)], None
    moment = now or datetime.now(UTC)
    for index, key in enumerate(federation.keys):
        entry = registry.key(key.key_id)
        if entry is None or entry.node != config.node:
            problems.append(
                at(
                    ("keys", index, "key_id"),
                    "LGSP-TRUST-NO-KEY",
                    f"key {key.key_id} is not one of node {config.node}'s in registry serial "
                    f"{registry.serial}: peers would refuse what it signs",
                )
            )
        elif not entry.not_before <= moment <= entry.not_after:
            problems.append(
                at(
                    ("keys", index, "key_id"),
                    "LGSP-FED-KEY-EXPIRED",
                    f"key {key.key_id} is valid {entry.not_before:%Y-%m-%d} to "
                    f"{entry.not_after:%Y-%m-%d} in the registry, not now",
                )
            )
        elif key.key_id in private_pems and public_pem(entry.key) != private_pems[key.key_id]:
            problems.append(
                at(
                    ("keys", index, "file"),
                    "LGSP-TRUST-KEY",
                    f"{key.file} is not the private half of registry key {key.key_id}",
                )
            )
    for index, link in enumerate(federation.links):
        if link.peer not in registry.nodes:
            message = f"peer {link.peer} is not a node of registry serial {registry.serial}"
            problems.append(at(("links", index, "peer"), "LGSP-FED-UNKNOWN-PEER", message))
    return problems, registry
