"""Identifiers of the Vietnamese standards: agency codes, CCCD, tax codes, unit codes, and the
agency directory that routing queries."""

from schemas.ids.adminunit import AdminUnitCode
from schemas.ids.agency import AgencyCode
from schemas.ids.citizen import CitizenId
from schemas.ids.directory import Agency, AgencyDirectory, bundled_directory
from schemas.ids.taxcode import TaxCode

__all__ = [
    "AdminUnitCode",
    "Agency",
    "AgencyCode",
    "AgencyDirectory",
    "CitizenId",
    "TaxCode",
    "bundled_directory",
]
