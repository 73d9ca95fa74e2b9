"""The routing table: which source agencies may send which event types to whom, and where.

Deny by default. The table is compiled once; ``RouteTable.decide`` is a pure function of three
headers (``ce_type``, ``ce_source``, ``ce_recipients``) and its answers are cached, so the hot
path never decodes a value unless a route transforms it.

    routes:
      - name: government-documents
        types: [vn.gov.document.sent.v1]
        from: [under 000.00.00.G22]          # exact code, "under CODE", or "any"
        to: [under 000.00.00.H24]            # every recipient must match one pattern
        deliver: recipients                  # each recipient's inbox, or its node's link
        fan_out: commune                     # optional: every unit of this tier under them
        transform: {mask: [owner.idNumber]}  # optional, see gateway/routing/transform.py
      - name: dossiers-to-portal
        types: [vn.gov.dossier.status.v1]
        from: [under 000.00.00.H24]
        deliver: topic
        topic: lgsp.hanoi.inbox.000-00-00-g22
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from gateway import errors
from gateway.routing.patterns import AgencyPattern
from gateway.routing.transform import TransformSpec
from schemas.errors import LgspError
from schemas.ids.agency import AgencyCode
from schemas.ids.directory import AgencyDirectory
from schemas.topics import inbox_topic, link_topic

_DECISIONS_KEPT = 50_000  # cached decisions; the oldest is dropped first (FIFO, not LRU)


class RouteSpec(BaseModel):
    """One rule of the routing table, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1)
    types: list[str] = Field(min_length=1)
    sources: list[str] = Field(alias="from", min_length=1)
    to: list[str] | None = None
    deliver: Literal["recipients", "topic"] = "recipients"
    topic: str | None = None
    fan_out: str | None = None
    transform: TransformSpec | None = None

    @field_validator("sources", "to")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        for text in value or []:
            try:
                AgencyPattern.parse(text)
            except LgspError as error:  # pydantic reports ValueErrors with their line
                raise ValueError(error.message) from error
        return value

    @model_validator(mode="after")
    def _known_schema_versions(self, info: ValidationInfo) -> RouteSpec:
        catalog = (info.context or {}).get("catalog")
        version = self.transform.schema_version if self.transform else None
        if catalog is not None and version is not None:
            for event_type in self.types:
                try:
                    catalog.get(catalog.for_event_type(event_type).subject, version)
                except LgspError as error:
                    raise ValueError(f"transform.schema_version: {error.message}") from error
        return self

    @model_validator(mode="after")
    def _destination(self) -> RouteSpec:
        if self.deliver == "topic" and not self.topic:
            raise ValueError("deliver: topic needs a topic name")
        if self.deliver == "recipients" and self.topic:
            raise ValueError("a topic is given but deliver is recipients")
        return self


class RoutingTableSpec(BaseModel):
    """The whole routing file."""

    model_config = ConfigDict(extra="forbid")

    routes: list[RouteSpec] = Field(min_length=1)

    @field_validator("routes")
    @classmethod
    def _unique_names(cls, routes: list[RouteSpec]) -> list[RouteSpec]:
        names = [r.name for r in routes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"route names must be unique: {', '.join(duplicates)}")
        return routes


@dataclass(frozen=True, slots=True)
class RouteDelivery:
    """One copy of a record to produce: where, for whom, by which route, transformed how."""

    topic: str
    recipients: tuple[str, ...]
    route: str
    transform: TransformSpec | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Either deliveries, or the code and reason to park the record with."""

    deliveries: tuple[RouteDelivery, ...] = ()
    park_code: str | None = None
    park_reason: str | None = None
    routes: tuple[str, ...] = ()  # names of the routes used, once per decision (for metrics)
    # the deliveries as the route log writes them (routing/tracelog.py), once per decision
    log_text: str = ""

    @staticmethod
    def park(code: str, reason: str) -> Decision:
        return Decision(park_code=code, park_reason=reason)


@dataclass(frozen=True, slots=True)
class Hops:
    """Which link a record for another node leaves by: a direct link, else the upstream."""

    peers: frozenset[str] = frozenset()
    upstream: str | None = None

    def next(self, node: str) -> str:
        if node in self.peers or self.upstream is None:
            return node
        return self.upstream


@dataclass(frozen=True, slots=True)
class _Route:
    spec: RouteSpec
    sources: tuple[AgencyPattern, ...]
    recipients: tuple[AgencyPattern, ...] | None


class RouteTable:
    """A compiled routing table for one node."""

    def __init__(
        self,
        spec: RoutingTableSpec,
        node: str,
        directory: AgencyDirectory,
        hops: Hops | None = None,
    ) -> None:
        self.node = node
        self.hops = hops or Hops()
        self.directory = directory
        self.spec = spec
        self._by_type: dict[str, list[_Route]] = {}
        for route_spec in spec.routes:
            route = _Route(
                route_spec,
                tuple(AgencyPattern.parse(s) for s in route_spec.sources),
                tuple(AgencyPattern.parse(t) for t in route_spec.to) if route_spec.to else None,
            )
            for event_type in route_spec.types:
                self._by_type.setdefault(event_type, []).append(route)
        self._decisions: OrderedDict[tuple[str, str, tuple[str, ...]], Decision] = OrderedDict()

    def decide(self, event_type: str, source: str, recipients: tuple[str, ...]) -> Decision:
        """Where a record goes, from its headers alone (cached: the table is immutable)."""
        key = (event_type, source, recipients)
        cached = self._decisions.get(key)
        if cached is not None:
            return cached
        decision = self._decide(event_type, source, recipients)
        self._decisions[key] = decision
        if len(self._decisions) > _DECISIONS_KEPT:
            self._decisions.popitem(last=False)  # first in, first out
        return decision

    def _decide(self, event_type: str, source: str, recipients: tuple[str, ...]) -> Decision:
        source_code = AgencyCode.parse(source)
        routes = [
            r
            for r in self._by_type.get(event_type, [])
            if any(p.matches(source_code) for p in r.sources)
        ]
        if not routes:
            return Decision.park(errors.NO_ROUTE, f"no route lets {source} send {event_type}")
        recipient_codes = [AgencyCode.parse(r) for r in recipients]
        deliveries: list[RouteDelivery] = []
        recipient_routes = [r for r in routes if r.spec.deliver == "recipients"]
        for route in routes:
            if route.spec.deliver == "topic":
                forbidden = _forbidden(route, recipient_codes)
                if forbidden:
                    return Decision.park(
                        errors.FORBIDDEN, _forbidden_reason(route, source, forbidden)
                    )
                assert route.spec.topic is not None
                deliveries.append(
                    RouteDelivery(
                        route.spec.topic, recipients, route.spec.name, route.spec.transform
                    )
                )
        if recipient_routes:
            if not recipient_codes:
                return Decision.park(
                    errors.NO_RECIPIENTS, f"{event_type} from {source} names no recipients"
                )
            placed = self._place(recipient_routes, recipient_codes, source)
            if isinstance(placed, Decision):
                return placed
            deliveries.extend(placed)
        return Decision(
            deliveries=tuple(deliveries),
            routes=tuple(d.route for d in deliveries),
            log_text=event_type
            + "\t"
            + ";".join(f"{d.route}>{d.topic}>{','.join(d.recipients)}" for d in deliveries),
        )

    def _place(
        self, routes: list[_Route], recipients: list[AgencyCode], source: str
    ) -> list[RouteDelivery] | Decision:
        """Deliveries for every recipient, each by the first route allowing it."""
        by_topic: dict[tuple[str, str], list[str]] = {}
        transforms = {r.spec.name: r.spec.transform for r in routes}
        for recipient in recipients:
            route = next((r for r in routes if not _forbidden(r, [recipient])), None)
            if route is None:
                return Decision.park(
                    errors.FORBIDDEN, f"{source} may not send to {recipient} (no route allows it)"
                )
            targets = [recipient]
            if route.spec.fan_out:
                targets = (
                    [a.code for a in self.directory.descendants(recipient, tier=route.spec.fan_out)]
                    if recipient in self.directory
                    else []
                )
                if not targets:
                    return Decision.park(
                        errors.NO_RECIPIENTS,
                        f"route {route.spec.name}: no {route.spec.fan_out} units under {recipient}",
                    )
            for target in targets:
                destination = self._destination(target)
                if destination is None:
                    return Decision.park(
                        errors.UNKNOWN_RECIPIENT,
                        f"no node serves recipient {target} (not in the directory)",
                    )
                by_topic.setdefault((destination, route.spec.name), []).append(str(target))
        return [
            RouteDelivery(topic, tuple(dict.fromkeys(codes)), name, transforms[name])
            for (topic, name), codes in by_topic.items()
        ]

    def _destination(self, recipient: AgencyCode) -> str | None:
        try:
            node = self.directory.node_for(recipient)
        except LgspError:
            return None
        return (
            inbox_topic(self.node, str(recipient))
            if node == self.node
            else link_topic(self.node, self.hops.next(node))
        )

    def event_types(self) -> list[str]:
        return sorted(self._by_type)


def _forbidden(route: _Route, recipients: Iterable[AgencyCode]) -> list[AgencyCode]:
    if route.recipients is None:
        return []
    return [r for r in recipients if not any(p.matches(r) for p in route.recipients)]


def _forbidden_reason(route: _Route, source: str, forbidden: list[AgencyCode]) -> str:
    return f"route {route.spec.name} does not let {source} send to {', '.join(map(str, forbidden))}"
