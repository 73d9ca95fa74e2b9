"""Apply ACLs and SCRAM credentials through the Kafka Admin API.

aiokafka's admin client has no methods for these, but speaks the protocol: the requests below
are the Admin API's own (CreateAcls v1, DescribeAcls v1, AlterUserScramCredentials v0), sent
with an admin client authenticated as a super user. Both operations are idempotent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from bus.kafka.acls import AclBinding, Operation, PatternType, ResourceType
from bus.kafka.admin import admin_client
from bus.kafka.security import KafkaSecurity
from schemas.errors import LgspError

_ALLOW = 3
_ANY = 1
_SCRAM_MECHANISMS = {"SCRAM-SHA-256": (1, "sha256"), "SCRAM-SHA-512": (2, "sha512")}
SCRAM_ITERATIONS = 8192


class AclError(LgspError):
    """The broker refused to create ACLs or credentials (not a super user, bad name...)."""

    code = "LGSP-SEC-ACL"


class _CreateAcls(Request[CreateAclsRequest_v1]):
    API_KEY = 30

    def __init__(self, bindings: Sequence[AclBinding]) -> None:
        self._bindings = bindings

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(
            [
                (
                    int(b.resource_type),
                    b.resource_name,
                    int(b.pattern),
                    b.principal,
                    b.host,
                    int(b.operation),
                    _ALLOW,
                )
                for b in self._bindings
            ]
        )


class _DescribeAcls(Request[DescribeAclsRequest_v1]):
    API_KEY = 29

    def __init__(self, principal: str | None) -> None:
        self._principal = principal

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        # resource type ANY, any name, pattern ANY, this principal, any host/operation/permission
        return request_struct_class(_ANY, None, _ANY, self._principal, None, _ANY, _ANY)


class _AlterScramResponse(Response):
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScramStruct(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterScramResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[_AlterScramStruct]):
    API_KEY = 51

    def __init__(self, upsertions: list[tuple[Any, ...]]) -> None:
        self._upsertions = upsertions

    def build(self, request_struct_class: type[_AlterScramStruct]) -> _AlterScramStruct:
        return request_struct_class([], self._upsertions, {})


async def create_acls(
    bootstrap_servers: str, bindings: Iterable[AclBinding], *, security: KafkaSecurity | None
) -> int:
    """Create ``bindings`` (existing ones are kept as they are); return how many were sent."""
    wanted = sorted(set(bindings))
    if not wanted:
        return 0
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        response: Any = await admin._send_request(_CreateAcls(wanted))
    finally:
        await admin.close()
    failures = [
        f"{binding}: error {code} {message or ''}".strip()
        for binding, (code, message) in zip(wanted, response.creation_responses, strict=True)
        if code
    ]
    if failures:
        raise AclError("the broker refused ACLs: " + "; ".join(failures))
    return len(wanted)


async def describe_acls(
    bootstrap_servers: str, principal: str | None = None, *, security: KafkaSecurity | None
) -> list[AclBinding]:
    """The ALLOW ACLs the broker holds (for one principal, or all)."""
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        response: Any = await admin._send_request(_DescribeAcls(principal))
    finally:
        await admin.close()
    if response.error_code:
        raise AclError(f"describing ACLs failed: error {response.error_code}")
    return sorted(
        AclBinding(
            acl_principal,
            ResourceType(resource_type),
            name,
            PatternType(pattern),
            Operation(operation),
            host,
        )
        for resource_type, name, pattern, acls in response.resources
        for acl_principal, host, operation, permission in acls
        if permission == _ALLOW and operation in Operation._value2member_map_
    )


def salted_password(password: str, salt: bytes, mechanism: str, iterations: int) -> bytes:
    """SCRAM's SaltedPassword = Hi(password, salt, i), i.e. PBKDF2-HMAC (RFC 5802)."""
    _, digest = _SCRAM_MECHANISMS[mechanism]
    return hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations)


async def upsert_scram_user(
    bootstrap_servers: str,
    username: str,
    password: str,
    *,
    security: KafkaSecurity | None,
    mechanism: str = "SCRAM-SHA-512",
) -> None:
    """Create or replace the SCRAM credential of ``username``. Only the salted form is sent."""
    number, _ = _SCRAM_MECHANISMS[mechanism]
    salt = os.urandom(32)
    salted = salted_password(password, salt, mechanism, SCRAM_ITERATIONS)
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        response: Any = await admin._send_request(
            _AlterScram([(username, number, SCRAM_ITERATIONS, salt, salted, {})])
        )
    finally:
        await admin.close()
    for user, code, message, _tags in response.results:
        if code:
            # The message is the broker's and never contains the password (only its salted form
            # was sent); it is quoted as is.
            raise AclError(f"the broker refused the credential of {user}: error {code} {message}")
