"""The national population database (Cơ sở dữ liệu quốc gia về dân cư) as the demo has it:
the answer to a look-up, made from the asker's CCCD."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from schemas.ids.citizen import CitizenId


async def population_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The national population database (Cơ sở dữ liệu quốc gia về dân cư), as the demo has it."""
    reply = example_record(bundled_catalog().get("lookup.reply"))
    person = CitizenId.parse(request["subjectId"])  # the asker's CCCD was checked at ingress
    found = reply["citizen"] | {
        "idNumber": person.number,
        "sex": person.sex,
        "dateOfBirth": reply["citizen"]["dateOfBirth"].replace(year=person.birth_year),
        "birthRegistrationProvince": person.province_code,
    }
    return reply | {
        "requestId": request["requestId"],
        "citizen": found,
        "respondedAt": datetime.now(UTC),
    }
