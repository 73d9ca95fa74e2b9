"""What a batch POST's answer means for each record of the batch (connectors.retry)."""

from __future__ import annotations

import json

import pytest

from connectors.errors import PermanentDeliveryError, RetriableDeliveryError
from connectors.httpsink import HttpSinkConfig
from connectors.retry import batch_outcomes

IDS = ["a", "b", "c"]


def test_per_record_results_are_taken_record_by_record() -> None:
    """202 and 409 deliver, 400 parks with the reason, 429 retries with its Retry-After, and a
    record the answer does not mention is retried."""
    body = json.dumps(
        {
            "results": [
                {"id": "a", "status": 202},
                {"id": "b", "status": 400, "reason": "unknown procedure"},
                {"id": "x", "status": 409},
            ]
        }
    )
    a, b, c = batch_outcomes(207, body, None, IDS) or []
    assert a is None
    assert isinstance(b, PermanentDeliveryError) and "unknown procedure" in b.message
    assert isinstance(c, RetriableDeliveryError)
    [late] = (
        batch_outcomes(
            200,
            json.dumps({"results": [{"id": "a", "status": 429, "retryAfter": "7"}]}),
            None,
            ["a"],
        )
        or []
    )
    assert isinstance(late, RetriableDeliveryError) and late.retry_after_s == 7


@pytest.mark.parametrize(("status", "delivered"), [(200, True), (202, True), (204, True)])
def test_a_success_without_results_delivers_all(status: int, delivered: bool) -> None:
    """A plain 2xx takes every record of the batch."""
    assert batch_outcomes(status, "", None, IDS) == [None, None, None]


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_a_retriable_answer_without_results_retries_all(status: int) -> None:
    """408/429/5xx for the whole batch: every record is retried, with the Retry-After hint."""
    outcomes = batch_outcomes(status, "busy", "3", IDS) or []
    assert len(outcomes) == 3
    assert all(isinstance(o, RetriableDeliveryError) and o.retry_after_s == 3 for o in outcomes)


@pytest.mark.parametrize("body", ["", "not json", '{"error": "bad"}', '{"results": "x"}'])
def test_a_refusal_without_results_asks_for_records_one_by_one(body: str) -> None:
    """A 400 that names no record: None, so the sink sends each record alone."""
    assert batch_outcomes(400, body, None, IDS) is None


def test_batch_mode_needs_the_cloudevents_format() -> None:
    """batch: with format: data is a configuration error (a batch is a JSON array of events)."""
    with pytest.raises(ValueError, match="cloudevents"):
        HttpSinkConfig.model_validate(
            {"name": "dms", "node": "hanoi", "agency": "000.01.02.H24", "url": "http://x",
             "format": "data", "batch": {}}
        )  # fmt: skip
