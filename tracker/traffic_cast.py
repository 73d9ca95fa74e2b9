"""Who and what the synthetic quarter (``tracker.traffic``) is made of: the procedures of a
province's one-stop shops, citizens with a CCCD of the province, the officials handling their
dossiers, recipients' feedback notes, where documents are promulgated."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from schemas.ids.provinces import provinces

# (number, name, statutory working days, service level, handling tier)
PROCEDURES: Sequence[tuple[str, str, int, str, str]] = (
    ("1.001193", "Đăng ký khai sinh", 1, "full_online", "commune"),
    ("2.000815", "Chứng thực bản sao từ bản chính", 1, "partly_online", "commune"),
    ("1.000894", "Đăng ký kết hôn", 5, "partly_online", "commune"),
    ("1.004873", "Xác nhận tình trạng hôn nhân", 3, "full_online", "commune"),
    ("2.000720", "Đăng ký hộ kinh doanh", 3, "full_online", "district"),
    ("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", 15, "partly_online", "district"),
    ("1.001757", "Cấp bản sao trích lục hộ tịch", 1, "offline", "district"),
    ("2.000488", "Cấp phiếu lý lịch tư pháp", 10, "full_online", "department"),
    ("1.005412", "Cấp mã số đơn vị có quan hệ với ngân sách", 2, "full_online", "department"),
)
_NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Quốc Dũng", "Hoàng Thu Hà")
_HANDLERS = ("Phạm Thu Hà", "Đỗ Văn Long", "Vũ Thị Mai", "Bùi Đức Nam")
# Description of a recipient's status feedback; a refusal (02) must say why (QCVN 102:2016)
FEEDBACK_NOTES = {
    "01": "Văn bản đã đến",
    "02": "Từ chối tiếp nhận: không đúng thẩm quyền giải quyết",
    "03": "Đã vào sổ văn bản đến",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành",
}


def promulgation_place(province: str) -> str:
    """Where a province's documents are promulgated: the province (QĐ 124/2004 name)."""
    found = [p.name for p in provinces().values() if p.agency_code == province]
    return found[0] if found else "Hà Nội"


def citizen(rng: random.Random, birth_province: str) -> dict[str, Any]:
    """A citizen whose CCCD names the province's own code of birth registration."""
    birth = rng.randint(1950, 2005)
    century = 0 if birth < 2000 else 2
    serial = rng.randint(0, 999_999)
    cccd = f"0{birth_province}{century + rng.randint(0, 1)}{birth % 100:02d}{serial:06d}"
    return {
        "name": rng.choice(_NAMES),
        "kind": 1,
        "idNumber": cccd,
        "phone": f"09{rng.randint(0, 99_999_999):08d}",
        "email": None,
        "address": None,
    }


def handling_step(rng: random.Random) -> dict[str, Any]:
    """Who handled a dossier's step."""
    return {"handlerName": rng.choice(_HANDLERS), "title": None, "department": None, "note": None}
