"""Which class runs a connector file: the reference connectors by ``kind``, or an integrator's
own class named by ``entry`` (``kind: plugin``)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import yaml

from bus.yamlconfig import ConfigError, load_yaml_model
from connectors.config import ConnectorConfig
from connectors.errors import ConnectorError
from connectors.lifecycle import Connector

ConnectorClass = type[Connector[Any]]


def reference_connectors() -> dict[str, ConnectorClass]:
    """The reference connectors by kind (imported on first use: each pulls its own libraries)."""
    from connectors.dvcqg.sink import DvcqgSink
    from connectors.edxml.sink import EdxmlSink
    from connectors.edxml.source import EdxmlSource
    from connectors.httppoll import HttpPollSource
    from connectors.httpsink import HttpSink
    from connectors.webhook.connector import WebhookConnector

    return {
        "webhook": WebhookConnector,
        "http-poll": HttpPollSource,
        "http-sink": HttpSink,
        "edxml-source": EdxmlSource,
        "edxml-sink": EdxmlSink,
        "dvcqg-sink": DvcqgSink,
    }


def plugin_class(entry: str) -> ConnectorClass:
    """Import ``module:Class``; the class must be a Connector with a ``config_model``."""
    module_name, _, class_name = entry.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConnectorError(
            f"cannot import connector {entry!r}: {error} (is its folder on PYTHONPATH?)",
            code="LGSP-CONN-PLUGIN",
        ) from error
    if not (isinstance(found, type) and issubclass(found, Connector)):
        raise ConnectorError(
            f"{entry!r} is not a SourceConnector or SinkConnector subclass",
            code="LGSP-CONN-PLUGIN",
        )
    return found


def connector_class(config: ConnectorConfig) -> ConnectorClass:
    if config.kind == "plugin":
        return plugin_class(config.entry or "")
    return _by_kind(config.kind, "config")


def _by_kind(kind: str, source: str) -> ConnectorClass:
    known = reference_connectors()
    if kind not in known:
        raise ConfigError(
            source,
            [f"kind: {kind!r} is not a connector kind ({', '.join([*known, 'plugin'])})"],
        )
    return known[kind]


def load_connector_config(path: Path) -> ConnectorConfig:
    """Read a connector file: find its class from ``kind`` (and ``entry``), then validate the
    whole file with that class's model, every problem reported with its line."""
    try:
        head = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        head = None  # load_yaml_model reports it with its line
    kind = head.get("kind") if isinstance(head, dict) else None
    if kind == "plugin":
        # a plug-in lives beside its file (as `lgsp connector new` writes it): importable
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        cls = plugin_class(str(head.get("entry", "")) if isinstance(head, dict) else "")
    elif isinstance(kind, str):
        cls = _by_kind(kind, str(path))
    else:
        cls = None
    if cls is None:
        load_yaml_model(path, ConnectorConfig)  # reports the file's problems with lines
        raise ConfigError(str(path), ["kind: required (webhook, http-poll, ..., plugin)"])
    config = load_yaml_model(path, cls.config_model)
    if config.directory is not None and not config.directory.is_absolute():
        config = config.model_copy(update={"directory": path.parent / config.directory})
    return config
