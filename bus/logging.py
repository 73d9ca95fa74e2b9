"""Structured JSON logs (structlog) for every process, with the standard library's loggers
(aiokafka's among them) rendered the same way.

Bind ``ce_id`` and ``trace_id`` once per record with ``bind_record``; every line logged while
handling it carries them. Never log personal data (CCCD, phone numbers) or secrets.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

from schemas.envelope import Envelope


def configure_logging(
    level: str = "INFO", *, stream: TextIO | None = None, json: bool = True
) -> None:
    """Send structlog and stdlib logs to ``stream`` (stderr) as JSON lines (or console text)."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        # filter_by_level first: a line below the level (a hot path's debug) is dropped before
        # it is merged and timestamped
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka's DEBUG lines print records' keys and values ("Sending (key=... value=...)"),
    # and so citizens' CCCD and phone numbers: never below INFO, whatever LGSP_LOG_LEVEL says.
    logging.getLogger("aiokafka").setLevel(max(root.level, logging.INFO))
    # Our log readers (link state, receipts) assign their partitions on every read, which
    # aiokafka logs at INFO each time ("Updating subscribed topics to: ..."): once a second.
    logging.getLogger("aiokafka.consumer.subscription_state").setLevel(
        max(root.level, logging.WARNING)
    )


class bind_record:  # noqa: N801 (used as a function: ``with bind_record(envelope):``)
    """Bind the record's ce_id, type, source and trace id to every log line in the block.

    A class rather than ``@contextmanager`` around structlog's own (two generator frames a
    record): sinks bind every record they deliver."""

    __slots__ = ("_envelope", "_tokens")

    def __init__(self, envelope: Envelope) -> None:
        self._envelope = envelope

    def __enter__(self) -> None:
        envelope = self._envelope
        self._tokens = structlog.contextvars.bind_contextvars(
            ce_id=envelope.id,
            ce_type=envelope.type,
            ce_source=envelope.source,
            trace_id=envelope.trace_id,
        )

    def __exit__(self, *_: object) -> None:
        structlog.contextvars.reset_contextvars(**self._tokens)
