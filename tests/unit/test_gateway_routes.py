"""The routing table: deny by default, sources and recipients by hierarchy, fan-out, and the
YAML errors ops see."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bus.yamlconfig import ConfigError, load_yaml_model
from gateway.routing.table import RouteTable, RoutingTableSpec
from schemas.catalog import bundled_catalog
from schemas.ids import bundled_directory

DOCUMENT = "vn.gov.document.sent.v1"
TABLE = """
routes:
  - name: government-documents
    types: [vn.gov.document.sent.v1]
    from: [under 000.00.00.G22, 000.00.00.G12]
    to: [under 000.00.00.H24]
  - name: documents-to-communes
    types: [vn.gov.document.sent.v1]
    from: [000.00.00.H24]
    to: [under 000.00.00.H24]
    fan_out: commune
  - name: dossiers-to-portal
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H24]
    deliver: topic
    topic: lgsp.hanoi.inbox.000-00-00-g22
"""


def _table(text: str = TABLE) -> RouteTable:
    spec = RoutingTableSpec.model_validate(
        yaml.safe_load(text), context={"catalog": bundled_catalog()}
    )
    return RouteTable(spec, "hanoi", bundled_directory())


def test_a_ministry_document_goes_to_each_recipients_inbox() -> None:
    """Local recipients get their own inbox topic and see only themselves as recipient."""
    decision = _table().decide(DOCUMENT, "000.00.00.G22", ("000.00.12.H24", "000.00.13.H24"))
    assert decision.park_code is None
    assert [(d.topic, d.recipients) for d in decision.deliveries] == [
        ("lgsp.hanoi.inbox.000-00-12-h24", ("000.00.12.H24",)),
        ("lgsp.hanoi.inbox.000-00-13-h24", ("000.00.13.H24",)),
    ]


def test_a_unit_under_an_allowed_sender_may_send() -> None:
    """`from: under CODE` admits every unit below it; an exact code admits only itself."""
    table = _table()
    assert (
        table.decide(DOCUMENT, "000.00.18.G12", ("000.00.12.H24",)).park_code == "LGSP-GW-NO-ROUTE"
    )
    assert table.decide(DOCUMENT, "000.00.00.G12", ("000.00.12.H24",)).park_code is None


def test_unmatched_and_forbidden_records_are_parked_with_reasons() -> None:
    """Deny by default: unknown type, unknown sender, or a recipient outside `to`."""
    table = _table()
    no_route = table.decide("vn.gov.payment.request.v1", "000.00.00.G22", ())
    assert no_route.park_code == "LGSP-GW-NO-ROUTE" and "000.00.00.G22" in (
        no_route.park_reason or ""
    )
    forbidden = table.decide(DOCUMENT, "000.00.00.G22", ("000.00.12.H24", "000.00.00.H15"))
    assert forbidden.park_code == "LGSP-GW-FORBIDDEN" and "000.00.00.H15" in (
        forbidden.park_reason or ""
    )
    assert table.decide(DOCUMENT, "000.00.00.G22", ()).park_code == "LGSP-GW-NO-RECIPIENTS"


def test_fan_out_reaches_every_commune_under_a_district() -> None:
    """A document to a district goes to each of its communes, one delivery each."""
    decision = _table().decide(DOCUMENT, "000.00.00.H24", ("000.00.02.H24",))
    assert sorted(r for d in decision.deliveries for r in d.recipients) == [
        "000.01.02.H24",
        "000.02.02.H24",
    ]


def test_recipients_served_by_another_node_go_to_its_link_grouped() -> None:
    """Recipients of another node travel together on that node's link topic."""
    text = TABLE.replace(
        "to: [under 000.00.00.H24]\n  - name: documents", "to: [any]\n  - name: documents"
    )
    decision = _table(text).decide(
        DOCUMENT, "000.00.00.G22", ("000.00.00.H15", "000.00.12.H15", "000.00.12.H24")
    )
    assert [(d.topic, d.recipients) for d in decision.deliveries] == [
        ("lgsp.hanoi.link.danang", ("000.00.00.H15", "000.00.12.H15")),
        ("lgsp.hanoi.inbox.000-00-12-h24", ("000.00.12.H24",)),
    ]


def test_topic_routes_need_no_recipients_and_decisions_are_cached() -> None:
    """A portal sync route delivers to its topic; the same headers give the same object."""
    table = _table()
    first = table.decide("vn.gov.dossier.status.v1", "000.01.02.H24", ())
    assert [d.topic for d in first.deliveries] == ["lgsp.hanoi.inbox.000-00-00-g22"]
    assert table.decide("vn.gov.dossier.status.v1", "000.01.02.H24", ()) is first


def test_every_table_error_is_reported_with_its_line(tmp_path: Path) -> None:
    """A bad agency code and an unknown option are both named with their lines."""
    path = tmp_path / "routes.yaml"
    path.write_text(
        TABLE.replace("from: [000.00.00.H24]", "from: [000.00.00.H24x]").replace(
            "fan_out: commune", "fan_out: commune\n    colour: blue"
        )
    )
    with pytest.raises(ConfigError) as raised:
        load_yaml_model(path, RoutingTableSpec, context={"catalog": bundled_catalog()})
    problems = raised.value.problems
    assert any(
        p.startswith("line 9: routes[1].from") and "not an agency code" in p for p in problems
    )
    assert any(p.startswith("line 12: routes[1].colour") for p in problems)


def test_a_schema_version_the_contract_lacks_is_refused() -> None:
    """transform.schema_version must exist for every event type of the route."""
    text = TABLE + "    transform: {schema_version: 9}\n"
    with pytest.raises(ValueError, match=r"no schema dossier\.status v9"):
        _table(text)
