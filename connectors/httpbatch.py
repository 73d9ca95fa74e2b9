"""Batch mode of the HTTP sink: the records that the sink's concurrent deliveries hand over
at about the same time go out together, as one CloudEvents batch POST
(``application/cloudevents-batch+json``, a JSON array of structured events).

The SDK still delivers each record on its own (each key's records in order, retries with
back-off, parking): ``BatchPoster.deliver`` only waits for its record's own outcome in the
batch it joined. A batch is sent when it holds ``max_records`` records or ``max_bytes``
bytes, or ``linger_ms`` after its first record. The target's answer is read per record
(``retry.batch_outcomes``); a target that refuses a batch without saying which record it
objects to gets each record of it alone, so a bad record is parked alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from connectors.errors import DeliveryError, RetriableDeliveryError
from connectors.retry import batch_outcomes

SendBatch = Callable[[bytes], Awaitable[httpx.Response]]
SendAlone = Callable[[], Awaitable[None]]


@dataclass
class _Item:
    event_id: str
    body: bytes
    alone: SendAlone
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class BatchPoster:
    """Coalesces concurrent deliveries into batch POSTs; ``async with`` it."""

    def __init__(self, send: SendBatch, max_records: int, max_bytes: int, linger_ms: float) -> None:
        self._send = send
        self.max_records, self.max_bytes, self.linger_s = max_records, max_bytes, linger_ms / 1000
        self._pending: list[_Item] = []
        self._pending_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._posts: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> BatchPoster:
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for item in self._pending:
            _settle(item, RetriableDeliveryError("the sink stopped before the batch was sent"))
        for task in list(self._posts):
            task.cancel()
        for task in list(self._posts):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def deliver(self, event_id: str, body: bytes, alone: SendAlone) -> None:
        """Join the next batch with one encoded event; return once the target took it, or
        raise the ``DeliveryError`` its answer means for this record. ``alone`` sends the
        record by itself, for a batch the target refused without per-record results."""
        item = _Item(event_id, body, alone)
        if self._pending and self._pending_bytes + len(body) > self.max_bytes:
            self._flush()
        self._pending.append(item)
        self._pending_bytes += len(body) + 1
        if len(self._pending) >= self.max_records or self._pending_bytes >= self.max_bytes:
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.linger_s, self._flush)
        await item.done

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._pending, self._pending_bytes = self._pending, [], 0
        if items:
            task = asyncio.create_task(self._post(items))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)

    async def _post(self, items: list[_Item]) -> None:
        body = b"[" + b",".join(item.body for item in items) + b"]"
        try:
            response = await self._send(body)
        except httpx.HTTPError as error:  # timeouts, refused connections: retry each record
            failure = RetriableDeliveryError(f"{type(error).__name__} sending a batch: {error}")
            for item in items:
                _settle(item, failure)
            return
        except asyncio.CancelledError:
            for item in items:
                _settle(item, RetriableDeliveryError("the sink stopped while a batch was sent"))
            raise
        outcomes = batch_outcomes(
            response.status_code,
            response.text,
            response.headers.get("retry-after"),
            [item.event_id for item in items],
        )
        if outcomes is None:  # refused as a whole without saying why: each record alone
            await asyncio.gather(*(self._alone(item) for item in items))
            return
        for item, outcome in zip(items, outcomes, strict=True):
            _settle(item, outcome)

    async def _alone(self, item: _Item) -> None:
        try:
            await item.alone()
        except DeliveryError as error:
            _settle(item, error)
        except Exception as error:  # any other failure of the single POST: retried
            _settle(item, RetriableDeliveryError(f"{type(error).__name__}: {error}"))
        else:
            _settle(item, None)


def _settle(item: _Item, outcome: DeliveryError | None) -> None:
    if item.done.done():
        return
    if outcome is None:
        item.done.set_result(None)
    else:
        item.done.set_exception(outcome)
