"""Personal data in the contract's records, and masking it for display.

Which fields of the schemas hold personal data (Nghị định 13/2023/NĐ-CP: a citizen's name, id
number, date of birth, phone, e-mail, address), by name wherever they sit in a record. Tools
that show records to people (``lgsp consume``) mask them unless asked not to. Pure.
"""

from __future__ import annotations

from typing import Any

from schemas.ids.citizen import mask_citizen_id

PERSONAL_FIELDS = frozenset(
    {
        "idNumber",
        "fullName",
        "dateOfBirth",
        "phone",
        "mobile",
        "email",
        "address",
        "permanentAddress",
        "payerName",
    }
)


PERSONS = frozenset({"owner", "citizen", "legalRepresentative"})
"""Records describing a person (or a dossier's owner): their ``name`` is personal too."""


def mask_personal(value: Any, *, person: bool = False) -> Any:
    """A copy of a record (in its JSON form) with every personal field's text masked: the first
    3 and last 2 characters kept (``001*******45``), shorter ones hidden entirely."""
    if isinstance(value, dict):
        return {
            key: _masked(item)
            if key in PERSONAL_FIELDS or (person and key == "name")
            else mask_personal(item, person=key in PERSONS)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_personal(item, person=person) for item in value]
    return value


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_citizen_id(value)
    if isinstance(value, dict | list):
        return mask_personal(value)  # a union branch {"string": ...} or nested parts
    return value
