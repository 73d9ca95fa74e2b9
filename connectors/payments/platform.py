"""The handler NGSP's payment responder runs for each ``payment.request``: Init, GetBill (the
bill must be the amount asked for), Confirm, each signed with MaXacThuc and each reply's
MaXacThuc checked; the ``payment.result`` it returns, or a PaymentError."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import structlog

from connectors.payments.errors import PaymentError
from connectors.payments.protocol import (
    SUCCESS,
    checksum_ok,
    init_message,
    parse_platform_time,
    signed,
)

log = structlog.get_logger("lgsp.payment")


class PaymentPlatform:
    """Calls the platform at ``url`` (``POST <url>/<message>``) as partner ``partner_code``."""

    def __init__(self, client: httpx.AsyncClient, url: str, partner_code: str, key: bytes):
        self.client, self.url = client, url.rstrip("/")
        self.partner_code, self.key = partner_code, key

    async def pay(self, request: dict[str, Any]) -> dict[str, Any]:
        """The payment.result of a payment the platform confirmed."""
        reference = request["paymentReference"]
        if request["partnerCode"] != self.partner_code:
            raise PaymentError(
                f"payment {reference}: partner {request['partnerCode']} is not this responder's "
                f"({self.partner_code})",
                code="LGSP-PAYMENT-REFUSED",
            )
        init = await self._call("Init", init_message(request), needs=("MaGiaoDich",))
        ids = {
            "MaDoiTac": self.partner_code,
            "MaThamChieu": reference,
            "MaGiaoDich": init["MaGiaoDich"],
        }
        bill = await self._call("GetBill", ids, needs=("SoTien",))
        if bill.get("SoTien") != request["totalAmountVnd"]:
            raise PaymentError(
                f"payment {reference}: the bill is {bill.get('SoTien')} đồng, "
                f"{request['totalAmountVnd']} were asked for",
                code="LGSP-PAYMENT-AMOUNT-MISMATCH",
                transaction_id=init["MaGiaoDich"],
            )
        confirmed = await self._call(
            "Confirm",
            ids | {"SoTien": bill["SoTien"]},
            needs=("MaGiaoDich", "SoTien", "ThoiGianThanhToan"),
        )
        log.info("payment_confirmed", payment=reference, transaction=confirmed["MaGiaoDich"])
        try:
            paid_at = parse_platform_time(str(confirmed["ThoiGianThanhToan"]))
            amount = int(confirmed["SoTien"])
        except ValueError as error:
            raise PaymentError(
                f"Confirm: {error}", code="LGSP-PAYMENT-REFUSED", transaction_id=ids["MaGiaoDich"]
            ) from error
        return {
            "paymentReference": reference,
            "resultCode": SUCCESS,
            "message": confirmed.get("MoTa") or None,
            "transactionId": str(confirmed["MaGiaoDich"]),
            "amountVnd": amount,
            "receiptNumber": confirmed.get("SoBienLai") or None,
            "paidAt": paid_at,
        }

    async def _call(
        self, kind: str, message: dict[str, Any], needs: tuple[str, ...] = ()
    ) -> Mapping[str, Any]:
        try:
            response = await self.client.post(
                f"{self.url}/{kind}", json=signed(kind, message, self.key)
            )
        except httpx.HTTPError as error:
            raise PaymentError(
                f"{kind}: {type(error).__name__} calling the payment platform: {error}",
                code="LGSP-PAYMENT-UNAVAILABLE",
                retriable=True,
            ) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise PaymentError(
                f"{kind}: the payment platform answered {response.status_code}",
                code="LGSP-PAYMENT-UNAVAILABLE",
                retriable=True,
            )
        try:
            reply = response.json()
        except ValueError as error:
            raise PaymentError(
                f"{kind}: the payment platform answered {response.status_code} with no JSON",
                code="LGSP-PAYMENT-UNAVAILABLE",
                retriable=True,
            ) from error
        if not isinstance(reply, dict):
            raise PaymentError(
                f"{kind}: the reply is not a JSON object", code="LGSP-PAYMENT-REFUSED"
            )
        if reply.get("MaLoi") != SUCCESS:
            raise PaymentError(
                f"{kind}: the payment platform refused with MaLoi {reply.get('MaLoi')}: "
                f"{reply.get('MoTa', '')}",
                code="LGSP-PAYMENT-REFUSED",
                platform_code=str(reply.get("MaLoi")),
            )
        if not checksum_ok(f"{kind}.reply", reply, self.key):
            raise PaymentError(
                f"{kind}: the reply's MaXacThuc does not match its fields (tampered, or another "
                "key)",
                code="LGSP-PAYMENT-BAD-CHECKSUM",
            )
        missing = [name for name in needs if reply.get(name) in (None, "")]
        if missing:
            raise PaymentError(
                f"{kind}: the reply has no {', '.join(missing)}", code="LGSP-PAYMENT-REFUSED"
            )
        return reply
