"""Errors of payments.

    LgspError
    └── PaymentError                  LGSP-PAYMENT-*
        ├── code LGSP-PAYMENT-REFUSED          the platform answered MaLoi other than "00"
        ├── code LGSP-PAYMENT-BAD-CHECKSUM     a reply's MaXacThuc is not the one its fields give
        ├── code LGSP-PAYMENT-AMOUNT-MISMATCH  the bill is not the amount asked for
        └── code LGSP-PAYMENT-UNAVAILABLE      (retriable) timeouts, 5xx, a reply that is not JSON

``platform_code`` keeps the platform's own MaLoi when it refused; the payment.result that goes
back to the one-stop-shop carries it.
"""

from __future__ import annotations

from schemas.errors import LgspError


class PaymentError(LgspError):
    code = "LGSP-PAYMENT"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retriable: bool | None = None,
        platform_code: str | None = None,
        transaction_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, retriable=retriable)
        self.platform_code = platform_code
        self.transaction_id = transaction_id
