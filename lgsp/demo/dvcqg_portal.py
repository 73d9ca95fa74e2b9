"""A National Public Service Portal (DVCQG) application speaking the field names one-stop-shop
systems use with the real portal: ``POST /login`` for a session, then ``POST /service`` with
``TraCuuHoSo``, ``DongBoHoSoMC`` (HoSo) and ``CapNhatTienDoHoSoMC`` (progress). The demo's
national portal, and the portal the tests of the ``dvcqg-sink`` talk to.

Like the real portal, ``DongBoHoSoMC`` with ``isUpdating`` false stores a new dossier even when
one with that MaHoSo exists: a sink that does not check first duplicates dossiers, and
``duplicated`` says so. Its error codes: 0 success, "-1" session expired or unknown, "99"
busy (come back later), "01" invalid data, "02" unknown dossier.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.httpserver import bound_port, http_server
from connectors.dvcqg.hoso import parse_portal_date

_DATES = ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy")
_PROGRESS_DATES = ("ThoiDiemXuLy", "NgayBatDau", "NgayKetThucTheoQuyDinh")
_REQUIRED = ("MaHoSo", "MaTTHC", "TenTTHC", "ChuHoSo", "NgayTiepNhan", "TrangThaiHoSo")


def _answer(code: str | int, message: str = "", **extra: Any) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message, **extra})


def _date_problems(item: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    problems = []
    for name in names:
        value = item.get(name, "")
        if value == "":
            continue
        try:
            parse_portal_date(str(value))
        except ValueError:
            problems.append(f"{name}: {value!r} không đúng định dạng yyyyMMddHHmmss")
    return problems


def hoso_problems(item: Any) -> list[str]:
    """Why the portal refuses a HoSo (empty: it takes it)."""
    if not isinstance(item, dict):
        return ["HoSo phải là một đối tượng"]
    problems = [f"{name}: bắt buộc" for name in _REQUIRED if item.get(name) in (None, "")]
    status = item.get("TrangThaiHoSo")
    if status not in (None, "") and (not isinstance(status, int) or not 1 <= status <= 10):
        problems.append(f"TrangThaiHoSo: {status!r} không thuộc danh mục 1-10")
    if item.get("KenhThucHien") not in (1, 2, 3):
        problems.append(f"KenhThucHien: {item.get('KenhThucHien')!r} không thuộc 1, 2, 3")
    return problems + _date_problems(item, _DATES)


@dataclass
class PortalFaults:
    """Faults the portal plays once each, for tests: HTTP 503s, "99 busy" answers, replies lost
    after a dossier was stored, refusals of given dossiers."""

    unavailable: int = 0
    busy: int = 0
    lose_sync_reply: int = 0
    refuse: set[str] = field(default_factory=set)


@dataclass
class DvcqgPortal:
    username: str = "motcua"
    password: str = "demo-password"
    session_ttl_s: float = 3600.0
    not_found_code: str | None = None  # answer TraCuuHoSo of an unknown dossier with it
    faults: PortalFaults = field(default_factory=PortalFaults)
    dossiers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    steps: dict[str, dict[tuple[str, int], dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (service, MaHoSo)
    created: int = 0
    updated: int = 0
    logins: int = 0
    url: str = ""
    _sessions: dict[str, float] = field(default_factory=dict)

    @property
    def login_url(self) -> str:
        return f"{self.url}/login"

    @property
    def service_url(self) -> str:
        return f"{self.url}/service"

    @property
    def syncs(self) -> int:
        return self.created + self.updated

    @property
    def duplicated(self) -> int:
        """Dossiers stored more than once (a sink that did not check first)."""
        return sum(len(rows) > 1 for rows in self.dossiers.values())

    def latest(self, code: str) -> dict[str, Any] | None:
        rows = self.dossiers.get(code)
        return rows[-1] if rows else None

    def expire_sessions(self) -> None:
        self._sessions.clear()

    def app(self) -> FastAPI:
        api = FastAPI(title="Cổng Dịch vụ công quốc gia: đồng bộ hồ sơ (demo)")

        @api.post("/login")
        async def login(request: Request) -> JSONResponse:
            body = await request.json()
            if body.get("username") != self.username or body.get("password") != self.password:
                return _answer("403", "Sai tên đăng nhập hoặc mật khẩu")
            session = secrets.token_urlsafe(16)
            self._sessions[session] = time.monotonic() + self.session_ttl_s
            self.logins += 1
            return _answer(0, "Thành công", session=session)

        @api.post("/service")
        async def service(request: Request) -> JSONResponse:
            if self.faults.unavailable > 0:
                self.faults.unavailable -= 1
                return JSONResponse({"message": "Service Unavailable"}, status_code=503)
            body: dict[str, Any] = await request.json()
            expiry = self._sessions.get(str(body.get("session")))
            if expiry is None or expiry < time.monotonic():
                return _answer("-1", "Phiên làm việc không hợp lệ hoặc đã hết hạn")
            if self.faults.busy > 0:
                self.faults.busy -= 1
                return _answer("99", "Hệ thống đang bận, vui lòng thử lại sau")
            name = str(body.get("service"))
            handler = {
                "TraCuuHoSo": self._look_up,
                "DongBoHoSoMC": self._sync,
                "CapNhatTienDoHoSoMC": self._progress,
            }.get(name)
            if handler is None:
                return _answer("01", f"Dịch vụ {name} không tồn tại")
            return handler(body)

        return api

    def _look_up(self, body: dict[str, Any]) -> JSONResponse:
        code = str(body.get("MaHoSo", ""))
        self.calls.append(("TraCuuHoSo", code))
        found = self.latest(code)
        if found is None and self.not_found_code is not None:
            return _answer(self.not_found_code, f"Không tìm thấy hồ sơ {code}")
        return _answer(0, "Thành công", result=found)

    def _sync(self, body: dict[str, Any]) -> JSONResponse:
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return _answer("01", "data: phải là danh sách HoSo")
        for item in data:
            problems = hoso_problems(item)
            if problems:
                return _answer("01", "; ".join(problems))
            code = item["MaHoSo"]
            if code in self.faults.refuse:
                return _answer("01", f"Hồ sơ {code}: thủ tục không thuộc đơn vị")
        for item in data:
            code = item["MaHoSo"]
            self.calls.append(("DongBoHoSoMC", code))
            rows = self.dossiers.setdefault(code, [])
            if body.get("isUpdating") is True:
                if not rows:
                    return _answer("02", f"Hồ sơ {code} không tồn tại để cập nhật")
                rows[-1] = item
                self.updated += 1
            else:
                rows.append(item)  # the real portal's insert: a second row if one exists
                self.created += 1
        if self.faults.lose_sync_reply > 0:
            self.faults.lose_sync_reply -= 1
            return JSONResponse({"message": "Gateway Timeout"}, status_code=504)
        return _answer(0, "Thành công")

    def _progress(self, body: dict[str, Any]) -> JSONResponse:
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return _answer("01", "data: phải là danh sách tiến độ")
        for item in data:
            code = str(item.get("MaHoSo", ""))
            if code not in self.dossiers:
                return _answer("02", f"Hồ sơ {code} chưa được đồng bộ")
            problems = _date_problems(item, _PROGRESS_DATES)
            if problems or not item.get("NguoiXuLy"):
                return _answer("01", "; ".join(problems or ["NguoiXuLy: bắt buộc"]))
            self.calls.append(("CapNhatTienDoHoSoMC", code))
            # one step per (time, status): the same step sent again replaces itself
            key = (str(item.get("ThoiDiemXuLy")), int(item.get("TrangThai", 0)))
            self.steps.setdefault(code, {})[key] = item
        return _answer(0, "Thành công")

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[DvcqgPortal]:
        async with http_server(self.app(), host, port) as server:
            self.url = f"http://{host}:{bound_port(server)}"
            yield self
