"""Agency codes of QĐ 20/2020/QĐ-TTg (structure of QCVN 102:2016): ``LLL.KK.NN.Xnn``.

The rightmost block is level 1 (a letter and two digits: G ministries and Government agencies,
H provinces, other letters for other branches), then level 2 (NN), level 3 (KK), level 4 (LLL);
unused levels are zeros. A unit's parent is its code with the lowest non-zero level zeroed.
The code's level is structural only: whether a unit is a district or a commune comes from the
agency directory, because the 2025 reform removed the district tier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from schemas.errors import IdentifierError

_PATTERN = re.compile(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z])(\d{2})$")


@dataclass(frozen=True, slots=True)
class AgencyCode:
    """A validated agency code; build one with ``AgencyCode.parse``."""

    level4: str
    level3: str
    level2: str
    level1: str

    @staticmethod
    def parse(text: str) -> AgencyCode:
        """Parse and validate; raises LGSP-ID-AGENCY with the reason."""
        return _parse_cached(text)

    @staticmethod
    def is_valid(text: str) -> bool:
        try:
            _parse_cached(text)
        except IdentifierError:
            return False
        return True

    def __str__(self) -> str:
        return f"{self.level4}.{self.level3}.{self.level2}.{self.level1}"

    @property
    def branch(self) -> str:
        """The level-1 letter: G Government bodies, H provinces..."""
        return self.level1[0]

    @property
    def level(self) -> int:
        """Depth in the hierarchy: 1 for a ministry or province, up to 4."""
        if self.level4 != "000":
            return 4
        if self.level3 != "00":
            return 3
        if self.level2 != "00":
            return 2
        return 1

    @property
    def parent(self) -> AgencyCode | None:
        """The unit directly above (its lowest non-zero level zeroed), None at level 1."""
        level = self.level
        if level == 4:
            return AgencyCode("000", self.level3, self.level2, self.level1)
        if level == 3:
            return AgencyCode("000", "00", self.level2, self.level1)
        if level == 2:
            return AgencyCode("000", "00", "00", self.level1)
        return None

    @property
    def root(self) -> AgencyCode:
        """The level-1 unit (ministry or province) this unit belongs to."""
        return AgencyCode("000", "00", "00", self.level1)

    def ancestors(self) -> list[AgencyCode]:
        """Parents from the nearest up to level 1."""
        chain, current = [], self.parent
        while current is not None:
            chain.append(current)
            current = current.parent
        return chain

    def is_under(self, other: AgencyCode) -> bool:
        """True when ``other`` is this unit or one of its ancestors."""
        if self.level1 != other.level1:
            return False
        return (
            all(
                theirs in ("00", "000") or theirs == mine
                for mine, theirs in (
                    (self.level2, other.level2),
                    (self.level3, other.level3),
                    (self.level4, other.level4),
                )
            )
            and other.level <= self.level
        )


@lru_cache(maxsize=65536)
def _parse_cached(text: str) -> AgencyCode:
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if not match:
        raise IdentifierError(
            f"{text!r} is not an agency code: expected LLL.KK.NN.Xnn, e.g. 000.00.00.G22 "
            "(QĐ 20/2020/QĐ-TTg)",
            code="LGSP-ID-AGENCY",
        )
    level4, level3, level2, letter, digits = match.groups()
    if digits == "00":
        raise IdentifierError(
            f"{text!r}: level-1 number {letter}00 does not exist", code="LGSP-ID-AGENCY"
        )
    # A lower level cannot be used while a higher one is zero: 000.05.00.H29 has no parent.
    if (level3 != "00" and level2 == "00") or (
        level4 != "000" and (level3 == "00" or level2 == "00")
    ):
        raise IdentifierError(
            f"{text!r}: a lower level is set while a higher one is zero", code="LGSP-ID-AGENCY"
        )
    return AgencyCode(level4, level3, level2, letter + digits)
