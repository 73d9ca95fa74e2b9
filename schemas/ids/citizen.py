"""Personal identification numbers (số định danh cá nhân / CCCD): 12 digits.

Digits 1-3 are the province of birth registration ("0" + the province's two-digit code of
QĐ 124/2004), digit 4 gives sex and century (0 male / 1 female born in the 1900s, 2 / 3 in the
2000s, 4 / 5 in the 2100s ...), digits 5-6 the year of birth, then 6 random digits. A CCCD is
personal data: never log it; mask it for destinations not entitled to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.errors import IdentifierError
from schemas.ids.provinces import province_by_code


@dataclass(frozen=True, slots=True)
class CitizenId:
    """A validated CCCD; ``repr`` never shows the full number."""

    number: str

    @staticmethod
    def parse(text: str) -> CitizenId:
        if not (isinstance(text, str) and len(text) == 12 and text.isascii() and text.isdigit()):
            raise IdentifierError(
                "a personal id number (CCCD) has exactly 12 digits", code="LGSP-ID-CCCD"
            )
        if province_by_code(text[1:3]) is None or text[0] != "0":
            raise IdentifierError(
                f"CCCD starting {text[:3]} names no province of birth registration "
                "(expected 0 + a province code of QĐ 124/2004, e.g. 001 Hà Nội)",
                code="LGSP-ID-CCCD",
            )
        return CitizenId(text)

    def __repr__(self) -> str:
        return f"CitizenId({self.masked()!r})"

    @property
    def province_code(self) -> str:
        """Three-digit province of birth registration, e.g. 001."""
        return self.number[:3]

    @property
    def sex(self) -> str:
        return "female" if int(self.number[3]) % 2 else "male"

    @property
    def birth_year(self) -> int:
        century = 1900 + (int(self.number[3]) // 2) * 100
        return century + int(self.number[4:6])

    def masked(self) -> str:
        """The number with its 7 middle digits hidden: 001*******45."""
        return mask_citizen_id(self.number)


def mask_citizen_id(number: str) -> str:
    """Hide all but the province code and the last two digits of any id-like string."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]
