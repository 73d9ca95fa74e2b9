"""The webhook's configuration: who may call it (API key hashes), what they may publish."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.config import ConnectorConfig, agency_code, schema_subject
from connectors.fieldpath import check_path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def hash_api_key(key: str) -> str:
    """What a config stores for an API key: its SHA-256, hex (the key itself is never kept)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallingAgency(_Strict):
    """An agency system allowed to call the webhook."""

    code: str = Field(description="Its agency code: it publishes as this agency only.")
    key_sha256: str = Field(description="SHA-256 of its API key (`lgsp connector hash-key`).")
    subjects: list[str] = Field(
        default_factory=list, description="Subjects it may publish (empty: all configured)."
    )

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return agency_code(value)

    @field_validator("key_sha256")
    @classmethod
    def _hash(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("64 lower-case hex digits: the SHA-256 of the key, not the key")
        return value


class SubjectRule(_Strict):
    """How to read one subject's JSON: its business key, its sender field, its recipients."""

    key_field: str = Field(description="Field holding the business id (the Kafka key).")
    agency_field: str | None = Field(
        default=None, description="Field that must equal the caller's agency code."
    )
    recipients_field: str | None = Field(
        default=None, description="Field listing recipient agency codes, e.g. recipients[].code."
    )

    @field_validator("key_field", "agency_field", "recipients_field")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return None if value is None else check_path(value)


class WebhookConfig(ConnectorConfig):
    kind: Literal["webhook"] = "webhook"
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port (0: any free port).")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body.")
    max_bulk_records: int = Field(
        default=500, ge=1, le=10_000, description="Records in one bulk request at most."
    )
    max_bulk_body_bytes: int = Field(
        default=8_388_608, ge=1024, description="Largest bulk request body."
    )
    agencies: list[CallingAgency] = Field(description="Who may call, by API key hash.")
    subjects: dict[str, SubjectRule] = Field(description="What may be published, by subject.")

    @field_validator("subjects")
    @classmethod
    def _known_subjects(cls, value: dict[str, SubjectRule]) -> dict[str, SubjectRule]:
        for subject in value:
            schema_subject(subject)
        return value

    @model_validator(mode="after")
    def _agency_subjects(self) -> WebhookConfig:
        hashes = [a.key_sha256 for a in self.agencies]
        if len(set(hashes)) != len(hashes):
            raise ValueError("two agencies share an API key hash: give each its own key")
        for agency in self.agencies:
            unknown = set(agency.subjects) - set(self.subjects)
            if unknown:
                raise ValueError(
                    f"agency {agency.code} names subjects not configured: {sorted(unknown)}"
                )
        return self
