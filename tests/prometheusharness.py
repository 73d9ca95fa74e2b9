"""A real Prometheus (Debian package `prometheus`) for tests: scrapes the given targets every
second, loads the project's rule files, and answers PromQL through its HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from bus.localkafka.layout import free_port

RULES = Path(__file__).parent.parent / "deploy" / "prometheus" / "lgsp-*-rules.yml"


@contextlib.asynccontextmanager
async def running_prometheus(
    folder: Path, jobs: dict[str, list[str]]
) -> AsyncIterator[httpx.AsyncClient]:
    """Prometheus scraping ``jobs`` (job name -> host:port targets) every second and
    evaluating the rules every second; yields a client on its HTTP API."""
    prometheus = shutil.which("prometheus")
    assert prometheus, (
        "prometheus is not installed (Debian package prometheus); .ci/run installs it"
    )
    port = free_port()
    scrapes = "".join(
        f"""
  - job_name: {job}
    static_configs: [{{targets: [{", ".join(f'"{t}"' for t in targets)}]}}]"""
        for job, targets in jobs.items()
    )
    config = folder / "prometheus.yml"
    config.write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{RULES}"]
scrape_configs:{scrapes}
""")
    server = await asyncio.create_subprocess_exec(
        prometheus,
        f"--config.file={config}",
        f"--storage.tsdb.path={folder / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            yield client
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)


class PrometheusStartingError(Exception):
    """Prometheus answered 503: it listens but has not finished starting (loading its TSDB)."""


async def query(client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    """The instant vector of ``expr`` now."""
    response = await client.get("/api/v1/query", params={"query": expr})
    if response.status_code == 503:
        raise PrometheusStartingError(response.text)
    body = response.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


async def query_until(
    client: httpx.AsyncClient,
    expr: str,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout_s: float = 30,
) -> list[dict[str, Any]]:
    """Query ``expr`` until ``done`` holds for its result (Prometheus still starting counts as
    an empty result); returns the last result, done or not, when the time is up."""
    result: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        try:
            result = await query(client, expr)
        except (httpx.TransportError, PrometheusStartingError):
            result = []
        if done(result):
            break
        await asyncio.sleep(0.3)
    return result


def values(result: list[dict[str, Any]], label: str) -> dict[str, float]:
    """A query's samples as label value -> number."""
    return {sample["metric"].get(label, ""): float(sample["value"][1]) for sample in result}
