"""CreateTopics v4, so that a topic can take the cluster's default replication factor.

aiokafka's admin client speaks CreateTopics up to v3, where a replication factor of -1 is
refused. v4 (KIP-464, Kafka 2.4+) has the same wire schema and lets -1 mean "the broker's
``default.replication.factor``"; the request below is v4, sent to the controller as aiokafka
sends its own (``acladmin`` adds the ACL requests the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateTopicsRequest_v1, CreateTopicsResponse_v2
from aiokafka.protocol.api import Request, RequestStruct, Response

CLUSTER_DEFAULT_REPLICATION = -1


class _CreateTopicsResponseV4(Response):
    API_KEY = 19
    API_VERSION = 4
    SCHEMA = CreateTopicsResponse_v2.SCHEMA


class _CreateTopicsRequestV4(RequestStruct):
    API_KEY = 19
    API_VERSION = 4
    RESPONSE_TYPE = _CreateTopicsResponseV4
    SCHEMA = CreateTopicsRequest_v1.SCHEMA


class _CreateTopics(Request[_CreateTopicsRequestV4]):
    API_KEY = 19

    def __init__(self, topics: Sequence[tuple[Any, ...]], timeout_ms: int) -> None:
        self._topics, self._timeout_ms = list(topics), timeout_ms

    def build(self, request_struct_class: type[_CreateTopicsRequestV4]) -> _CreateTopicsRequestV4:
        return request_struct_class(self._topics, self._timeout_ms, False)


async def create_topics(
    admin: AIOKafkaAdminClient,
    topics: Sequence[tuple[str, int, int, dict[str, str]]],
    timeout_ms: int = 30_000,
) -> list[tuple[str, int, str | None]]:
    """Create ``(name, partitions, replication_factor, configs)`` topics (replication -1: the
    cluster's default); return ``(name, error_code, error_message)`` per topic."""
    request = _CreateTopics(
        [(name, parts, rf, [], list(configs.items())) for name, parts, rf, configs in topics],
        timeout_ms,
    )
    response: Any = await admin._send_to_controller(request)
    return [tuple(entry) for entry in response.topic_errors]
