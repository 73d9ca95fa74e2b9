"""A small Schema Registry speaking the Confluent REST API, served on loopback for tests.

Apicurio Registry (the real one the issue names) cannot run here: Maven Central serves
``io.apicurio:apicurio-registry-app`` only as the un-built Quarkus library jar (no ``runner``
artifact), and Karapace is not on PyPI. This server implements the part of the API the bus
uses (register under a subject, schema by id, list subjects and versions) with the registry's
rules: one id per distinct schema, the same id when registered again, 404 with Confluent's
error codes (40401 subject, 40403 schema) otherwise.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from bus.httpserver import bound_port, http_server


def registry_app() -> FastAPI:
    app = FastAPI()
    schemas: dict[int, str] = {}
    ids: dict[str, int] = {}
    subjects: dict[str, list[int]] = {}

    def missing(code: int, message: str) -> HTTPException:
        return HTTPException(404, detail={"error_code": code, "message": message})

    @app.exception_handler(HTTPException)
    async def _error(_request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(error.detail, status_code=error.status_code)

    @app.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> dict[str, int]:
        body: dict[str, Any] = json.loads(await request.body())
        if body.get("schemaType", "AVRO") != "AVRO" or not isinstance(body.get("schema"), str):
            raise HTTPException(422, detail={"error_code": 42201, "message": "invalid schema"})
        canonical = json.dumps(json.loads(body["schema"]), sort_keys=True)
        schema_id = ids.setdefault(canonical, len(ids) + 1)
        schemas[schema_id] = body["schema"]
        versions = subjects.setdefault(subject, [])
        if schema_id not in versions:
            versions.append(schema_id)
        return {"id": schema_id}

    @app.get("/schemas/ids/{schema_id}")
    async def by_id(schema_id: int) -> dict[str, str]:
        if schema_id not in schemas:
            raise missing(40403, f"schema {schema_id} not found")
        return {"schema": schemas[schema_id]}

    @app.get("/subjects")
    async def list_subjects() -> list[str]:
        return sorted(subjects)

    @app.get("/subjects/{subject}/versions")
    async def versions(subject: str) -> list[int]:
        if subject not in subjects:
            raise missing(40401, f"subject {subject} not found")
        return list(range(1, len(subjects[subject]) + 1))

    return app


@asynccontextmanager
async def running_registry() -> AsyncIterator[str]:
    """The registry's base URL for the block."""
    async with http_server(registry_app(), "127.0.0.1", 0) as server:
        yield f"http://127.0.0.1:{bound_port(server)}"
