"""Typed connector configuration: the fields every connector file has, read from YAML.

A connector file names its ``kind`` (``webhook``, ``http-poll``, ``http-sink``,
``edxml-source``, ``edxml-sink``, or ``plugin`` for an integrator's own class); the rest is
that kind's model. Every problem is reported with its line (``bus.yamlconfig``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bus.kafka.replication import ReplicationFields
from bus.wireformat import WireFormatConfig
from connectors.topics import NAME, NAME_RULE
from schemas.catalog import bundled_catalog
from schemas.errors import LgspError
from schemas.ids.agency import AgencyCode
from schemas.ids.directory import AgencyDirectory, bundled_directory


def agency_code(value: str) -> str:
    """Validator: an agency code (LLL.KK.NN.Xnn), its problem reported as a config problem."""
    try:
        AgencyCode.parse(value)
    except LgspError as error:
        raise ValueError(error.message) from error
    return value


def schema_subject(value: str) -> str:
    """Validator: a subject of the bundled contract, e.g. dossier.status."""
    try:
        bundled_catalog().get(value)
    except LgspError as error:
        raise ValueError(error.message) from error
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Strict):
    """How a sink retries a target that is unavailable: exponential back-off with jitter."""

    initial_backoff_s: float = Field(default=0.5, gt=0, description="First wait.")
    max_backoff_s: float = Field(default=60.0, gt=0, description="Longest wait between attempts.")
    multiplier: float = Field(default=2.0, ge=1, description="Growth of the wait per attempt.")
    max_retry_after_s: float = Field(
        default=600.0, gt=0, description="Cap on a target's Retry-After hint."
    )
    max_attempts: int | None = Field(
        default=None,
        ge=1,
        description="Attempts before parking with LGSP-CONN-RETRIES-EXHAUSTED; "
        "unset: retry until the target is back (records wait in Kafka meanwhile).",
    )


def event_type(value: str) -> str:
    """Validator: a CloudEvents type of the bundled contract, e.g. vn.gov.dossier.status.v1."""
    try:
        bundled_catalog().for_event_type(value)
    except LgspError as error:
        raise ValueError(f"{value}: {error.message}") from error
    return value


class DeliverySla(_Strict):
    """How soon after its ``ce_time`` a record must be acknowledged by the agency's system to
    count as delivered on time (``lgsp_connector_deliveries_total{outcome=...}``)."""

    seconds: float = Field(
        default=300.0,
        gt=0,
        le=30 * 86_400,
        description="Delivery SLA from ce_time to the target's acknowledgement.",
    )
    by_event_type: dict[str, float] = Field(
        default_factory=dict,
        description="Per CloudEvents type, an SLA other than `seconds`.",
    )

    @field_validator("by_event_type")
    @classmethod
    def _known_types(cls, value: dict[str, float]) -> dict[str, float]:
        for name, seconds in value.items():
            event_type(name)
            if not 0 < seconds <= 30 * 86_400:
                raise ValueError(f"{name}: the SLA must be above 0 and at most 30 days")
        return value

    def for_type(self, event_type: str) -> float:
        """The SLA in seconds for records of ``event_type``."""
        return self.by_event_type.get(event_type, self.seconds)


class ConnectorConfig(_Strict, ReplicationFields):
    """Fields common to every connector."""

    kind: str = Field(description="Which connector: webhook, http-poll, http-sink, ...")
    name: str = Field(description="Connector name, unique on its node (names its topics).")
    node: str = Field(description="The node's short name, e.g. hanoi.")
    agency: str = Field(description="The agency this connector speaks for (LLL.KK.NN.Xnn).")
    entry: str | None = Field(
        default=None,
        description="kind plugin: the connector class as module:Class (e.g. my_dms:DmsSink).",
    )
    bootstrap_servers: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset: LGSP_BOOTSTRAP_SERVERS."
    )
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="Serve Prometheus /metrics on this port (0: any)."
    )
    metrics_host: str = "127.0.0.1"
    max_in_flight: int = Field(
        default=256, ge=1, le=100_000, description="Records published or delivered at once."
    )
    wire_format: WireFormatConfig = Field(
        default_factory=WireFormatConfig,
        description="Schema registry and the topics whose values are Confluent frames "
        "(magic 0 + schema id); default: single-object encoding everywhere.",
    )
    directory: Path | None = Field(
        default=None,
        description="Agency directory CSV the standards' rules check agency codes against "
        "(relative to this file); unset: the contract's bundled directory.",
    )

    def load_directory(self) -> AgencyDirectory:
        """The agency directory records are checked against (read once per call: callers
        keep it)."""
        return (
            bundled_directory()
            if self.directory is None
            else AgencyDirectory.from_csv(self.directory)
        )

    @field_validator("name", "node")
    @classmethod
    def _topic_part(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(NAME_RULE)
        return value

    @field_validator("agency")
    @classmethod
    def _agency_code(cls, value: str) -> str:
        return agency_code(value)


class SourceConfig(ConnectorConfig):
    """A source: where it publishes and how often it looks for new records."""

    poll_interval_s: float = Field(
        default=2.0, gt=0, description="Wait after an empty poll before the next one."
    )
    max_batch: int = Field(default=500, ge=1, description="Records per poll at most.")


class SinkConfig(ConnectorConfig):
    """A sink: the inbox it reads and how it retries its target."""

    event_types: list[str] = Field(
        default_factory=list,
        description="CloudEvents types it accepts (empty: all); others are parked.",
    )
    retry: RetryPolicy = RetryPolicy()
    max_batch: int = Field(default=500, ge=1, description="Records fetched per poll at most.")
    sla: DeliverySla = DeliverySla()
