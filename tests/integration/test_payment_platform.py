"""The payment responder's handler against the payment platform application on loopback (HTTP
only: the bus side is tests/integration/test_payments.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from connectors.payments.errors import PaymentError
from connectors.payments.platform import PaymentPlatform as PlatformClient
from lgsp.demo.payment_platform import PaymentPlatform
from schemas.catalog import bundled_catalog
from schemas.examples import example_record

KEY = b"shared key"
REQUEST = example_record(bundled_catalog().get("payment.request")) | {
    "requestedAt": datetime.now(UTC)
}
PARTNER = REQUEST["partnerCode"]


async def test_init_getbill_confirm_pay_the_fee_with_a_receipt() -> None:
    """Init, GetBill and Confirm succeed: a 00 result with the transaction, the amount, the
    receipt and the time paid; the platform holds one confirmed transaction."""
    platform = PaymentPlatform({PARTNER: KEY})
    async with platform.serve(), httpx.AsyncClient() as client:
        result = await PlatformClient(client, platform.url, PARTNER, KEY).pay(REQUEST)
    assert result["resultCode"] == "00"
    assert result["amountVnd"] == REQUEST["totalAmountVnd"]
    assert result["transactionId"] in platform.transactions
    assert result["receiptNumber"] and result["paidAt"] is not None
    assert platform.confirmed == 1


async def test_a_wrong_shared_key_is_refused_by_the_platform_with_its_code() -> None:
    """Messages signed with another key are refused by the platform (MaLoi 07)."""
    platform = PaymentPlatform({PARTNER: KEY})
    async with platform.serve(), httpx.AsyncClient() as client:
        with pytest.raises(PaymentError) as caught:
            await PlatformClient(client, platform.url, PARTNER, b"wrong").pay(REQUEST)
    assert (caught.value.code, caught.value.platform_code) == ("LGSP-PAYMENT-REFUSED", "07")
    assert not caught.value.retriable


async def test_a_platform_that_is_down_is_a_retriable_error() -> None:
    """No platform listening: LGSP-PAYMENT-UNAVAILABLE, retriable."""
    platform = PaymentPlatform({PARTNER: KEY})
    async with platform.serve():
        url = platform.url
    async with httpx.AsyncClient() as client:
        with pytest.raises(PaymentError) as caught:
            await PlatformClient(client, url, PARTNER, KEY).pay(REQUEST)
    assert caught.value.code == "LGSP-PAYMENT-UNAVAILABLE" and caught.value.retriable
