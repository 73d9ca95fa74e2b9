"""The national payment platform's messages (impl.), pure: Init, GetBill and Confirm built
from a ``payment.request`` record, and the MaXacThuc checksum every message and reply carries.

MaXacThuc is HMAC-SHA256, in lower-case hex, under the key the platform shares with the
partner (MaDoiTac), of the message's checksum fields joined by ``|`` in the order of
``CHECKSUM_FIELDS`` (a field inside ThongTinBienLai is read from there). The platform's exact
formula is not published: the field lists are data, so a deployment adapts them, not the code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.vntime import compact_time, parse_compact_time

SUCCESS = "00"
CHECKSUM_FIELDS: dict[str, tuple[str, ...]] = {
    "Init": (
        "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "MaKenhThanhToan", "MaDichVu",
        "MaDonVi", "MaHoSo",
    ),
    "Init.reply": ("MaLoi", "MaDoiTac", "MaThamChieu", "MaGiaoDich"),
    "GetBill": ("MaDoiTac", "MaThamChieu", "MaGiaoDich"),
    "GetBill.reply": ("MaLoi", "MaDoiTac", "MaThamChieu", "MaGiaoDich", "SoTien"),
    "Confirm": ("MaDoiTac", "MaThamChieu", "MaGiaoDich", "SoTien"),
    "Confirm.reply": (
        "MaLoi", "MaDoiTac", "MaThamChieu", "MaGiaoDich", "SoTien", "SoBienLai",
        "ThoiGianThanhToan",
    ),
}  # fmt: skip


def _field(message: Mapping[str, Any], name: str) -> str:
    if name in message:
        value = message[name]
    else:
        value = (message.get("ThongTinBienLai") or {}).get(name, "")
    return "" if value is None else str(value)


def checksum(kind: str, message: Mapping[str, Any], key: bytes) -> str:
    """The MaXacThuc of a message of ``kind`` (``Init``, ``Init.reply``, ...)."""
    text = "|".join(_field(message, name) for name in CHECKSUM_FIELDS[kind])
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def signed(kind: str, message: dict[str, Any], key: bytes) -> dict[str, Any]:
    return message | {"MaXacThuc": checksum(kind, message, key)}


def checksum_ok(kind: str, message: Mapping[str, Any], key: bytes) -> bool:
    given = message.get("MaXacThuc")
    return isinstance(given, str) and hmac.compare_digest(given, checksum(kind, message, key))


def platform_time(value: datetime) -> str:
    return compact_time(value)


def parse_platform_time(text: str) -> datetime:
    return parse_compact_time(text)


def init_message(request: Mapping[str, Any]) -> dict[str, Any]:
    """The Init message of a ``payment.request`` record (unsigned)."""
    return {
        "MaDoiTac": request["partnerCode"],
        "MaThamChieu": request["paymentReference"],
        "SoTien": request["totalAmountVnd"],
        "MaTienTe": request.get("currency") or "VND",
        "MaKenhThanhToan": request.get("channel") or "",
        "ThoiGianYeuCau": platform_time(request["requestedAt"]),
        "ThongTinBienLai": {
            "MaDichVu": request["serviceCode"],
            "MaDonVi": request["agency"]["code"],
            "TenDonVi": request["agency"]["name"],
            "MaHoSo": request.get("dossierCode") or "",
            "NguoiNop": request["payerName"],
            "PhiLePhi": [
                {"MaPhiLePhi": f["code"], "TenPhiLePhi": f["name"], "SoTien": f["amountVnd"]}
                for f in request["fees"]
            ],
        },
    }
