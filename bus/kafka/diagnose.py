"""Why a client cannot reach a cluster. aiokafka logs the reason (SASL refused, certificate
not trusted) and raises only "Unable to bootstrap"; one direct connection with the same
security brings the reason back as an exception, for a coded error and a metric."""

from __future__ import annotations

import asyncio

from aiokafka.conn import create_conn

from bus.kafka.security import KafkaSecurity


async def connection_error(
    bootstrap_servers: str, security: KafkaSecurity, timeout_s: float = 10.0
) -> BaseException | None:
    """The error of one connection (TLS handshake and SASL included) to the first bootstrap
    server, or None when it connects."""
    host, _, port = bootstrap_servers.split(",")[0].strip().rpartition(":")
    try:
        conn = await asyncio.wait_for(
            create_conn(host, int(port), request_timeout_ms=int(timeout_s * 1000),
                        **security.client_options()),
            timeout_s,
        )  # fmt: skip
    except Exception as error:  # the reason itself is the answer
        return error
    conn.close()
    return None
