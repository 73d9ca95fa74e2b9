"""Log lines are JSON and carry the record's ce_id and trace id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from bus.logging import bind_record, configure_logging
from schemas.envelope import Envelope


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.reset_defaults()


def test_lines_bound_to_a_record_carry_its_ce_id_and_trace_id(log_stream: io.StringIO) -> None:
    """structlog and stdlib loggers both emit JSON with the bound record identity."""
    envelope = Envelope.new(source="000.00.00.H24", type="vn.gov.dossier.status.v1")
    with bind_record(envelope):
        structlog.get_logger("lgsp.test").info("record_routed", destination="000.00.00.G22")
        logging.getLogger("aiokafka").warning("coordinator moved")
    structlog.get_logger("lgsp.test").info("after")
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert lines[0]["event"] == "record_routed" and lines[0]["destination"] == "000.00.00.G22"
    for line in lines[:2]:
        assert line["ce_id"] == envelope.id and line["trace_id"] == envelope.trace_id
        assert "timestamp" in line and "level" in line
    assert lines[1]["event"] == "coordinator moved"
    assert "ce_id" not in lines[2]


def test_aiokafka_debug_lines_are_held_back_even_at_debug(log_stream: io.StringIO) -> None:
    """aiokafka's DEBUG lines print record values (personal data): configure_logging keeps that
    library at INFO even when the process logs at DEBUG."""
    configure_logging("DEBUG", stream=log_stream)
    logging.getLogger("aiokafka.producer.producer").debug("Sending (key=%s value=%s)", b"k", b"v")
    logging.getLogger("aiokafka.conn").info("connected")
    structlog.get_logger("lgsp.test").debug("ours")
    events = [json.loads(line)["event"] for line in log_stream.getvalue().splitlines()]
    assert events == ["connected", "ours"]
    logging.getLogger("aiokafka").setLevel(logging.NOTSET)
