"""The national portal's field mapping and reply codes (connectors/dvcqg/hoso.py), pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.dvcqg.hoso import (
    ReplyCodes,
    ReplyKind,
    found_dossier,
    hoso,
    parse_portal_date,
    portal_date,
    progress,
    read_reply,
)
from connectors.dvcqg.sink import DvcqgSinkConfig
from schemas.catalog import bundled_catalog
from schemas.examples import example_json
from schemas.jsonform import from_json

DOSSIER = bundled_catalog().get("dossier.status", 1)  # what NGSP delivers to the portal
CODES = ReplyCodes(success=("0", "00"), session_expired=("-1",), retriable=("99",))


def _record(**changes: Any) -> dict[str, Any]:
    return from_json(DOSSIER, example_json(DOSSIER) | changes)


def test_dates_are_written_in_vietnam_time_without_separators() -> None:
    """A UTC instant is written yyyyMMddHHmmss in Asia/Ho_Chi_Minh (UTC+7), and read back."""
    instant = datetime(2026, 11, 18, 17, 30, 5, tzinfo=UTC)
    assert portal_date(instant) == "20261119003005"
    assert parse_portal_date("20261119003005") == instant
    assert portal_date(None) == ""


@pytest.mark.parametrize(
    "text", ["2026-11-19", "2026111900300", "２０２６１１１９００３００５", ""]
)
def test_anything_but_fourteen_digits_is_not_a_portal_date(text: str) -> None:
    """Dates with separators, too short, or with non-ASCII digits are refused."""
    with pytest.raises(ValueError):
        parse_portal_date(text)


def test_hoso_carries_the_portal_field_names_of_the_dossier() -> None:
    """The example dossier becomes a HoSo with its code, procedure, owner, channel, status,
    handling unit and dates in the portal's form."""
    dossier = hoso(_record())
    assert dossier["MaHoSo"] == "H24.22-261118-0042"
    assert dossier["MaTTHC"] == "1.001612.000.00.00.H24"
    assert dossier["TenTTHC"] == "Đăng ký khai sinh"
    assert dossier["MaLinhVuc"] == "G09-TP01"
    assert (dossier["ChuHoSo"], dossier["LoaiDoiTuong"]) == ("Lê Minh Châu", 1)
    assert dossier["SoGiayToChuHoSo"] == "001190012345"
    assert (dossier["KenhThucHien"], dossier["TrangThaiHoSo"]) == (2, 4)
    assert dossier["NgayTiepNhan"] == "20261118083000"
    assert dossier["NgayHenTra"] == "20261119170000"
    assert dossier["NgayTra"] == "" and dossier["NgayKetThucXuLy"] == ""
    assert (dossier["MaDonViXuLy"], dossier["DonViXuLy"]) == (
        "000.01.02.H24",
        "UBND phường Phúc Xá",
    )
    assert dossier["DuocThanhToanTrucTuyen"] == 0


def test_fees_and_online_payment_are_carried() -> None:
    """Fees become DanhSachLePhi and paidOnline becomes DuocThanhToanTrucTuyen 1."""
    fee = {"code": "LP01", "name": "Lệ phí hộ tịch", "amountVnd": 8000}
    dossier = hoso(_record(fees=[fee], paidOnline=True))
    assert dossier["DanhSachLePhi"] == [
        {"TenPhiLePhi": "Lệ phí hộ tịch", "MaPhiLePhi": "LP01", "Gia": 8000}
    ]
    assert dossier["DuocThanhToanTrucTuyen"] == 1


def test_progress_reports_the_step_and_none_without_one() -> None:
    """A record with a step gives the progress fields; one without gives nothing to send."""
    step = progress(_record())
    assert step is not None
    assert step["NguoiXuLy"] == "Phạm Thu Hà"
    assert step["ChucDanh"] == "Công chức tư pháp - hộ tịch"
    assert step["PhongBanXuLy"] == "Bộ phận một cửa"
    assert step["NoiDungXuLy"] == "Chuyển xử lý"
    assert (step["TrangThai"], step["ThoiDiemXuLy"]) == (4, "20261118090211")
    assert step["NgayKetThucTheoQuyDinh"] == "20261119170000"
    assert progress(_record(step=None)) is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"error_code": 0}, ReplyKind.SUCCESS),
        ({"error_code": "00"}, ReplyKind.SUCCESS),
        ({"error_code": "0"}, ReplyKind.SUCCESS),
        ({"error_code": "-1", "message": "hết hạn"}, ReplyKind.SESSION_EXPIRED),
        ({"error_code": 99}, ReplyKind.RETRIABLE),
        ({"error_code": "01", "message": "sai dữ liệu"}, ReplyKind.REFUSED),
        ({"message": "no code"}, ReplyKind.RETRIABLE),
        (["not", "an", "object"], ReplyKind.RETRIABLE),
    ],
)
def test_replies_are_classified_by_their_error_code(body: Any, kind: ReplyKind) -> None:
    """0 and "00" succeed, the session codes log in again, busy codes retry, other codes are
    refusals, and a reply without error_code is retried."""
    assert read_reply(body, CODES).kind is kind


def test_a_refusal_keeps_the_portal_code_and_message() -> None:
    """The portal's own code and message are kept for the parked record's reason."""
    reply = read_reply({"error_code": "01", "message": "TrangThaiHoSo sai"}, CODES)
    assert (reply.error_code, reply.message) == ("01", "TrangThaiHoSo sai")


def test_a_look_up_finds_a_dossier_only_when_it_returns_one() -> None:
    """TraCuuHoSo with a result found the dossier; a null or empty result did not."""
    assert found_dossier(read_reply({"error_code": 0, "result": {"MaHoSo": "x"}}, CODES))
    assert not found_dossier(read_reply({"error_code": 0, "result": None}, CODES))
    assert not found_dossier(read_reply({"error_code": 0, "result": []}, CODES))


def test_the_sink_file_needs_http_urls_for_the_portal() -> None:
    """A service_url without http:// or https:// is a configuration problem, not a retry."""
    fields = {
        "name": "dvcqg",
        "node": "ngsp",
        "agency": "000.00.10.G22",
        "service_url": "dvcqg.example.vn/api/service",
        "login_url": "https://dvcqg.example.vn/api/login",
        "username": "u",
        "password": "p",
    }
    with pytest.raises(ValidationError, match="an http:// or https:// URL"):
        DvcqgSinkConfig.model_validate(fields)
    assert DvcqgSinkConfig.model_validate(fields | {"service_url": "https://x/api"}).service_url
