"""Enterprise / tax codes (mã số doanh nghiệp, mã số thuế): 10 digits, or 13 for a branch
(written 10-3, or as 13 digits running on, as some systems send it).

The tenth digit is a check digit: weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on digits 1-9,
r = sum mod 11, check = 10 - r.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.errors import IdentifierError

_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def check_digit(first_nine: str) -> int:
    """The check digit for nine digits (10 means no valid code has these nine digits)."""
    return 10 - sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True)) % 11


@dataclass(frozen=True, slots=True)
class TaxCode:
    """A validated tax code; ``branch`` is the 3-digit unit suffix, or None for the head office."""

    base: str
    branch: str | None = None

    @staticmethod
    def parse(text: str) -> TaxCode:
        base, dash, branch = text.partition("-") if isinstance(text, str) else ("", "", "")
        if not dash and len(base) == 13:  # 13 digits without the dash: a branch
            base, dash, branch = base[:10], "-", base[10:]
        if not (len(base) == 10 and base.isascii() and base.isdigit()):
            raise IdentifierError(
                f"{text!r} is not a tax code: expected 10 digits, or 13 for a branch "
                "(0100109106-001 or 0100109106001)",
                code="LGSP-ID-TAX",
            )
        if dash and not (
            len(branch) == 3 and branch.isascii() and branch.isdigit() and branch != "000"
        ):
            raise IdentifierError(
                f"{text!r}: a branch suffix is 3 digits, 001 to 999", code="LGSP-ID-TAX"
            )
        if check_digit(base[:9]) != int(base[9]):
            raise IdentifierError(f"{text!r}: the check digit does not match", code="LGSP-ID-TAX")
        return TaxCode(base, branch if dash else None)

    def __str__(self) -> str:
        return f"{self.base}-{self.branch}" if self.branch else self.base
