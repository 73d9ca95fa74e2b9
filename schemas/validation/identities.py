"""Identity rules, pure: agency codes from the directory, a citizen's CCCD (with a birth year
that has happened), a business's tax code."""

from __future__ import annotations

from schemas.errors import IdentifierError
from schemas.ids.agency import AgencyCode
from schemas.ids.citizen import CitizenId
from schemas.ids.directory import AgencyDirectory
from schemas.ids.taxcode import TaxCode
from schemas.validation import codes as v
from schemas.validation.violation import Violation


def agency_violation(code: object, path: str, directory: AgencyDirectory) -> Violation | None:
    """An agency code must be well formed (QĐ 20/2020/QĐ-TTg) and listed in the directory."""
    if not isinstance(code, str) or not AgencyCode.is_valid(code):
        return Violation(v.AGENCY, path, f"{code!r} is not an agency code LLL.KK.NN.Xnn")
    if directory.find(code) is None:
        return Violation(v.UNKNOWN_AGENCY, path, f"agency {code} is not in the directory")
    return None


def citizen_id_violation(number: object, path: str, year: int) -> Violation | None:
    """A CCCD: 12 digits, a province of birth registration, and a sex/century digit with the
    birth year giving a year of birth no later than ``year`` (the record's own year).

    Source: NĐ 137/2015/NĐ-CP art. 7 and TT 07/2016/TT-BCA (structure and province codes).
    The message never repeats the number: it is personal data.
    """
    try:
        citizen = CitizenId.parse(number if isinstance(number, str) else "")
    except IdentifierError as error:
        return Violation(v.CCCD, path, error.message)
    if citizen.birth_year > year:
        return Violation(
            v.CCCD,
            path,
            f"sex/century digit {citizen.number[3]} with birth year digits give a birth in "
            f"{citizen.birth_year}, after the record's year {year}",
        )
    return None


def tax_code_violation(text: object, path: str) -> Violation | None:
    """A tax code: 10 digits with the check digit, or 13 for a branch (TT 105/2020/TT-BTC
    structure; check digit as DOMAIN.md gives it, impl.)."""
    try:
        TaxCode.parse(text if isinstance(text, str) else "")
    except IdentifierError as error:
        return Violation(v.TAX, path, error.message)
    return None


def is_masked(number: str) -> bool:
    """An id masked by the gateway for a destination not entitled to it (``001*******45``,
    ``mask_citizen_id``): it cannot be checked, and is accepted as masked (bus)."""
    return (
        len(number) in (10, 12, 13, 14)
        and number[:3].isdigit()
        and number[-2:].isdigit()
        and set(number[3:-2]) == {"*"}
    )


def subject_id_violation(kind: object, number: object, path: str, year: int) -> Violation | None:
    """An owner's id by its kind: 1 citizen (CCCD), 2 business (tax code); masked ids pass."""
    if number is None or number == "":
        label = "citizen's CCCD" if kind == 1 else "business's tax code"
        return Violation(v.OWNER_ID, path, f"the {label} is missing")
    if isinstance(number, str) and is_masked(number):
        return None
    if kind == 1:
        return citizen_id_violation(number, path, year)
    if kind == 2:
        return tax_code_violation(number, path)
    return None
