"""The province table of QĐ 124/2004/QĐ-TTg (63 provinces before the 2025 reform), as data.

Agency codes are filled where they follow the alphabetical H-numbering seen in practice; ops can
edit the CSV. A later code system (the 2025 reform's 34 provinces) is another table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

CODE_SYSTEM_2004 = "QD124-2004"


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    agency_code: str | None


@cache
def provinces(code_system: str = CODE_SYSTEM_2004) -> dict[str, Province]:
    """Provinces of a code system by two-digit code; empty for a system with no bundled table."""
    if code_system != CODE_SYSTEM_2004:
        return {}
    text = resources.files("schemas").joinpath("data/provinces-qd124-2004.csv").read_text("utf-8")
    return {
        row["code"]: Province(row["code"], row["name"], row["agency_code"] or None)
        for row in csv.DictReader(text.splitlines())
    }


def province_by_code(code: str, code_system: str = CODE_SYSTEM_2004) -> Province | None:
    return provinces(code_system).get(code)
