"""The webhook benchmark's baseline: a bare FastAPI endpoint under uvicorn that produces each
request's body to Kafka with the same acks (idempotent, acks=all) and answers 202 once the
broker acknowledged it, with no authentication, validation or CloudEvents envelope. Run as
its own process, like ``lgsp connector run``:

    python bench/bare_webhook.py --bootstrap HOST:PORT --port P --topic T [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.eventloop import run_service
from bus.httpserver import http_server
from bus.kafka import KafkaPublisher, OutgoingRecord


async def serve(bootstrap: str, port: int, topic: str) -> None:
    async with KafkaPublisher(bootstrap, client_id="bare-webhook") as publisher:
        app = FastAPI()

        @app.post("/events/{subject}")
        async def publish(subject: str, request: Request) -> JSONResponse:
            body = await request.body()
            json.loads(body)
            landed = await publisher.publish(OutgoingRecord(topic, body, uuid.uuid4().bytes))
            return JSONResponse({"topic": landed.topic, "offset": landed.offset}, 202)

        @app.get("/health")
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        async with http_server(app, "127.0.0.1", port) as server:
            while not server.should_exit:  # noqa: ASYNC110 - until the process is terminated
                await asyncio.sleep(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    run_service(serve(args.bootstrap, args.port, args.topic), use_uvloop=args.uvloop)
