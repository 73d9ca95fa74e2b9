"""The request/reply exchanges the bus carries between nodes, as values: which event types
ask and answer, which field names the request, and how a request is stamped before it leaves
(``bus.requestreply`` runs any of them).

- look-ups (``lookup.request`` / ``lookup.reply``): a citizen, an enterprise, a land parcel in
  a national database; the requester names each request (``requestId``) and gives a deadline;
- payments (``payment.request`` / ``payment.result``): a dossier's fees through the national
  payment platform; the one-stop-shop names the payment (``paymentReference``, MaThamChieu,
  unique per partner) and a failure is answered with a result that says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.errors import LgspError

Stamp = Callable[[dict[str, Any], datetime, datetime], dict[str, Any]]
FailureReply = Callable[[dict[str, Any], LgspError], dict[str, Any]]


@dataclass(frozen=True)
class Exchange:
    """One kind of request and its reply."""

    name: str  # names the metrics (lgsp_<name>_*) and the responder's consumer group
    request_type: str
    reply_type: str
    id_field: str  # the request's id: the correlation id, and the key of both records
    deadline_field: str | None  # a request past it is dropped unanswered
    stamp: Stamp  # (request, now, deadline) -> the request as published
    failure_reply: FailureReply | None = None  # a reply saying why, when the handler fails


def _stamp_lookup(request: dict[str, Any], now: datetime, deadline: datetime) -> dict[str, Any]:
    return request | {"requestId": str(uuid.uuid4()), "requestedAt": now, "deadlineAt": deadline}


def _stamp_payment(request: dict[str, Any], now: datetime, _: datetime) -> dict[str, Any]:
    return request | {"requestedAt": now}


def _payment_failed(request: dict[str, Any], error: LgspError) -> dict[str, Any]:
    """A payment.result for a payment that failed: the platform's own code when it refused
    (``platform_code``), else ours; the message names both."""
    code = getattr(error, "platform_code", None) or error.code
    return {
        "paymentReference": request["paymentReference"],
        "resultCode": str(code),
        "message": f"{error.code}: {error.message}"[:1000],
        "transactionId": getattr(error, "transaction_id", None),
        "amountVnd": 0,
        "receiptNumber": None,
        "paidAt": None,
    }


LOOKUP = Exchange(
    name="lookup",
    request_type="vn.gov.lookup.request.v1",
    reply_type="vn.gov.lookup.reply.v1",
    id_field="requestId",
    deadline_field="deadlineAt",
    stamp=_stamp_lookup,
)
PAYMENT = Exchange(
    name="payment",
    request_type="vn.gov.payment.request.v1",
    reply_type="vn.gov.payment.result.v1",
    id_field="paymentReference",
    deadline_field=None,
    stamp=_stamp_payment,
    failure_reply=_payment_failed,
)
