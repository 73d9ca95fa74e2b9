"""The operator console in a real Chromium against a real federated node (Hà Nội, with NGSP
and Đà Nẵng on their own clusters): a viewer sees but cannot redrive; an operator opens a
dead letter, redrives it and it is delivered; a paused link's lag grows; a document is traced
to its signed receipts; bad input of every kind gets a clear page, never a 500. Each page's
screenshot is saved to a temporary folder, or to docs/console/ with
LGSP_CONSOLE_SCREENSHOTS=docs/console (docs/console.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.httpserver import bound_port, http_server
from bus.kafka import TopicSpec, ensure_topics
from bus.settings import Settings
from gateway.ops.admin import admin_app
from lgsp.console.config import ConsoleConfig, ListenConfig, ProcessKind, ProcessSpec
from lgsp.console.server import running_console
from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from schemas.topics import event_topic, inbox_topic
from tests.browserharness import Page, chromium, screenshots_dir
from tests.federationharness import Federated, clusters, running_federation
from tests.gatewayharness import headers_of, make_event, publish, read_all
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker

__all__ = ["clusters"]

VIEWER = "console-viewer-token-0123456789"
OPERATOR = "console-operator-token-0123456789"
TOKENS = [
    AdminToken(name="an-viewer", role=Role.VIEWER, token_sha256=hash_admin_token(VIEWER)),
    AdminToken(name="binh-ops", role=Role.OPERATOR, token_sha256=hash_admin_token(OPERATOR)),
]
G22, DA_NANG = "000.00.00.G22", "000.00.00.H15"
SENDER = "000.01.02.H24"
ID_NUMBER = "001203004567"
DOCUMENT_ID = f"{SENDER},2026/11/20,42/UBND-VP"
BROKEN = """routes:
  - name: broken
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H2]
    deliver: recipients
"""


@dataclass
class Node:
    console: str
    fed: Federated
    routes: Path
    portal: str


@pytest.fixture
async def node(clusters: dict[str, str], tmp_path: Path) -> AsyncIterator[Node]:
    """Three federated nodes; Hà Nội's gateway admin API, tracker and console on loopback."""
    fed = Federated(tmp_path, clusters)
    configs = fed.write()
    hanoi = fed.names["hanoi"]
    portal = f"lgsp.{hanoi}.inbox.portal"
    routes = configs["hanoi"].parent / "routes.yaml"
    routes.write_text(
        routes.read_text()
        + "  - name: dossiers-to-portal\n    types: [vn.gov.dossier.status.v1]\n"
        + f"    from: [under 000.00.00.H24]\n    deliver: topic\n    topic: {portal}\n"
    )
    await ensure_topics(
        clusters["danang"], [TopicSpec(inbox_topic(fed.names["danang"], DA_NANG), 2)]
    )
    await ensure_topics(clusters["ngsp"], [TopicSpec(inbox_topic(fed.names["ngsp"], G22), 2)])
    # the sender's inbox, where its receipts arrive
    await ensure_topics(clusters["hanoi"], [TopicSpec(inbox_topic(hanoi, SENDER), 2)])
    tracker_config = TrackerConfig(node=hanoi, api=ApiConfig(port=0), clock="wall")
    async with (
        running_federation(configs) as nodes,
        run_tracker(tracker_config, Settings(bootstrap_servers=clusters["hanoi"])) as tracker,
    ):
        gateway, federation = nodes["hanoi"]
        async with http_server(
            admin_app(gateway, federation, tokens=TOKENS), "127.0.0.1", 0
        ) as admin:
            config = ConsoleConfig(
                gateway_config=configs["hanoi"],
                listen=ListenConfig(port=0),
                poll_s=1.0,
                processes=[
                    ProcessSpec(
                        name=f"gateway {hanoi}",
                        kind=ProcessKind.GATEWAY,
                        url=f"http://127.0.0.1:{bound_port(admin)}",
                    ),
                    ProcessSpec(name="tracker", kind=ProcessKind.TRACKER, url=tracker.api_url),
                ],
            )
            async with running_console(config, TOKENS) as (_, server):
                yield Node(f"http://127.0.0.1:{bound_port(server)}", fed, routes, portal)


def _viewer_sees_but_cannot_act(page: Page, ref: str) -> None:
    page.log_in(VIEWER)
    assert "an-viewer · viewer" in page.text("#who")
    page.wait_for(lambda: "ready" in page.text("#processes") and "–" not in page.text(".card"))
    page.open("/dead-letters")
    assert ref in page.text("#letters")
    page.screenshot("dead-letters")
    page.open(f"/dead-letters/{ref}")
    record = page.text("#record")
    assert ID_NUMBER not in record and ID_NUMBER[:3] in record, "personal data masked"
    page.click("#redrive")
    assert "LGSP-ADMIN-FORBIDDEN" in page.text("#error") and "viewer" in page.text("#error")
    page.screenshot("viewer-refused")
    page.open("/dead-letters?since=yesterday")
    assert "is not a time like" in page.text("#error")
    page.open("/dead-letters/lgsp.nowhere.dlq:0:0")
    assert "LGSP-CONSOLE-NOT-FOUND" in page.text("#error")
    page.open("/logout-nowhere")
    assert "LGSP-CONSOLE-NOT-FOUND" in page.text("#error")


def _operator_redrives(page: Page, ref: str) -> None:
    page.log_in(OPERATOR)
    page.open(f"/dead-letters/{ref}")
    assert ID_NUMBER in page.text("#record"), "an operator sees the personal data"
    page.screenshot("dead-letter")
    page.click("#redrive")
    assert "redrive 1 dead letter(s)" in page.text("#confirm-count")
    page.screenshot("confirm-redrive")
    page.click("#confirm")
    assert "1 dead letter(s) redriven." in page.text("#done")


def _redrive_again_and_forged_csrf(page: Page, ref: str) -> None:
    page.open(f"/dead-letters/{ref}")
    assert page.text("#state") == "redriven"
    page.click("#redrive")
    assert "already redriven" in page.text("#error")
    page.open(f"/dead-letters/{ref}")
    page.driver.execute_script(
        "document.querySelector('input[name=csrf]').value = 'forged'; "
        "document.querySelectorAll('input[name=csrf]').forEach(e => e.value = 'forged');"
    )
    page.click("#redrive")
    assert "LGSP-CONSOLE-CSRF" in page.text("#error")


def _routes(page: Page, routes: Path) -> None:
    page.open("/routes")
    assert "dossiers-to-portal" in page.text("#route-table")
    page.find("#event_type").send_keys("vn.gov.document.status.v1")
    page.type("#sender", "000.00.12.H24")
    page.type("#recipients", G22)
    page.click("#ask")
    assert "status-feedback" in page.text("#decision")
    page.screenshot("routes")
    page.type("#sender", "not-a-code")
    page.click("#ask")
    assert "is not an agency code" in page.text("#error")
    good = routes.read_text()
    routes.write_text(BROKEN)
    page.open("/routes")
    page.click("#reload")
    assert "line 4" in page.text("#reload-error")
    page.screenshot("routes-reload-refused")
    routes.write_text(good)
    page.click("#reload")
    assert "route(s) now active" in page.text("#reloaded")


def _pause(page: Page, peer: str) -> None:
    page.open("/links")
    page.screenshot("links")
    page.click(f"#pause-{peer}")
    assert "paused" in page.text("#link-done")
    page.wait_for(lambda: "paused" in page.text(f".link-state[data-peer='{peer}']"))


def _lag_grows(page: Page, peer: str, at_least: int) -> None:
    page.wait_for(lambda: int(page.text(f".link-lag[data-peer='{peer}']")) >= at_least)
    page.screenshot("links-paused")
    page.click(f"#resume-{peer}")
    page.wait_for(lambda: int(page.text(f".link-lag[data-peer='{peer}']")) == 0)


def _trace(page: Page, document_id: str) -> None:
    page.open("/trace")
    page.type("#subject", document_id)
    page.click("#trace")
    page.wait_for(lambda: bool(page.all("#receipts .signature")), timeout_s=90)
    assert all(cell.text == "valid" for cell in page.all("#receipts .signature"))
    hops = page.text("#hops")
    assert "sent" in hops and "signed receipt" in hops
    # the route log: routed by which route, to whom; the link log: crossed which link
    assert "routed · route " in hops and "000.00.00.H15" in hops, hops
    assert "crossed link · link " in hops and "not crossed yet" not in hops, hops
    page.screenshot("trace")


def _overview_live(page: Page) -> None:
    """The overview refreshes itself (no reload): rates and a chart appear as samples come."""
    page.open("/")
    page.wait_for(
        lambda: (
            bool(page.all("#processes svg.spark")) and "not ready" not in page.text("#processes")
        ),
        timeout_s=90,
        reload=False,
    )
    page.screenshot("overview")


def _dossiers(page: Page, dossier_code: str) -> None:
    page.open("/dossiers")
    page.type("#code", dossier_code)
    page.click("#look-up")
    page.wait_for(lambda: bool(page.all("#dossier")), timeout_s=30)
    assert dossier_code in page.text("#dossier")
    page.screenshot("dossiers")
    page.open("/dossiers?code=H24.nope")
    assert "LGSP-TRACKER-NOT-FOUND" in page.text("#error")


async def test_console_in_chromium_on_a_federated_node(
    node: Node, clusters: dict[str, str], tmp_path: Path
) -> None:
    """Viewer refused redrive; operator redrives and the record is delivered; a second redrive
    and a forged CSRF token are refused; routes answer and reload; a paused link's lag grows;
    a document traces to valid signed receipts; the dossier is looked up."""
    hanoi, ngsp = node.fed.names["hanoi"], node.fed.names["ngsp"]
    owner = {**example_record(bundled_catalog().get("dossier.status"))["owner"]}
    owner["idNumber"] = ID_NUMBER
    dossier = make_event(
        "dossier.status",
        source=SENDER,
        recipients=[G22],  # the national portal's agency; the harness routes dossiers there
        changes={"dossierCode": "H24.26-0042", "owner": owner},
    )
    # a document of the ward to Đà Nẵng, its id as the standard builds it (the gateway's
    # admission parks a record that breaks the standards' rules)
    document = make_event(
        "document.sent",
        source=SENDER,
        recipients=[DA_NANG],
        changes={
            "sender": {"code": SENDER, "name": "UBND phường Phúc Xá"},
            "recipients": [{"code": DA_NANG, "name": "Ủy ban nhân dân thành phố Đà Nẵng"}],
            "codeNumber": "42",
            "codeNotation": "UBND-VP",
            "documentId": DOCUMENT_ID,
        },
    )
    await publish(clusters["hanoi"], str(event_topic(hanoi, dossier[0].type)), [dossier])
    await publish(clusters["hanoi"], str(event_topic(hanoi, document[0].type)), [document])
    parked = await read_all(
        clusters["hanoi"], [str(event_topic(hanoi, dossier[0].type)) + ".dlq"], 1, timeout_s=60
    )
    ref = f"{parked[0].topic}:{parked[0].partition}:{parked[0].offset}"

    with chromium(tmp_path / "profile") as driver:
        page = Page(driver, node.console, screenshots_dir(tmp_path))
        await asyncio.to_thread(_viewer_sees_but_cannot_act, page, ref)
        driver.delete_all_cookies()
        await ensure_topics(clusters["hanoi"], [TopicSpec(node.portal, 2)])
        await asyncio.sleep(2.5)  # the gateway notices the new topic
        await asyncio.to_thread(_operator_redrives, page, ref)
        delivered = await read_all(clusters["hanoi"], [node.portal], 1, timeout_s=60)
        assert [headers_of(r)["ce_id"] for r in delivered] == [dossier[0].id]
        await asyncio.to_thread(_redrive_again_and_forged_csrf, page, ref)
        await asyncio.to_thread(_routes, page, node.routes)
        await asyncio.to_thread(_trace, page, DOCUMENT_ID)
        await asyncio.to_thread(_pause, page, ngsp)
        statuses = [
            make_event(
                "document.status",
                source=SENDER,
                recipients=[G22],
            )
            for _ in range(10)
        ]
        await publish(clusters["hanoi"], str(event_topic(hanoi, statuses[0][0].type)), statuses)
        await asyncio.to_thread(_lag_grows, page, ngsp, len(statuses))
        await asyncio.to_thread(_dossiers, page, "H24.26-0042")
        await asyncio.to_thread(_overview_live, page)
