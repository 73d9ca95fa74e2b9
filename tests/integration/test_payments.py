"""Fees paid end to end across real clusters: a Hà Nội one-stop-shop asks for a dossier's fee
through its node and NGSP to the national payment platform (Init / GetBill / Confirm with
MaXacThuc), the result comes back, the dossier is marked paid online and NGSP's tracker counts
it in the quarter's online-payment indicator; refusals and bad checksums are parked and
reported back with their code."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from bus.exchanges import PAYMENT
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from bus.requestreply import LookupMetrics, LookupRequester, LookupResponder
from bus.settings import Settings
from connectors.payments.dossier import paid_dossier
from connectors.payments.errors import PaymentError
from connectors.payments.platform import PaymentPlatform as PlatformClient
from lgsp.demo.payment_platform import PaymentPlatform
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.parking import read_park_info
from schemas.topics import event_topic
from tests.connectorharness import read_topic
from tests.federationharness import Federated, clusters, running_federation
from tests.gatewayharness import publish
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker

__all__ = ["clusters"]  # the session's three clusters (a fixture)
WARD = "000.01.02.H24"  # UBND phường Phúc Xá: its one-stop-shop asks
PLATFORM = "000.00.11.G22"  # the national payment platform, behind NGSP
PARTNER, KEY = "H24-MOTCUA", b"key shared by the platform and Ha Noi's one-stop-shops"
DOSSIER = bundled_catalog().get("dossier.status", 1)
REQUEST = bundled_catalog().get("payment.request")
FEES = [
    {"code": "LP-HT-01", "name": "Lệ phí đăng ký khai sinh", "amountVnd": 8000},
    {"code": "P-BS-02", "name": "Phí cấp bản sao", "amountVnd": 3000},
]


def _payment(dossier_code: str) -> dict[str, Any]:
    request = example_json(REQUEST) | {
        "paymentReference": f"PAY-{dossier_code}",
        "partnerCode": PARTNER,
        "agency": {"code": WARD, "name": "UBND phường Phúc Xá"},
        "dossierCode": dossier_code,
        "fees": FEES,
        "totalAmountVnd": 11000,
        "requestedAt": datetime.now(UTC).isoformat(),
    }
    return from_json(REQUEST, request)


def _dossier(code: str) -> dict[str, Any]:
    return example_json(DOSSIER) | {"dossierCode": code, "statusCode": 6, "fees": FEES}


async def test_a_fee_paid_through_ngsp_marks_the_dossier_paid_online_in_the_report(
    tmp_path: Path, clusters: dict[str, str]
) -> None:
    """The fee is confirmed by the platform and the result reaches the ward; its dossier,
    marked paid online, reaches NGSP whose tracker counts it in the quarter's
    dossiersPaidOnline; a refused payment (MaLoi 05) and a reply with a bad MaXacThuc come back
    as failed results with their codes, parked on NGSP."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    ngsp, hanoi = fed.names["ngsp"], fed.names["hanoi"]
    registry = CollectorRegistry()
    platform = PaymentPlatform({PARTNER: KEY}, refuse={"H24.22-REFUSED"})
    async with (
        platform.serve(),
        running_federation(configs),
        httpx.AsyncClient(timeout=30) as client,
    ):
        responder = LookupResponder(
            ClusterAccess(clusters["ngsp"], PLAINTEXT),
            ngsp,
            PLATFORM,
            PlatformClient(client, platform.url, PARTNER, KEY).pay,
            LookupMetrics(registry, "payment"),
            partitions=2,
            exchange=PAYMENT,
        )
        serving = asyncio.create_task(responder.run())
        try:
            async with LookupRequester(
                ClusterAccess(clusters["hanoi"], PLAINTEXT),
                hanoi,
                WARD,
                LookupMetrics(CollectorRegistry(), "payment"),
                partitions=2,
                exchange=PAYMENT,
            ) as one_stop_shop:
                asked = _payment("H24.22-PAID")
                paid = await one_stop_shop.lookup(asked, PLATFORM, deadline_s=90)
                refused = await one_stop_shop.lookup(
                    _payment("H24.22-REFUSED"), PLATFORM, deadline_s=60
                )
                platform.tamper_replies = True
                tampered = await one_stop_shop.lookup(
                    _payment("H24.22-TAMPERED"), PLATFORM, deadline_s=60
                )
        finally:
            serving.cancel()
        assert paid["resultCode"] == "00" and paid["amountVnd"] == 11000
        assert paid["transactionId"].startswith("GD") and paid["receiptNumber"]
        assert (refused["resultCode"], refused["amountVnd"]) == ("05", 0)
        assert "Giao dịch bị từ chối" in refused["message"]
        assert tampered["resultCode"] == "LGSP-PAYMENT-BAD-CHECKSUM"
        with pytest.raises(PaymentError) as caught:
            paid_dossier(_dossier("H24.22-REFUSED"), _payment("H24.22-REFUSED"), refused)
        assert caught.value.code == "LGSP-PAYMENT-REFUSED"

        # the one-stop-shop marks its dossier paid online and publishes the change
        dossier = paid_dossier(_dossier("H24.22-PAID"), asked, paid)
        envelope = Envelope.new(
            source=WARD,
            type=DOSSIER.event_type,
            dataschema=DOSSIER.dataschema,
            subject="H24.22-PAID",
            recipients=["000.00.00.G22"],
        )
        value = AvroCodec().encode(DOSSIER, from_json(DOSSIER, dossier))  # as the webhook does
        await publish(
            clusters["hanoi"],
            str(event_topic(hanoi, DOSSIER.event_type)),
            [(envelope, b"H24.22-PAID", value)],
        )
        config = TrackerConfig(
            node=ngsp,
            agency="000.00.00.G22",
            bootstrap_servers=clusters["ngsp"],
            api=ApiConfig(port=0),
        )
        async with run_tracker(config, Settings(), CollectorRegistry()) as tracker:
            report: list[dict[str, Any]] = []
            async with asyncio.timeout(90):
                while not report:
                    report = [r for r in tracker.report("2026Q4") if r["agency"]["code"] == WARD]
                    await asyncio.sleep(0.5)
    [ward] = report
    assert (ward["dossiersReceived"], ward["dossiersPaidOnline"]) == (1, 1)
    parked = await read_topic(clusters["ngsp"], responder.parked_topic)
    codes = sorted(info.code for r in parked if (info := read_park_info(r.headers)) is not None)
    assert codes == ["LGSP-PAYMENT-BAD-CHECKSUM", "LGSP-PAYMENT-REFUSED"]
    failed = registry.get_sample_value(
        "lgsp_payment_failed_requests_total", {"node": ngsp, "code": "LGSP-PAYMENT-REFUSED"}
    )
    assert failed == 1
    assert platform.confirmed == 1
