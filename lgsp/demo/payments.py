"""Fees paid online in the demo: a few communes' one-stop-shops ask for their dossiers' fees
through their province and NGSP to the national payment platform (Init / GetBill / Confirm
with MaXacThuc, answered by NGSP's payment responder), then post the dossier again marked
paid online; one payment the platform refuses is parked on NGSP and reported back."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from bus.exchanges import PAYMENT
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from bus.requestreply import LookupMetrics, LookupRequester, LookupResponder
from connectors.payments.dossier import paid_dossier
from connectors.payments.errors import PaymentError
from connectors.payments.platform import PaymentPlatform as PlatformClient
from lgsp.demo.agency_systems import Posting
from lgsp.demo.nodes import NGSP, PAYMENT_PLATFORM, PROVINCES
from lgsp.demo.payment_platform import PaymentPlatform
from lgsp.demo.traffic import DossierPost, Workload
from schemas.catalog import bundled_catalog
from schemas.jsonform import from_json

_PAID = 8  # dossiers whose fees are paid online
_FEES: list[dict[str, Any]] = [
    {"code": "LP-01", "name": "Lệ phí giải quyết thủ tục", "amountVnd": 20000},
    {"code": "P-02", "name": "Phí cấp bản sao điện tử", "amountVnd": 3000},
]


def _partner(province: str) -> str:
    return f"{province[-3:]}-MOTCUA"  # each province's one-stop-shop system on the platform


@dataclass
class DemoPayments:
    platform: PaymentPlatform
    bootstraps: dict[str, str]
    asked: int = 0
    paid: int = 0
    marked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the results' codes

    async def pay(self, posting: Posting, workload: Workload) -> None:
        """Pay the fees of a few open dossiers, and one that the platform refuses."""
        open_codes = [
            code for code, statuses in workload.dossier_statuses.items() if statuses[-1] < 9
        ]
        chosen = [code for code in open_codes if code in posting.latest][: _PAID + 1]
        if not chosen:
            return
        self.platform.refuse.add(chosen[-1])
        await asyncio.gather(*(self._pay_one(posting, workload, code) for code in chosen))

    async def _pay_one(self, posting: Posting, workload: Workload, code: str) -> None:
        role, post = posting.latest[code]
        request = self._request(role, post)
        metrics = LookupMetrics(CollectorRegistry(), "payment")
        async with LookupRequester(
            ClusterAccess(self.bootstraps[role], PLAINTEXT),
            role,
            post.agency,
            metrics,
            exchange=PAYMENT,
        ) as one_stop_shop:
            self.asked += 1
            result = await one_stop_shop.lookup(request, PAYMENT_PLATFORM, deadline_s=120)
        try:
            dossier = paid_dossier(post.body, request, result)
        except PaymentError:
            self.refused.append(result["resultCode"])
            return
        self.paid += 1
        changed = dossier | {"changedAt": datetime.now(UTC).isoformat()}
        workload.dossier_statuses[code].append(int(post.body["statusCode"]))
        posting.post(role, DossierPost(post.agency, code, changed), change="/paid")
        self.marked.append(code)

    def _request(self, role: str, post: DossierPost) -> dict[str, Any]:
        agency = post.body["receivingAgency"]
        schema = bundled_catalog().get("payment.request")
        return from_json(
            schema,
            {
                "paymentReference": f"PAY-{post.dossier_code}",
                "partnerCode": _partner(PROVINCES[role]),
                "serviceCode": post.body["procedureCode"],
                "agency": agency,
                "dossierCode": post.dossier_code,
                "payerName": post.body["owner"]["name"],
                "fees": _FEES,
                "totalAmountVnd": sum(int(f["amountVnd"]) for f in _FEES),
                "currency": "VND",
                "channel": "DVCQG",
                "requestedAt": datetime.now(UTC).isoformat(),
            },
        )

    def summary(self) -> str:
        refused = ", ".join(f"MaLoi {code}" for code in self.refused) or "none"
        return (
            f"payments: {self.paid}/{self.asked} fees paid through NGSP's national payment "
            "platform (Init, GetBill, Confirm, every MaXacThuc checked), "
            f"{len(self.marked)} dossiers marked paid online; refused, parked on NGSP and "
            f"reported back: {len(self.refused)} ({refused})"
        )


@contextlib.asynccontextmanager
async def payment_platform(
    bootstraps: dict[str, str], registry: CollectorRegistry
) -> AsyncIterator[DemoPayments]:
    """The platform application and NGSP's payment responder, until the block ends."""
    keys = {_partner(p): secrets.token_bytes(32) for p in PROVINCES.values()}
    platform = PaymentPlatform(dict(keys))
    async with platform.serve(), httpx.AsyncClient(timeout=30) as client:
        clients = {p: PlatformClient(client, platform.url, p, key) for p, key in keys.items()}

        async def pay(request: dict[str, Any]) -> dict[str, Any]:
            partner = clients.get(request["partnerCode"])
            if partner is None:
                raise PaymentError(
                    f"no key for partner {request['partnerCode']}", code="LGSP-PAYMENT-REFUSED"
                )
            return await partner.pay(request)

        responder = LookupResponder(
            ClusterAccess(bootstraps[NGSP], PLAINTEXT),
            NGSP,
            PAYMENT_PLATFORM,
            pay,
            LookupMetrics(registry, "payment"),
            exchange=PAYMENT,
        )
        serving = asyncio.create_task(responder.run())
        try:
            yield DemoPayments(platform, bootstraps)
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
