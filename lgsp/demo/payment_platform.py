"""A national payment platform (nền tảng thanh toán trực tuyến) application speaking Init /
GetBill / Confirm with the MaXacThuc checksum of ``connectors.payments.protocol``: the demo's
platform, and the one the payment tests talk to. A sandbox: Confirm settles at once, as if the
citizen had paid through an intermediary.

MaLoi: "00" success, "01" unknown partner, "02" unknown transaction, "04" amount is not the sum
of the fees, "05" refused (a dossier in ``refuse``), "07" wrong MaXacThuc.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request

from bus.httpserver import bound_port, http_server
from connectors.payments.protocol import checksum_ok, platform_time, signed


@dataclass
class Transaction:
    partner: str
    reference: str
    amount_vnd: int
    dossier_code: str
    confirmed: bool = False
    receipt: str = ""


@dataclass
class PaymentPlatform:
    partners: dict[str, bytes]  # MaDoiTac -> the key it shares with the platform
    refuse: set[str] = field(default_factory=set)  # MaHoSo whose payment is refused
    tamper_replies: bool = False  # sign replies with the wrong key (tests of the checker)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    refused: int = 0
    url: str = ""

    def _reply(self, kind: str, partner: str, fields: dict[str, Any]) -> dict[str, Any]:
        key = b"not-the-shared-key" if self.tamper_replies else self.partners.get(partner, b"")
        return signed(f"{kind}.reply", {"MaDoiTac": partner, **fields}, key)

    def _error(self, kind: str, partner: str, code: str, why: str) -> dict[str, Any]:
        self.refused += 1
        return self._reply(kind, partner, {"MaLoi": code, "MoTa": why})

    def _checked(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The refusal of a message from an unknown partner or with a wrong checksum."""
        partner = str(body.get("MaDoiTac", ""))
        if partner not in self.partners:
            return self._error(kind, partner, "01", f"Đối tác {partner} chưa được đăng ký")
        if not checksum_ok(kind, body, self.partners[partner]):
            return self._error(kind, partner, "07", "Sai mã xác thực (MaXacThuc)")
        return None

    def app(self) -> FastAPI:
        api = FastAPI(title="Nền tảng thanh toán trực tuyến quốc gia (demo)")

        @api.post("/Init")
        async def init(request: Request) -> dict[str, Any]:
            body = await request.json()
            refusal = self._checked("Init", body)
            if refusal is not None:
                return refusal
            partner, bill = body["MaDoiTac"], body.get("ThongTinBienLai") or {}
            fees = sum(int(f.get("SoTien", 0)) for f in bill.get("PhiLePhi", []))
            if fees != body.get("SoTien"):
                return self._error("Init", partner, "04", "Số tiền khác tổng phí, lệ phí")
            if bill.get("MaHoSo") in self.refuse:
                return self._error("Init", partner, "05", "Giao dịch bị từ chối")
            transaction = f"GD{secrets.token_hex(8).upper()}"
            self.transactions[transaction] = Transaction(
                partner, body["MaThamChieu"], fees, str(bill.get("MaHoSo", ""))
            )
            fields = {"MaLoi": "00", "MaThamChieu": body["MaThamChieu"], "MaGiaoDich": transaction}
            return self._reply("Init", partner, fields)

        @api.post("/GetBill")
        async def get_bill(request: Request) -> dict[str, Any]:
            body = await request.json()
            refusal = self._checked("GetBill", body)
            if refusal is not None:
                return refusal
            found = self.transactions.get(str(body.get("MaGiaoDich")))
            if found is None or found.reference != body.get("MaThamChieu"):
                return self._error("GetBill", body["MaDoiTac"], "02", "Không có giao dịch")
            fields = {
                "MaLoi": "00",
                "MaThamChieu": found.reference,
                "MaGiaoDich": body["MaGiaoDich"],
                "SoTien": found.amount_vnd,
            }
            return self._reply("GetBill", found.partner, fields)

        @api.post("/Confirm")
        async def confirm(request: Request) -> dict[str, Any]:
            body = await request.json()
            refusal = self._checked("Confirm", body)
            if refusal is not None:
                return refusal
            found = self.transactions.get(str(body.get("MaGiaoDich")))
            if found is None or found.amount_vnd != body.get("SoTien"):
                return self._error("Confirm", body["MaDoiTac"], "02", "Không có giao dịch")
            found.confirmed = True
            found.receipt = found.receipt or f"BL{len(self.transactions):08d}"
            fields = {
                "MaLoi": "00",
                "MoTa": "Thanh toán thành công",
                "MaThamChieu": found.reference,
                "MaGiaoDich": body["MaGiaoDich"],
                "SoTien": found.amount_vnd,
                "SoBienLai": found.receipt,
                "ThoiGianThanhToan": platform_time(datetime.now(UTC)),
            }
            return self._reply("Confirm", found.partner, fields)

        return api

    @property
    def confirmed(self) -> int:
        return sum(t.confirmed for t in self.transactions.values())

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1") -> AsyncIterator[PaymentPlatform]:
        async with http_server(self.app(), host, 0) as server:
            self.url = f"http://{host}:{bound_port(server)}"
            yield self
