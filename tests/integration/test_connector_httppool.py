"""The HTTP sink's connections (``HttpPool``) against a real application on loopback."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.httpserver import bound_port, http_server
from connectors.httppool import HttpPool, environment_proxy
from connectors.httpsink import HttpSinkConfig


def _target(peak: list[int]) -> FastAPI:
    app = FastAPI()
    busy = [0]

    @app.post("/inbox")
    async def inbox(request: Request) -> JSONResponse:
        busy[0] += 1
        peak[0] = max(peak[0], busy[0])
        await asyncio.sleep(0.01)
        busy[0] -= 1
        answer = JSONResponse(
            {
                "cookie": request.headers.get("cookie"),
                "authorization": request.headers.get("authorization"),
                "key": request.headers.get("idempotency-key"),
                "body": (await request.body()).decode(),
            }
        )
        answer.set_cookie("session", "s-1")
        return answer

    return app


async def test_configured_headers_and_the_targets_cookies_are_sent() -> None:
    """Every POST carries the configured headers and its own; a cookie the target set is sent
    back on the next POSTs, as httpx's client would."""
    async with http_server(_target([0]), "127.0.0.1", 0) as server:
        url = f"http://127.0.0.1:{bound_port(server)}/inbox"
        async with HttpPool(2, 5.0, {"Authorization": "Bearer t"}) as pool:
            first = await pool.post(url, b"one", {"Idempotency-Key": "k1"})
            second = await pool.post(url, b"two", {"Idempotency-Key": "k2"})
    assert first.json() == {"cookie": None, "authorization": "Bearer t", "key": "k1", "body": "one"}
    assert second.json()["cookie"] == "session=s-1"
    assert second.json()["key"] == "k2"


async def test_callers_beyond_the_connections_wait_and_all_are_answered() -> None:
    """With 64 callers and 4 connections, the target never sees more than 4 requests at once,
    and every caller gets its own answer."""
    peak = [0]
    async with http_server(_target(peak), "127.0.0.1", 0) as server:
        url = f"http://127.0.0.1:{bound_port(server)}/inbox"
        async with HttpPool(4, 5.0) as pool:
            answers = await asyncio.gather(
                *(pool.post(url, str(i).encode(), {"Idempotency-Key": str(i)}) for i in range(64))
            )
    assert [a.json()["body"] for a in answers] == [str(i) for i in range(64)]
    assert 1 < peak[0] <= 4


async def test_the_environments_proxy_carries_the_posts_unless_no_proxy_lists_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a configured proxy, HTTP_PROXY from the environment is the one the sink's POSTs
    go through (a forward proxy on loopback sees the absolute URL), and NO_PROXY exempts a
    host, as httpx's client does."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n", 1)[0])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    target = "http://agency.example:8080/inbox"
    try:
        assert environment_proxy(target) == f"http://127.0.0.1:{port}"
        async with HttpPool(1, 5.0, proxy=environment_proxy(target)) as pool:
            answer = await pool.post(target, b"{}", {"Idempotency-Key": "k"})
        assert answer.status_code == 200
        assert seen == [b"POST http://agency.example:8080/inbox HTTP/1.1"]
        monkeypatch.setenv("NO_PROXY", "agency.example")
        assert environment_proxy(target) is None
        assert environment_proxy("https://other.example/inbox") is None  # no HTTPS_PROXY
    finally:
        server.close()
        await server.wait_closed()


def test_batches_take_their_own_urls_proxy_and_a_configured_one_takes_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sink picks each URL's proxy: with NO_PROXY exempting the records' host, batches
    posted to ``batch.url`` on another host still go through HTTP_PROXY; a configured ``proxy``
    is used for both."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "agency.example")
    fields = {"kind": "http-sink", "name": "s", "node": "hanoi", "agency": "000.01.02.H24"}
    config = HttpSinkConfig.model_validate(
        {**fields, "url": "http://agency.example/inbox", "batch": {"url": "http://hub.example/b"}}
    )
    assert config.proxy_for(config.url) is None
    assert config.batch is not None and config.batch.url is not None
    assert config.proxy_for(config.batch.url) == "http://127.0.0.1:3128"
    configured = config.model_copy(update={"proxy": "http://10.0.0.1:8080"})
    assert configured.proxy_for(config.url) == "http://10.0.0.1:8080"
    assert configured.proxy_for(config.batch.url) == "http://10.0.0.1:8080"
