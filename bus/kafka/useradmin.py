"""SCRAM users and ACL removal through the Kafka Admin API: list users, delete a user, revoke
a principal's ACLs (DescribeUserScramCredentials v0, AlterUserScramCredentials v0 deletions,
DeleteAcls v1), beside ``bus.kafka.acladmin`` which creates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka.protocol.admin import DeleteAclsRequest_v1
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from bus.kafka.acladmin import AclError, _AlterScramStruct
from bus.kafka.acls import AclBinding, Operation, PatternType, ResourceType
from bus.kafka.admin import admin_client
from bus.kafka.security import KafkaSecurity

_ANY = 1
_ALLOW = 3
_MECHANISMS = {1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512"}


@dataclass(frozen=True, order=True)
class ScramUser:
    """A SCRAM user the broker holds, with the mechanisms it has a credential for."""

    name: str
    mechanisms: tuple[str, ...]


class _DescribeScramResponse(Response):
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", CompactString("utf-8")),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                (
                    "credential_infos",
                    CompactArray(
                        ("mechanism", Int8), ("iterations", Int32), ("tags", TaggedFields)
                    ),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _DescribeScramStruct(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 50
    API_VERSION = 0
    RESPONSE_TYPE = _DescribeScramResponse
    SCHEMA = Schema(
        ("users", CompactArray(("name", CompactString("utf-8")), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _DescribeScram(Request[_DescribeScramStruct]):
    API_KEY = 50

    def build(self, request_struct_class: type[_DescribeScramStruct]) -> _DescribeScramStruct:
        return request_struct_class(None, {})  # null: every user


class _DeleteScram(Request[_AlterScramStruct]):
    API_KEY = 51

    def __init__(self, deletions: list[tuple[Any, ...]]) -> None:
        self._deletions = deletions

    def build(self, request_struct_class: type[_AlterScramStruct]) -> _AlterScramStruct:
        return request_struct_class(self._deletions, [], {})


class _DeleteAcls(Request[DeleteAclsRequest_v1]):
    API_KEY = 31

    def __init__(self, principal: str) -> None:
        self._principal = principal

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        # any resource type, name and pattern; this principal; any host, operation, ALLOW
        return request_struct_class([(_ANY, None, _ANY, self._principal, None, _ANY, _ALLOW)])


async def _send(bootstrap: str, request: Any, security: KafkaSecurity | None) -> Any:
    admin = admin_client(bootstrap, security)
    await admin.start()
    try:
        return await admin._send_request(request)
    finally:
        await admin.close()


async def list_scram_users(
    bootstrap_servers: str, *, security: KafkaSecurity | None
) -> list[ScramUser]:
    """Every SCRAM user the broker holds (names and mechanisms; never a credential)."""
    response = await _send(bootstrap_servers, _DescribeScram(), security)
    if response.error_code:
        raise AclError(
            f"listing users failed: error {response.error_code} {response.error_message}"
        )
    return sorted(
        ScramUser(name, tuple(sorted(_MECHANISMS.get(m, str(m)) for m, _i, _t in infos)))
        for name, code, _message, infos, _tags in response.results
        if not code
    )


async def delete_scram_user(
    bootstrap_servers: str, user: ScramUser, *, security: KafkaSecurity | None
) -> None:
    """Delete every SCRAM credential of ``user``: it can no longer log in."""
    numbers = {name: number for number, name in _MECHANISMS.items()}
    deletions: list[tuple[Any, ...]] = [
        (user.name, numbers[m], {}) for m in user.mechanisms if m in numbers
    ]
    response = await _send(bootstrap_servers, _DeleteScram(deletions), security)
    for name, code, message, _tags in response.results:
        if code:
            raise AclError(f"the broker refused to delete {name}: error {code} {message}")


async def revoke_acls(
    bootstrap_servers: str, principal: str, *, security: KafkaSecurity | None
) -> list[AclBinding]:
    """Delete every ALLOW ACL of ``principal``; return the ones deleted."""
    response = await _send(bootstrap_servers, _DeleteAcls(principal), security)
    deleted = []
    for code, message, matching in response.filter_responses:
        if code:
            raise AclError(f"the broker refused to delete ACLs: error {code} {message}")
        for _c, _m, kind, name, pattern, who, host, operation, _permission in matching:
            if operation in Operation._value2member_map_:
                deleted.append(
                    AclBinding(
                        who,
                        ResourceType(kind),
                        name,
                        PatternType(pattern),
                        Operation(operation),
                        host,
                    )
                )
    return sorted(deleted)
