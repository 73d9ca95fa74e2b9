"""Agency patterns of routing tables and the trust registry: ``any``, one exact agency, or
``under CODE`` (an agency and every unit under it)."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.ids.agency import AgencyCode


@dataclass(frozen=True, slots=True)
class AgencyPattern:
    """``any``, one exact agency, or an agency and every unit under it."""

    code: AgencyCode | None
    under: bool

    @staticmethod
    def parse(text: str) -> AgencyPattern:
        words = text.split()
        if words == ["any"]:
            return AgencyPattern(None, True)
        if len(words) == 2 and words[0] == "under":
            return AgencyPattern(AgencyCode.parse(words[1]), True)
        if len(words) == 1:
            return AgencyPattern(AgencyCode.parse(words[0]), False)
        raise ValueError(f"{text!r}: expected an agency code, 'under CODE' or 'any'")

    def matches(self, code: AgencyCode) -> bool:
        if self.code is None:
            return True
        return code.is_under(self.code) if self.under else code == self.code
