"""What a one-stop-shop does with a ``payment.result``: a paid dossier is marked paid online
(DuocThanhToanTrucTuyen), anything else is a PaymentError with the platform's reason. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.payments.errors import PaymentError
from connectors.payments.protocol import SUCCESS


def paid_dossier(
    dossier: Mapping[str, Any], request: Mapping[str, Any], result: Mapping[str, Any]
) -> dict[str, Any]:
    """The dossier (plain JSON) with its fees and ``paidOnline`` true, when ``result`` says the
    fees of ``request`` were paid in full; PaymentError otherwise."""
    reference = request["paymentReference"]
    if result["resultCode"] != SUCCESS:
        raise PaymentError(
            f"payment {reference} failed with {result['resultCode']}: {result.get('message')}",
            code="LGSP-PAYMENT-REFUSED",
            platform_code=result["resultCode"],
        )
    if result["amountVnd"] != request["totalAmountVnd"]:
        raise PaymentError(
            f"payment {reference}: {result['amountVnd']} đồng paid, "
            f"{request['totalAmountVnd']} due",
            code="LGSP-PAYMENT-AMOUNT-MISMATCH",
        )
    return {**dossier, "fees": list(request["fees"]), "paidOnline": True}
