"""The demo's one-stop-shop dossiers: each keeps its procedure, owner, channel, receipt date and
summary across its events, and each date comes with the status that sets it (finishedAt with
status 9, returnedAt with 10), as the national portal expects them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas.ids.synthetic import synthetic_citizen_id, synthetic_tax_code

DOSSIER_PATH = (1, 2, 4, 9, 10)  # newly registered, received, processing, finished, returned


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str  # national code, e.g. 1.001612; the province's code is appended
    name: str
    service_level: str
    summary: str  # what the dossier asks, before the owner's name
    by_business: bool = False


PROCEDURES = (
    Procedure("1.001612", "Đăng ký khai sinh", "full_online", "Đăng ký khai sinh cho con của"),
    Procedure("1.000894", "Đăng ký kết hôn", "partly_online", "Đăng ký kết hôn của"),
    Procedure(
        "1.001193", "Chứng thực bản sao từ bản chính", "partly_online", "Chứng thực bản sao cho"
    ),
    Procedure(
        "2.000720", "Đăng ký hộ kinh doanh", "full_online", "Đăng ký hộ kinh doanh của", True
    ),
)
STEP_NOTES = {
    1: "Tiếp nhận hồ sơ trực tuyến",
    2: "Tiếp nhận hồ sơ",
    4: "Chuyển xử lý",
    9: "Hoàn thành xử lý",
    10: "Trả kết quả",
}
HANDLERS = ("Phạm Thu Hà", "Đỗ Văn Long", "Vũ Thị Mai", "Bùi Đức Nam")
_PEOPLE = (
    ("Nguyễn Văn An", False),
    ("Trần Thị Bình", True),
    ("Lê Minh Châu", True),
    ("Phạm Quốc Dũng", False),
    ("Hoàng Thu Hà", True),
)


def citizen(rng: random.Random, birth_province: str) -> dict[str, Any]:
    """A citizen (name, kind 1, CCCD of their province of birth registration)."""
    name, female = rng.choice(_PEOPLE)
    number = synthetic_citizen_id(rng, birth_province, rng.randint(1950, 2005), female)
    return {"name": name, "kind": 1, "idNumber": number}


@dataclass
class DossierLife:
    """What stays the same across a dossier's events, and where it is on its path."""

    code: str
    commune: str
    commune_name: str
    procedure: Procedure
    owner: dict[str, Any]
    channel: int
    received_at: datetime
    due_at: datetime
    step: int = 0
    finished_at: datetime | None = None
    returned_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.step == len(DOSSIER_PATH)


def new_dossier(
    rng: random.Random,
    code: str,
    commune: tuple[str, str],
    birth_province: str,
    now: datetime,
) -> DossierLife:
    """A dossier received now (or, for the 12 % that will be late, three days ago and due
    five minutes ago)."""
    procedure = rng.choice(PROCEDURES)
    owner = citizen(rng, birth_province) | {
        "phone": f"09{rng.randrange(100_000_000):08d}",
        "email": None,
        "address": None,
    }
    if procedure.by_business:  # a household business files with its tax code
        owner |= {"name": f"Hộ kinh doanh {owner['name']}", "kind": 2}
        owner["idNumber"] = synthetic_tax_code(rng)
    late = rng.random() < 0.12
    return DossierLife(
        code=code,
        commune=commune[0],
        commune_name=commune[1],
        procedure=procedure,
        owner=owner,
        channel=rng.choice([1, 2, 2, 2]),
        received_at=now - timedelta(days=3) if late else now,
        due_at=now - timedelta(minutes=5) if late else now + timedelta(days=3),
    )


def next_status(life: DossierLife, rng: random.Random, now: datetime) -> dict[str, Any]:
    """The dossier's next event as changes to a dossier.status v2 record; moves it on."""
    status = DOSSIER_PATH[life.step]
    if status == 9:
        life.finished_at = now
    if status == 10:
        life.returned_at = now
    previous = DOSSIER_PATH[life.step - 1] if life.step else None
    life.step += 1
    procedure = life.procedure
    return {
        "dossierCode": life.code,
        "procedureCode": f"{procedure.code}.000.00.00.{life.code[:3]}",
        "procedureName": procedure.name,
        "fieldCode": None,
        "receivingAgency": {"code": life.commune, "name": life.commune_name},
        "owner": life.owner,
        "summary": f"{procedure.summary} {life.owner['name']}",
        "channel": life.channel,
        "serviceLevel": procedure.service_level,
        "statusCode": status,
        "previousStatusCode": previous,
        "receivedAt": life.received_at,
        "dueAt": life.due_at,
        "finishedAt": life.finished_at,
        "returnedAt": life.returned_at,
        "step": {
            "handlerName": rng.choice(HANDLERS),
            "title": None,
            "department": "Bộ phận một cửa",
            "note": STEP_NOTES[status],
        },
        "fees": [],
        "paidOnline": False,
        "changedAt": now,
        "electronicResult": status == 10 and life.channel == 2,
        "digitised": True,
    }
