"""Pure decisions of the connector SDK: back-off, HTTP answers, field paths, commit offsets,
connector files."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from bus.yamlconfig import ConfigError
from connectors.config import RetryPolicy
from connectors.errors import PermanentDeliveryError, RetriableDeliveryError
from connectors.fieldpath import text_at, values_at
from connectors.httpsink import HttpSinkConfig
from connectors.registry import load_connector_config
from connectors.retry import backoff_s, check_status, parse_retry_after
from connectors.sink import _committable
from connectors.webhook.config import hash_api_key
from connectors.webhook.intake import Refusal, authenticate
from tests.connectorharness import WARD_KEY, webhook_config


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    """Each wait lies between half and all of min(max, initial * 2^(n-1))."""
    policy = RetryPolicy(initial_backoff_s=1, max_backoff_s=8)
    rand = random.Random(7)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 8)]:
        waits = [backoff_s(policy, attempt, rand=rand) for _ in range(200)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert max(waits) - min(waits) > ceiling / 4  # jittered, not fixed


def test_retry_after_is_honoured_and_capped() -> None:
    """A Retry-After hint is waited in full (plus at most a second), and capped."""
    policy = RetryPolicy(initial_backoff_s=0.1, max_retry_after_s=30)
    assert 5 <= backoff_s(policy, 1, retry_after_s=5) <= 6
    assert 30 <= backoff_s(policy, 1, retry_after_s=3600) <= 31


def test_retry_after_reads_seconds_and_http_dates() -> None:
    """Retry-After is delay-seconds or an HTTP date; garbage is ignored."""
    now = datetime(2026, 11, 20, 2, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Fri, 20 Nov 2026 02:01:30 GMT", now) == 90
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, None), (202, None), (409, None), (429, "retry"), (503, "retry"), (408, "retry"),
     (400, "park"), (404, "park"), (422, "park")],
)  # fmt: skip
def test_http_status_decides_delivered_retried_or_parked(status: int, outcome: str | None) -> None:
    """2xx and 409 deliver, 408/429/5xx retry, other 4xx park."""
    if outcome is None:
        check_status(status, "", None)
        return
    expected = RetriableDeliveryError if outcome == "retry" else PermanentDeliveryError
    with pytest.raises(expected) as caught:
        check_status(status, "body text", "7")
    assert str(status) in caught.value.message
    if outcome == "retry":
        assert caught.value.retry_after_s == 7  # type: ignore[attr-defined]


def test_field_paths_walk_objects_and_lists() -> None:
    """a.b reads one value, a[].b every item's, missing parts read nothing."""
    data = {"sender": {"code": "X"}, "recipients": [{"code": "A"}, {"code": "B"}], "n": 3}
    assert text_at(data, "sender.code") == "X"
    assert values_at(data, "recipients[].code") == ["A", "B"]
    assert text_at(data, "n") == "3"
    assert text_at(data, "sender.name") is None
    assert text_at(data, "recipients") is None


def _record(partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("t", partition, offset, 0, 0, None, b"", None, 0, 0, [])


def test_commit_stops_at_the_first_unfinished_record_of_each_partition() -> None:
    """Offsets move past finished records only up to the first one still pending."""
    p0, p1, p2 = TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("t", 2)
    fetched = {
        p0: [_record(0, 10), _record(0, 11), _record(0, 12)],
        p1: [_record(1, 5), _record(1, 6)],
        p2: [_record(2, 1)],
    }
    done = {(0, 10), (0, 12), (1, 5), (1, 6)}
    assert _committable(fetched, done) == {p0: 11, p1: 7}


def test_api_key_names_the_agency_and_a_claimed_other_agency_is_refused() -> None:
    """The key's hash finds the agency; X-Agency-Code naming another agency is a 403."""
    config = webhook_config("hanoi", "127.0.0.1:9")
    assert authenticate(config, {"x-api-key": WARD_KEY}).code == "000.01.02.H24"
    assert authenticate(config, {"authorization": f"Bearer {WARD_KEY}"}).code == "000.01.02.H24"
    with pytest.raises(Refusal) as caught:
        authenticate(config, {"x-api-key": WARD_KEY, "x-agency-code": "000.00.01.H24"})
    assert caught.value.status == 403
    assert hash_api_key(WARD_KEY) != WARD_KEY


def test_connector_file_errors_name_their_lines(tmp_path: Path) -> None:
    """A connector file with a bad agency code and a bad retry value fails with both lines."""
    path = tmp_path / "sink.yaml"
    path.write_text(
        "kind: http-sink\nname: dms\nnode: hanoi\nagency: 000.01.02.X\n"
        "url: http://dms.example/inbox\nretry:\n  multiplier: 0.5\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_connector_config(path)
    problems = caught.value.problems
    assert any(p.startswith("line 4: agency") for p in problems), problems
    assert any(p.startswith("line 7: retry.multiplier") for p in problems), problems


def test_unknown_kind_and_missing_plugin_are_refused(tmp_path: Path) -> None:
    """kind must be a reference connector or plugin; a plugin entry must import."""
    path = tmp_path / "c.yaml"
    path.write_text("kind: ftp\nname: x\nnode: hanoi\nagency: 000.01.02.H24\n")
    with pytest.raises(ConfigError, match="not a connector kind"):
        load_connector_config(path)
    path.write_text("kind: plugin\nentry: nowhere_module:Nothing\nname: x\n")
    with pytest.raises(Exception, match="LGSP-CONN-PLUGIN"):
        load_connector_config(path)


def test_reference_sink_file_loads_with_its_defaults(tmp_path: Path) -> None:
    """A minimal http-sink file loads with the documented defaults."""
    path = tmp_path / "sink.yaml"
    path.write_text(
        "kind: http-sink\nname: dms\nnode: hanoi\nagency: 000.01.02.H24\nurl: http://x/in\n"
    )
    config = load_connector_config(path)
    assert isinstance(config, HttpSinkConfig)
    assert (config.format, config.retry.max_attempts, config.max_in_flight) == (
        "cloudevents",
        None,
        256,
    )
