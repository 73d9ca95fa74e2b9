"""Stopping a Kafka client within a bound, so a process can always end.

aiokafka's ``stop()`` waits for the group coordinator (a consumer's last LeaveGroup, each
request up to ``request_timeout_ms``) and a producer's ``stop()`` for its pending batches; with
a broker that has stopped answering, one client can hold a shutdown for minutes and a process
with a dozen clients for longer than systemd's ``TimeoutStopSec`` (aio-libs/aiokafka#659).
Every client of the project is stopped here: it gets ``wait_s`` to stop cleanly, then it is
abandoned with a warning (the broker expires its group membership after the session timeout,
and an idempotent or transactional producer's unsent records were never acknowledged, so their
sources are read again).
"""

from __future__ import annotations

import asyncio
import os

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

__all__ = ["STOP_WAIT_S", "stop_client"]

log = structlog.get_logger(__name__)

#: Seconds one client may take to stop, unless ``LGSP_KAFKA_STOP_WAIT_S`` says otherwise.
STOP_WAIT_S = 15.0


async def stop_client(
    client: AIOKafkaConsumer | AIOKafkaProducer | AIOKafkaAdminClient,
    what: str,
    wait_s: float | None = None,
) -> None:
    """Stop ``client`` (``what`` names it in the warning), giving up after ``wait_s``."""
    bound = (
        float(os.environ.get("LGSP_KAFKA_STOP_WAIT_S", STOP_WAIT_S)) if wait_s is None else wait_s
    )
    stopping = client.close() if isinstance(client, AIOKafkaAdminClient) else client.stop()
    try:
        await asyncio.wait_for(stopping, bound)
    except TimeoutError:
        log.warning("kafka_client_not_stopped_in_time", client=what, wait_s=bound)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise  # the caller is being cancelled: let it
        # aiokafka's fetcher, closing, awaits the fetch requests it has just cancelled and
        # re-raises their cancellation (a fetch in flight at stop): the client is stopped
        log.info("kafka_client_stop_interrupted", client=what)
    except Exception as error:  # a client that failed to stop is stopped enough
        log.warning("kafka_client_stop_failed", client=what, error=repr(error))
