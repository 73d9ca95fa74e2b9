"""Connector SDK (source and sink bases, checkpoints) and the reference connectors: the only
code that talks to an agency's own system.

Write a source by subclassing ``SourceConnector`` (``poll`` returns a ``SourceBatch`` of
``SourceEvent``), a sink by subclassing ``SinkConnector`` (``deliver`` takes a ``Delivery``
and raises ``RetriableDeliveryError`` or ``PermanentDeliveryError``). ``run_connector`` runs
one in a process; ``lgsp connector new`` writes a working one. See docs/connectors.md.
"""

from connectors.config import ConnectorConfig, RetryPolicy, SinkConfig, SourceConfig
from connectors.context import ConnectorContext
from connectors.errors import (
    ConnectorError,
    DeliveryError,
    PermanentDeliveryError,
    RetriableDeliveryError,
)
from connectors.events import SourceEvent
from connectors.runner import RunningConnector, run_connector
from connectors.sink import Delivery, SinkConnector
from connectors.source import SourceBatch, SourceConnector

__all__ = [
    "ConnectorConfig",
    "ConnectorContext",
    "ConnectorError",
    "Delivery",
    "DeliveryError",
    "PermanentDeliveryError",
    "RetriableDeliveryError",
    "RetryPolicy",
    "RunningConnector",
    "SinkConfig",
    "SinkConnector",
    "SourceBatch",
    "SourceConfig",
    "SourceConnector",
    "SourceEvent",
    "run_connector",
]
