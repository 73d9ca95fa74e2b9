"""Administrative unit codes (QĐ 124/2004/QĐ-TTg): province 2 digits, district 3, commune 5.

Each code carries the code system it belongs to, because the 2025 reform brought a new table
(34 provinces, no districts). Provinces are checked against the bundled table of their system;
district and commune codes are checked for form only.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas.errors import IdentifierError
from schemas.ids.provinces import CODE_SYSTEM_2004, province_by_code, provinces

_LEVELS = {2: "province", 3: "district", 5: "commune"}


@dataclass(frozen=True, slots=True)
class AdminUnitCode:
    code: str
    level: str
    code_system: str = CODE_SYSTEM_2004

    @staticmethod
    def parse(text: str, code_system: str = CODE_SYSTEM_2004) -> AdminUnitCode:
        level = _LEVELS.get(len(text)) if isinstance(text, str) else None
        if level is None or not (text.isascii() and text.isdigit()):
            raise IdentifierError(
                f"{text!r} is not an administrative unit code: 2 digits (province), "
                "3 (district) or 5 (commune)",
                code="LGSP-ID-ADMIN-UNIT",
            )
        if (
            level == "province"
            and provinces(code_system)
            and not province_by_code(text, code_system)
        ):
            raise IdentifierError(
                f"{text!r} is no province in code system {code_system}", code="LGSP-ID-ADMIN-UNIT"
            )
        return AdminUnitCode(text, level, code_system)
