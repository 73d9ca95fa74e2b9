"""The payment platform's messages and checksum, and what a result means for a dossier (pure)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest

from bus.exchanges import PAYMENT
from connectors.payments.dossier import paid_dossier
from connectors.payments.errors import PaymentError
from connectors.payments.protocol import checksum, checksum_ok, init_message, signed
from schemas.catalog import bundled_catalog
from schemas.examples import example_record

KEY = b"shared key"
REQUEST = example_record(bundled_catalog().get("payment.request"))


def _result(**changes: Any) -> dict[str, Any]:
    return {
        "paymentReference": REQUEST["paymentReference"],
        "resultCode": "00",
        "message": None,
        "transactionId": "GD1",
        "amountVnd": REQUEST["totalAmountVnd"],
        "receiptNumber": "BL1",
        "paidAt": datetime(2026, 11, 18, tzinfo=UTC),
    } | changes


def test_init_carries_the_platform_field_names_of_the_request() -> None:
    """Init names the partner, reference, amount, currency and the receipt info with the
    dossier and every fee."""
    message = init_message(REQUEST)
    assert message["MaDoiTac"] == REQUEST["partnerCode"]
    assert message["MaThamChieu"] == REQUEST["paymentReference"]
    assert (message["SoTien"], message["MaTienTe"]) == (REQUEST["totalAmountVnd"], "VND")
    bill = message["ThongTinBienLai"]
    assert bill["MaDonVi"] == REQUEST["agency"]["code"]
    assert bill["MaHoSo"] == REQUEST["dossierCode"]
    assert [f["SoTien"] for f in bill["PhiLePhi"]] == [f["amountVnd"] for f in REQUEST["fees"]]


def test_a_signed_message_checks_and_any_change_breaks_it() -> None:
    """MaXacThuc verifies under the shared key; another key, a changed amount or a changed
    dossier code inside ThongTinBienLai fail the check."""
    message = signed("Init", init_message(REQUEST), KEY)
    assert checksum_ok("Init", message, KEY)
    assert not checksum_ok("Init", message, b"another key")
    assert not checksum_ok("Init", message | {"SoTien": message["SoTien"] + 1}, KEY)
    bill = message["ThongTinBienLai"] | {"MaHoSo": "H24.22-OTHER"}
    assert not checksum_ok("Init", message | {"ThongTinBienLai": bill}, KEY)
    assert not checksum_ok("Init", {k: v for k, v in message.items() if k != "MaXacThuc"}, KEY)


def test_the_checksum_is_hmac_sha256_of_the_fields_in_order() -> None:
    """The documented formula: HMAC-SHA256 hex of the listed fields joined by |."""
    reply = {"MaLoi": "00", "MaDoiTac": "P", "MaThamChieu": "R", "MaGiaoDich": "G"}
    expected = hmac.new(KEY, b"00|P|R|G", hashlib.sha256).hexdigest()
    assert checksum("Init.reply", reply, KEY) == expected


def test_a_paid_result_marks_the_dossier_paid_online_with_its_fees() -> None:
    """resultCode 00 for the full amount: paidOnline true and the request's fees."""
    dossier = paid_dossier({"dossierCode": "X", "paidOnline": False}, REQUEST, _result())
    assert dossier["paidOnline"] is True
    assert dossier["fees"] == REQUEST["fees"]


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (_result(resultCode="05", amountVnd=0), "LGSP-PAYMENT-REFUSED"),
        (_result(resultCode="LGSP-PAYMENT-BAD-CHECKSUM"), "LGSP-PAYMENT-REFUSED"),
        (_result(amountVnd=1), "LGSP-PAYMENT-AMOUNT-MISMATCH"),
    ],
)
def test_a_failed_or_short_payment_does_not_mark_the_dossier(
    result: dict[str, Any], code: str
) -> None:
    """A refusal, our own failure code, or a short amount raise PaymentError with its code."""
    with pytest.raises(PaymentError) as caught:
        paid_dossier({"dossierCode": "X"}, REQUEST, result)
    assert caught.value.code == code


def test_a_failed_payment_is_answered_with_the_platform_code() -> None:
    """The failure reply of the payment exchange carries the platform's MaLoi when it refused,
    our code otherwise, and the reason."""
    assert PAYMENT.failure_reply is not None
    refused = PaymentError("refused", code="LGSP-PAYMENT-REFUSED", platform_code="05")
    reply = PAYMENT.failure_reply(REQUEST, refused)
    assert (reply["resultCode"], reply["amountVnd"], reply["paidAt"]) == ("05", 0, None)
    assert reply["message"] == "LGSP-PAYMENT-REFUSED: refused"
    ours = PAYMENT.failure_reply(REQUEST, PaymentError("x", code="LGSP-PAYMENT-BAD-CHECKSUM"))
    assert ours["resultCode"] == "LGSP-PAYMENT-BAD-CHECKSUM"
