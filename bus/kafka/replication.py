"""How many copies of each topic the project creates, and how many must acknowledge a write.

Every topic a component creates (inboxes, retry tiers, DLQs, link and border topics, the audit
log, the tracker's changelog, request/reply topics, checkpoints) takes the node's
``Replication``. Unset values take the cluster's own: its ``default.replication.factor`` (read
from a broker's configuration when the topic is created, as CreateTopics with replication -1
would do on a client that speaks v4+) and its ``min.insync.replicas`` (no topic-level value is
written, so the broker's applies). A 3-broker cluster configured 3 / 2 therefore gets 3
replicas and min.insync 2 on every topic without a line of node configuration.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.errors import LgspError


class ReplicationError(LgspError):
    """Replication settings that cannot work (min.insync above the replication factor...)."""

    code = "LGSP-KAFKA-REPLICATION"


class Replication(BaseModel):
    """Replication factor and ``min.insync.replicas`` of the topics a component creates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    replication_factor: int | None = Field(default=None, ge=1, le=32)
    min_insync_replicas: int | None = Field(default=None, ge=1, le=32)

    @model_validator(mode="after")
    def _consistent(self) -> Replication:
        rf, isr = self.replication_factor, self.min_insync_replicas
        if rf is not None and isr is not None and isr > rf:
            raise ReplicationError(
                f"min_insync_replicas {isr} is above replication_factor {rf}: no write could "
                "ever be acknowledged; use at most the replication factor (3 / 2 is usual)",
                code="LGSP-KAFKA-REPLICATION",
            )
        return self

    def topic_configs(self, configs: dict[str, str]) -> dict[str, str]:
        """A topic's configs with this ``min.insync.replicas`` unless the topic sets its own."""
        if self.min_insync_replicas is None or "min.insync.replicas" in configs:
            return dict(configs)
        return {**configs, "min.insync.replicas": str(self.min_insync_replicas)}


CLUSTER_DEFAULT = Replication()


class ReplicationFields(BaseModel):
    """The two settings of every configuration file whose process creates topics (node.yaml,
    a connector's file, tracker.yaml); unset: the cluster's defaults."""

    replication_factor: int | None = Field(
        default=None, ge=1, le=32, description="Replicas of each topic created; unset: cluster's."
    )
    min_insync_replicas: int | None = Field(
        default=None, ge=1, le=32, description="min.insync.replicas of each; unset: cluster's."
    )

    @model_validator(mode="after")
    def _replication_consistent(self) -> ReplicationFields:
        rf, isr = self.replication_factor, self.min_insync_replicas
        if rf is not None and isr is not None and isr > rf:
            raise ValueError(
                f"min_insync_replicas {isr} is above replication_factor {rf}: no write could "
                "ever be acknowledged"
            )
        return self

    @property
    def replication(self) -> Replication:
        return Replication(
            replication_factor=self.replication_factor,
            min_insync_replicas=self.min_insync_replicas,
        )
