"""The agency directory: which agencies exist, their tier and the node that serves them.

It is data (``schemas/data/agencies.csv``, editable by ops, or any CSV of the same columns):
the tier (central, ministry, province, department, district, commune...) comes from here,
never from the shape of a code, so the four-tier and the post-2025 two-tier hierarchies live
side by side. The bundled file is a realistic subset for development and the demo.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from schemas.errors import IdentifierError
from schemas.ids.agency import AgencyCode

COLUMNS = ("code", "name", "name_en", "tier", "node", "admin_unit")


@dataclass(frozen=True, slots=True)
class Agency:
    """One directory entry."""

    code: AgencyCode
    name: str
    name_en: str
    tier: str
    node: str | None = None
    admin_unit: str | None = None


class AgencyDirectory:
    """Agencies by code, with the hierarchy queries routing needs."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self._by_code: dict[AgencyCode, Agency] = {}
        self._children: dict[AgencyCode, list[AgencyCode]] = defaultdict(list)
        for agency in agencies:
            if agency.code in self._by_code:
                raise IdentifierError(
                    f"agency {agency.code} is listed twice", code="LGSP-ID-DIRECTORY"
                )
            self._by_code[agency.code] = agency
        for code in self._by_code:
            parent = code.parent
            if parent is not None:
                self._children[parent].append(code)

    @classmethod
    def from_csv_text(cls, text: str, source: str = "directory") -> AgencyDirectory:
        rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
        if tuple(rows.fieldnames or ()) != COLUMNS:
            raise IdentifierError(
                f"{source}: columns must be {', '.join(COLUMNS)}", code="LGSP-ID-DIRECTORY"
            )
        agencies = []
        for line_number, row in enumerate(rows, start=2):
            try:
                code = AgencyCode.parse(row["code"])
            except IdentifierError as error:
                raise IdentifierError(
                    f"{source} line {line_number}: {error.message}", code="LGSP-ID-DIRECTORY"
                ) from error
            agencies.append(
                Agency(
                    code,
                    row["name"],
                    row["name_en"],
                    row["tier"],
                    row["node"] or None,
                    row["admin_unit"] or None,
                )
            )
        return cls(agencies)

    @classmethod
    def from_csv(cls, path: Path) -> AgencyDirectory:
        return cls.from_csv_text(path.read_text(encoding="utf-8"), source=str(path))

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return self.find(code) is not None if isinstance(code, str | AgencyCode) else False

    def find(self, code: str | AgencyCode) -> Agency | None:
        if isinstance(code, str):
            if not AgencyCode.is_valid(code):
                return None
            code = AgencyCode.parse(code)
        return self._by_code.get(code)

    def get(self, code: str | AgencyCode) -> Agency:
        agency = self.find(code)
        if agency is None:
            raise IdentifierError(
                f"agency {code} is not in the directory", code="LGSP-ID-UNKNOWN-AGENCY"
            )
        return agency

    def children(self, code: str | AgencyCode) -> list[Agency]:
        """Units directly under ``code``, in code order."""
        parent = self.get(code).code
        return sorted(
            (self._by_code[c] for c in self._children.get(parent, [])), key=lambda a: str(a.code)
        )

    def descendants(self, code: str | AgencyCode, tier: str | None = None) -> list[Agency]:
        """Every unit under ``code`` (not itself), optionally only of one tier: fan-out targets."""
        found, stack = [], [self.get(code).code]
        while stack:
            for child in self._children.get(stack.pop(), []):
                found.append(self._by_code[child])
                stack.append(child)
        return sorted(
            (a for a in found if tier is None or a.tier == tier), key=lambda a: str(a.code)
        )

    def node_for(self, code: str | AgencyCode) -> str:
        """The node serving an agency: its own, else its nearest listed ancestor's."""
        parsed = code if isinstance(code, AgencyCode) else AgencyCode.parse(code)
        for candidate in (parsed, *parsed.ancestors()):
            agency = self._by_code.get(candidate)
            if agency is not None and agency.node:
                return agency.node
        raise IdentifierError(
            f"no node serves agency {parsed}: add it or an ancestor to the directory",
            code="LGSP-ID-UNKNOWN-AGENCY",
        )


@cache
def bundled_directory() -> AgencyDirectory:
    """The directory shipped with the contract (a realistic subset)."""
    text = resources.files("schemas").joinpath("data/agencies.csv").read_text("utf-8")
    return AgencyDirectory.from_csv_text(text, source="schemas/data/agencies.csv")
