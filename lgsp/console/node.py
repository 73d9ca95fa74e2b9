"""The console's view of the node's processes over their HTTP ports: readiness, metrics,
and the gateway's admin API (called with the logged-in user's own token, so the gateway
checks the role itself) and the tracker's look-up API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from prometheus_client.parser import text_string_to_metric_families

from lgsp.console.config import ConsoleConfig, ProcessKind, ProcessSpec

MetricSamples = dict[str, list[tuple[dict[str, str], float]]]


@dataclass(frozen=True, slots=True)
class ProcessState:
    """What one process said when last asked."""

    spec: ProcessSpec
    reachable: bool
    ready: bool
    missing: tuple[str, ...]
    metrics: MetricSamples


@dataclass(frozen=True, slots=True)
class Answer:
    """An admin or tracker API answer: status and JSON body (``error`` when unreachable)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def parse_metrics(text: str) -> MetricSamples:
    """Samples by name (counters keep their ``_total``), each with its labels."""
    samples: MetricSamples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    return samples


def metric_sum(samples: MetricSamples, name: str, **labels: str) -> float:
    return sum(
        value
        for found, value in samples.get(name, [])
        if all(found.get(k) == v for k, v in labels.items())
    )


def _missing(body: Any) -> tuple[str, ...]:
    if not isinstance(body, dict):
        return ()
    items = body.get("missing") or []
    return tuple(
        f"{m.get('name', '?')}: {m.get('reason', '')}" if isinstance(m, dict) else str(m)
        for m in items
    )


class NodeClient:
    """HTTP calls to the node's processes (one shared client, short timeouts)."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.http = httpx.AsyncClient(timeout=5.0)
        self.gateway_url = config.url_of(ProcessKind.GATEWAY) or ""
        self.tracker_url = config.url_of(ProcessKind.TRACKER)

    async def close(self) -> None:
        await self.http.aclose()

    async def state(self, spec: ProcessSpec) -> ProcessState:
        base = spec.url.rstrip("/")
        try:
            ready = await self.http.get(f"{base}/readyz")
            metrics = await self.http.get(f"{base}/metrics")
        except httpx.HTTPError as error:
            return ProcessState(spec, False, False, (f"unreachable: {error!r}",), {})
        body = ready.json() if ready.headers.get("content-type", "").startswith("app") else {}
        return ProcessState(
            spec,
            True,
            ready.status_code == 200,
            _missing(body),
            parse_metrics(metrics.text) if metrics.status_code == 200 else {},
        )

    async def _call(self, method: str, url: str, token: str | None) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self.http.request(method, url, headers=headers)
        except httpx.HTTPError as error:
            return Answer(503, {"code": "LGSP-CONSOLE-UNREACHABLE", "error": repr(error)})
        try:
            return Answer(response.status_code, response.json())
        except ValueError:
            return Answer(response.status_code, {"error": response.text[:500]})

    async def gateway(self, method: str, path: str, token: str | None) -> Answer:
        return await self._call(method, f"{self.gateway_url}{path}", token)

    async def tracker(self, path: str) -> Answer:
        if self.tracker_url is None:
            return Answer(404, {"code": "LGSP-CONSOLE-NO-TRACKER", "error": "no tracker named"})
        return await self._call("GET", f"{self.tracker_url}{path}", None)

    async def receipts(self, key: str, token: str | None) -> Answer:
        return await self.gateway("GET", f"/admin/receipts/{quote(key, safe='')}", token)
