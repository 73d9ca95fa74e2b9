"""The one error hierarchy of the project.

Every failure a user can meet is an ``LgspError`` with a stable ``code`` (documented with its
fix in ``docs/errors.md``) and a ``retriable`` flag telling the caller whether trying the same
thing again may succeed. Catch ``LgspError`` to handle them all, or a family below it.

    LgspError
    ├── ContractError        bad bytes, unknown schema, invalid identifier (never retriable)
    │   ├── SchemaError      a schema file, subject or version that is missing or invalid
    │   ├── CodecError       bytes that are not a record of a known schema
    │   ├── RecordError      a record (e.g. JSON from an agency) that does not fit its schema
    │   ├── EnvelopeError    Kafka headers that are not a valid CloudEvents envelope
    │   └── IdentifierError  agency code, CCCD, tax code or unit code that does not validate
    └── LocalKafkaError      the local broker launcher (java, maven, ports, start-up)
"""

from __future__ import annotations


class LgspError(Exception):
    """Base of every error raised by the bus: a stable code, a message, a retriable flag."""

    code: str = "LGSP-000"
    retriable: bool = False

    def __init__(self, message: str, *, code: str | None = None, retriable: bool | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if retriable is not None:
            self.retriable = retriable

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ContractError(LgspError):
    """Input that breaks the shared contract: it will fail the same way on every attempt."""

    retriable = False


class SchemaError(ContractError):
    """A schema that is missing, malformed, or breaks compatibility with earlier versions."""

    code = "LGSP-SCHEMA"


class RecordError(ContractError):
    """A record that does not fit its schema; ``problems`` lists every reason, by field path."""

    code = "LGSP-RECORD-INVALID"

    def __init__(self, message: str, problems: list[str], *, code: str | None = None):
        super().__init__(message + ": " + "; ".join(problems), code=code)
        self.problems = problems


class CodecError(ContractError):
    """Bytes that cannot be encoded or decoded as an Avro single-object record."""

    code = "LGSP-CODEC"


class EnvelopeError(ContractError):
    """Kafka headers that are not a valid CloudEvents binary-mode envelope."""

    code = "LGSP-ENVELOPE"


class IdentifierError(ContractError):
    """An agency code, CCCD, tax code or administrative unit code that does not validate."""

    code = "LGSP-ID"


class LocalKafkaError(LgspError):
    """The local broker could not be fetched, started, reached or stopped."""

    code = "LGSP-KAFKA"
