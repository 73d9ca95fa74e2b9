"""The console's pure decisions: dead-letter filters from a form, personal data masked,
rates per minute and charts from samples, the "where would this go?" question, sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
import pytest

from bus.adminauth import AdminToken, Role, hash_admin_token
from lgsp.console.config import ConsoleConfig, ProcessKind, ProcessSpec, load_console_config
from lgsp.console.deadletters import VIETNAM, mask_personal, parse_selection, parse_time
from lgsp.console.errors import ConsoleError
from lgsp.console.overview import per_minute, sparkline
from lgsp.console.routing import parse_question
from lgsp.console.sessions import SessionStore
from schemas.catalog import bundled_catalog


def test_a_time_without_zone_is_vietnam_time_and_a_bad_one_is_refused() -> None:
    """A browser's datetime-local value is read as UTC+7; text that is no time names the field."""
    assert parse_time("2026-11-20T08:00", "since") == datetime(2026, 11, 20, 8, tzinfo=VIETNAM)
    assert parse_time("2026-11-20T01:00+00:00", "since").tzinfo == UTC
    with pytest.raises(ConsoleError, match="since: 'yesterday' is not a time"):
        parse_time("yesterday", "since")


def test_the_form_becomes_the_cli_filter_and_back() -> None:
    """Filled fields narrow the selection like `lgsp dlq` options; empty ones do not."""
    selection = parse_selection(
        {"code": "LGSP-GW-NO-ROUTE", "agency": "000.00.00.H24", "event_type": "", "ce_id": " x "}
    )
    assert selection.filter.code == "LGSP-GW-NO-ROUTE" and selection.filter.agency
    assert selection.filter.event_type is None and selection.filter.ce_id == "x"
    assert selection.as_form() == {
        "code": "LGSP-GW-NO-ROUTE",
        "agency": "000.00.00.H24",
        "ce_id": "x",
    }


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"agency": "H24"}, "is not an agency code"),
        ({"since": "2026-11-21T00:00", "until": "2026-11-20T00:00"}, "since is after until"),
        ({"until": "31/12/2026"}, "until: '31/12/2026' is not a time"),
    ],
)
def test_bad_filters_are_refused_with_the_reason(form: dict[str, str], message: str) -> None:
    """A malformed agency or time, or an empty range, is a ConsoleError naming the problem."""
    with pytest.raises(ConsoleError, match=message):
        parse_selection(form)


def test_personal_data_is_masked_everywhere_in_a_record() -> None:
    """Named personal fields anywhere and every text of a person's record are masked; the
    rest of the record is left as it is."""
    record: dict[str, Any] = {
        "dossierCode": "H24.26-0042",
        "owner": {"name": "Lê Minh Châu", "kind": 1, "idNumber": "001203004567"},
        "recipients": [{"code": "000.00.00.G22", "phone": "0912345678"}],
    }
    masked = mask_personal(record)
    assert masked["dossierCode"] == "H24.26-0042"
    assert masked["owner"] == {"name": "Lê *******âu", "kind": 1, "idNumber": "001*******67"}
    assert masked["recipients"] == [{"code": "000.00.00.G22", "phone": "091*****78"}]
    assert record["owner"]["idNumber"] == "001203004567", "the input is not changed"


def test_rates_per_minute_between_samples_survive_a_counter_reset() -> None:
    """10 records in 30 s are 20 a minute; a restarted process's counter counts from zero."""
    assert per_minute([(0.0, 0.0), (30.0, 10.0), (60.0, 4.0)]) == [20.0, 8.0]
    assert per_minute([(0.0, 5.0)]) == []


def test_a_sparkline_needs_two_values_and_scales_to_the_peak() -> None:
    """No chart from one value; the peak touches the top and the label says it."""
    assert sparkline([3.0]) == ""
    chart = sparkline([0.0, 10.0], width=100, height=28)
    assert 'points="0.0,26.0 100.0,2.0"' in chart and "peak 10" in chart


def test_the_where_question_checks_its_codes_and_event_type() -> None:
    """Recipients split on spaces or commas; unknown event types and bad codes are refused."""
    catalog = bundled_catalog()
    question = parse_question(
        {
            "event_type": "vn.gov.document.sent.v1",
            "sender": "000.01.02.H24",
            "recipients": "000.00.00.G22, 000.00.00.H15",
        },
        catalog,
    )
    assert question.recipients == ("000.00.00.G22", "000.00.00.H15")
    with pytest.raises(ConsoleError, match="not in the contract"):
        parse_question({"event_type": "vn.gov.nothing.v9", "sender": "000.01.02.H24"}, catalog)
    with pytest.raises(ConsoleError, match="recipient: 'G22'"):
        parse_question(
            {
                "event_type": "vn.gov.document.sent.v1",
                "sender": "000.01.02.H24",
                "recipients": "G22",
            },
            catalog,
        )


def test_log_in_gives_a_new_session_id_and_keeps_the_role() -> None:
    """A valid token replaces the login form's session (no fixation); a wrong one gets none;
    the CSRF token is compared exactly."""
    store = SessionStore(
        [AdminToken(name="ops", role=Role.OPERATOR, token_sha256=hash_admin_token("t" * 20))], 60
    )
    pending = store.anonymous()
    assert store.log_in(pending, "wrong-token") is None
    session = store.log_in(pending, "t" * 20)
    assert session is not None and session.session_id != pending.session_id
    assert store.get(pending.session_id) is None and store.get(session.session_id) == session
    assert session.may(Role.VIEWER) and session.csrf_ok(session.csrf)
    assert not session.csrf_ok("forged") and not session.csrf_ok(None)


def test_the_example_console_file_loads_and_points_at_the_example_node() -> None:
    """deploy/config/console.yaml is valid, names the example node.yaml beside it and the
    gateway's admin port and the webhook's metrics port of the example files."""
    import yaml

    folder = Path(__file__).parent.parent.parent / "deploy" / "config"
    config = load_console_config(folder / "console.yaml")
    node = yaml.safe_load((folder / "node.yaml").read_text())
    webhook = yaml.safe_load((folder / "connectors" / "hanoi-webhook.yaml").read_text())
    assert config.gateway_path == folder.resolve() / "node.yaml"
    assert config.url_of(ProcessKind.GATEWAY) == f"http://127.0.0.1:{node['admin']['port']}"
    assert config.url_of(ProcessKind.CONNECTOR) == f"http://127.0.0.1:{webhook['metrics_port']}"
    assert config.listen.host == "127.0.0.1"


def test_a_console_file_needs_exactly_one_gateway() -> None:
    """Without a gateway process the console has no admin API to act through: refused."""
    with pytest.raises(pydantic.ValidationError, match="exactly one gateway"):
        ConsoleConfig(
            gateway_config=Path("node.yaml"),
            processes=[ProcessSpec(name="t", kind=ProcessKind.TRACKER, url="http://127.0.0.1:1")],
        )
