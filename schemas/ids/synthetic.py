"""Made-up identifiers that keep every rule of the real ones, for demo and test traffic:
a CCCD of a given province, sex and birth year, and a tax code with its check digit. They
name nobody (random serials); never use them as real data."""

from __future__ import annotations

import random

from schemas.ids.taxcode import check_digit


def synthetic_citizen_id(rng: random.Random, province: str, birth_year: int, female: bool) -> str:
    """A CCCD: ``0`` + the two-digit province, the sex/century digit, the birth year's last
    two digits and six random digits."""
    century_digit = (birth_year - 1900) // 100 * 2 + int(female)
    return f"0{province}{century_digit}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"


def synthetic_tax_code(rng: random.Random) -> str:
    """A 10-digit enterprise code whose check digit matches."""
    while True:
        first_nine = f"0{rng.randrange(100_000_000):08d}"
        check = check_digit(first_nine)
        if check < 10:
            return first_nine + str(check)
