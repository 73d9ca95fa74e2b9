"""A client of the Confluent Schema Registry REST API (also served by Apicurio Registry at
``/apis/ccompat/v7`` and by Karapace): register a schema under a subject, fetch one by id.

Subjects follow Confluent's TopicNameStrategy: ``<topic>-value``. Ids are cached both ways for
the life of the client: a registry never changes what an id means.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from schemas.catalog import SchemaVersion
from schemas.errors import LgspError

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


class RegistryError(LgspError):
    """The schema registry refused a request or could not be reached."""

    code = "LGSP-REGISTRY"


def value_subject(topic: str) -> str:
    """The registry subject of a topic's values (TopicNameStrategy)."""
    return f"{topic}-value"


class SchemaRegistry:
    """Confluent-API registry at ``base_url`` (e.g. ``http://127.0.0.1:8080/apis/ccompat/v7``)."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self._ids: dict[tuple[str, bytes], int] = {}
        self._texts: dict[int, str] = {}

    async def register(self, subject: str, schema: SchemaVersion) -> int:
        """The id of ``schema`` under ``subject``, registering it the first time."""
        cached = self._ids.get((subject, schema.fingerprint))
        if cached is not None:
            return cached
        text = json.dumps(schema.definition, ensure_ascii=False)
        answer = await self._call(
            "POST",
            f"/subjects/{subject}/versions",
            json={"schema": text, "schemaType": "AVRO"},
        )
        schema_id: int = int(answer["id"])
        self._ids[(subject, schema.fingerprint)] = schema_id
        self._texts[schema_id] = text
        return schema_id

    async def schema_text(self, schema_id: int) -> str:
        """The schema (Avro JSON text) the registry numbers ``schema_id``."""
        if schema_id not in self._texts:
            answer = await self._call("GET", f"/schemas/ids/{schema_id}")
            self._texts[schema_id] = str(answer["schema"])
        return self._texts[schema_id]

    async def _call(self, method: str, path: str, json: object = None) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = await self.client.request(
                method, url, json=json, headers={"Accept": CONTENT_TYPE}
            )
        except httpx.HTTPError as error:
            raise RegistryError(
                f"schema registry {self.base_url} unreachable: {error}", retriable=True
            ) from error
        if response.status_code >= 400:
            raise RegistryError(
                f"schema registry answered {response.status_code} to {method} {path}: "
                f"{response.text[:200]}",
                retriable=response.status_code >= 500,
            )
        body = response.json()
        if not isinstance(body, dict):
            raise RegistryError(f"schema registry answered {body!r} to {method} {path}")
        return body


@asynccontextmanager
async def schema_registry(base_url: str) -> AsyncIterator[SchemaRegistry]:
    """A registry client for the block (its HTTP connections closed after)."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield SchemaRegistry(base_url, client)
