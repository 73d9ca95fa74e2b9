"""Our dossier records -> the portal's HoSo and progress (tiến độ) fields, and what a portal
reply means. Pure: no network.

The field names are the ones one-stop-shop systems send to the portal (DOMAIN.md); dates are
``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh. The mapping is documented field by field in
docs/connectors.md (section "National Public Service Portal").
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.vntime import compact_time, parse_compact_time


def portal_date(value: datetime | None) -> str:
    """``yyyyMMddHHmmss`` in Vietnam's time, or "" for a date the dossier does not have yet
    (implementations send empty strings, not nulls)."""
    return "" if value is None else compact_time(value)


def parse_portal_date(text: str) -> datetime:
    """The reverse of ``portal_date`` (a ValueError for anything else)."""
    return parse_compact_time(text)


def _fees(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"TenPhiLePhi": fee["name"], "MaPhiLePhi": fee["code"], "Gia": fee["amountVnd"]}
        for fee in record.get("fees") or []
    ]


def hoso(record: Mapping[str, Any]) -> dict[str, Any]:
    """The HoSo object of ``DongBoHoSoMC`` for one dossier record (v1 or v2, as decoded: dates
    are aware datetimes)."""
    owner = record["owner"]
    agency = record["receivingAgency"]
    return {
        "MaHoSo": record["dossierCode"],
        "MaTTHC": record["procedureCode"],
        "TenTTHC": record["procedureName"],
        "MaLinhVuc": record.get("fieldCode") or "",
        "TenLinhVuc": record.get("fieldName") or "",
        "KenhThucHien": record["channel"],
        "ChuHoSo": owner["name"],
        "LoaiDoiTuong": owner["kind"],
        "MaDoiTuong": "",
        "SoGiayToChuHoSo": owner.get("idNumber") or "",
        "Email": owner.get("email") or "",
        "SoDienThoai": owner.get("phone") or "",
        "DiaChi": owner.get("address") or "",
        "TrichYeuHoSo": record.get("summary") or "",
        "NgayTiepNhan": portal_date(record["receivedAt"]),
        "NgayHenTra": portal_date(record.get("dueAt")),
        "NgayTra": portal_date(record.get("returnedAt")),
        "NgayKetThucXuLy": portal_date(record.get("finishedAt")),
        "TrangThaiHoSo": record["statusCode"],
        "HinhThuc": 0,
        "MaDonViXuLy": agency["code"],
        "DonViXuLy": agency["name"],
        "TaiLieuNop": [],
        "DanhSachLePhi": _fees(record),
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
        "DuocThanhToanTrucTuyen": 1 if record.get("paidOnline") else 0,
    }


def progress(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The progress record of ``CapNhatTienDoHoSoMC`` for a status change that reports its
    processing step; None when the record has no step (nothing to report)."""
    step = record.get("step")
    if not step:
        return None
    return {
        "MaHoSo": record["dossierCode"],
        "NguoiXuLy": step["handlerName"],
        "ChucDanh": step.get("title") or "",
        "ThoiDiemXuLy": portal_date(record["changedAt"]),
        "PhongBanXuLy": step.get("department") or "",
        "NoiDungXuLy": step.get("note") or "",
        "TrangThai": record["statusCode"],
        "NgayBatDau": portal_date(record["receivedAt"]),
        "NgayKetThucTheoQuyDinh": portal_date(record.get("dueAt")),
    }


class ReplyKind(enum.Enum):
    """What a portal reply means for the call that got it."""

    SUCCESS = "success"
    SESSION_EXPIRED = "session_expired"  # log in again, then repeat the call
    RETRIABLE = "retriable"  # the portal asks to come back later
    REFUSED = "refused"  # the portal will refuse this record every time: park it


@dataclass(frozen=True)
class ReplyCodes:
    """The portal's ``error_code`` values by meaning (data: the portal's own list changes)."""

    success: Collection[str] = ("0", "00")
    session_expired: Collection[str] = ()
    retriable: Collection[str] = ()


@dataclass(frozen=True)
class PortalReply:
    kind: ReplyKind
    error_code: str
    message: str
    body: Mapping[str, Any]


def read_reply(body: Any, codes: ReplyCodes) -> PortalReply:
    """Classify a JSON reply by its ``error_code`` (0 and "00" are the same success); a reply
    without one is the portal refusing to say: retried, as a broken answer."""
    if not isinstance(body, Mapping) or "error_code" not in body:
        return PortalReply(
            ReplyKind.RETRIABLE,
            "",
            "the reply has no error_code",
            body if isinstance(body, Mapping) else {},
        )
    code = str(body["error_code"]).strip()
    message = str(body.get("message") or body.get("error_message") or "")
    if code in codes.success or (code.isdigit() and int(code) == 0):
        kind = ReplyKind.SUCCESS
    elif code in codes.session_expired:
        kind = ReplyKind.SESSION_EXPIRED
    elif code in codes.retriable:
        kind = ReplyKind.RETRIABLE
    else:
        kind = ReplyKind.REFUSED
    return PortalReply(kind, code, message, body)


def found_dossier(reply: PortalReply) -> bool:
    """Whether ``TraCuuHoSo`` found the dossier: a success whose ``result`` holds it (a
    "not found" code the sink accepts is not)."""
    if reply.kind is not ReplyKind.SUCCESS:
        return False
    result = reply.body.get("result")
    if isinstance(result, list):
        return bool(result)
    return bool(result)
