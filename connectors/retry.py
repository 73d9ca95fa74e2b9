"""Pure decisions of delivery: what an HTTP answer means, and how long to wait before retrying."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bus.backoff import exponential_s
from connectors.config import RetryPolicy
from connectors.errors import DeliveryError, PermanentDeliveryError, RetriableDeliveryError

# 408 Request Timeout, 425 Too Early, 429 Too Many Requests: the target asks us to come back.
_RETRIABLE_4XX = frozenset({408, 425, 429})


def backoff_s(
    policy: RetryPolicy,
    attempt: int,
    retry_after_s: float | None = None,
    rand: random.Random | None = None,
) -> float:
    """Wait before attempt ``attempt + 1``: exponential, with "equal jitter" (half fixed, half
    random) so many sinks retrying one target do not hit it in step; a Retry-After hint is
    honoured (capped) and never undercut."""
    ceiling = exponential_s(
        policy.initial_backoff_s, attempt - 1, policy.max_backoff_s, policy.multiplier
    )
    spread = (rand or random).uniform(0, ceiling / 2)
    if retry_after_s is None:
        return ceiling / 2 + spread
    # the target named its time: wait that long, plus a little spread so sinks do not return
    # all at once
    return min(retry_after_s, policy.max_retry_after_s) + min(spread, 1.0)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def took_it(status: int) -> bool:
    """Whether the target took the record: 2xx, or 409 Conflict, which an idempotent target
    answers for an Idempotency-Key it has already seen."""
    return 200 <= status < 300 or status == 409


def check_status(status: int, body: str, retry_after: str | None) -> None:
    """Raise the delivery error an HTTP status means; return if the target took the record
    (``took_it``)."""
    if took_it(status):
        return
    snippet = " ".join(body.split())[:300]
    if status >= 500 or status in _RETRIABLE_4XX:
        raise RetriableDeliveryError(
            f"target answered {status}: {snippet}", retry_after_s=parse_retry_after(retry_after)
        )
    raise PermanentDeliveryError(f"target refused the record with {status}: {snippet}")


def batch_outcomes(
    status: int, body: str, retry_after: str | None, ids: list[str]
) -> list[DeliveryError | None] | None:
    """What a batch POST's answer means for each of its records (``ids``, the ce_ids in the
    order sent): None for delivered, else the error to retry or park it with.

    A target that answers per record (``{"results": [{"id", "status", "reason"?,
    "retryAfter"?}]}``, any status) is taken at its word for each; a record it does not
    mention is retried. Without per-record results, a success counts for all, a retriable
    status retries all, and any other answer returns None: the caller then sends each record
    alone, so one bad record is parked alone."""
    results = _per_record(body)
    if results is not None:
        return [_outcome(results.get(event_id)) for event_id in ids]
    try:
        check_status(status, body, retry_after)
    except RetriableDeliveryError as error:
        return [error] * len(ids)
    except PermanentDeliveryError:
        return None
    return [None] * len(ids)


def _per_record(body: str) -> dict[str, dict[str, object]] | None:
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return None
    results = parsed.get("results") if isinstance(parsed, dict) else None
    if not isinstance(results, list):
        return None
    return {
        str(item["id"]): item
        for item in results
        if isinstance(item, dict) and "id" in item and isinstance(item.get("status"), int)
    }


def _outcome(result: dict[str, object] | None) -> DeliveryError | None:
    if result is None:
        return RetriableDeliveryError("the target's batch answer has no result for this record")
    status = result["status"]
    assert isinstance(status, int)
    retry_after = result.get("retryAfter")
    try:
        check_status(
            status,
            str(result.get("reason", "")),
            str(retry_after) if retry_after is not None else None,
        )
    except DeliveryError as error:
        return error
    return None
