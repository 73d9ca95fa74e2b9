""" "Where would this go?": the gateway's loaded table compiled with the gateway's own pure
routing code, asked about one event type, sender and recipients."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from gateway.routing.table import Decision, RouteTable, RoutingTableSpec
from lgsp.console.errors import ConsoleError
from schemas.catalog import SchemaCatalog
from schemas.ids.agency import AgencyCode
from schemas.ids.directory import AgencyDirectory


@dataclass(frozen=True, slots=True)
class Question:
    event_type: str
    sender: str
    recipients: tuple[str, ...]


def parse_question(form: dict[str, str], catalog: SchemaCatalog) -> Question:
    event_type = (form.get("event_type") or "").strip()
    known = {v.event_type for v in catalog}
    if event_type not in known:
        raise ConsoleError(f"event type {event_type!r} is not in the contract")
    sender = (form.get("sender") or "").strip()
    recipients = tuple(r for r in re.split(r"[\s,;]+", form.get("recipients") or "") if r)
    for field, code in [("sender", sender), *(("recipient", r) for r in recipients)]:
        if not AgencyCode.is_valid(code):
            raise ConsoleError(f"{field}: {code!r} is not an agency code like 000.00.00.H24")
    return Question(event_type, sender, recipients)


def table_of(
    routes: list[dict[str, Any]],
    node: str,
    directory: AgencyDirectory,
    catalog: SchemaCatalog,
    hops: Any,
) -> RouteTable:
    """The table the gateway has loaded (as /admin/routes returns it), compiled here."""
    try:
        spec = RoutingTableSpec.model_validate({"routes": routes}, context={"catalog": catalog})
    except ValidationError as error:
        raise ConsoleError(f"the gateway's table does not compile here: {error}") from error
    return RouteTable(spec, node, directory, hops)


def decide(table: RouteTable, question: Question) -> Decision:
    return table.decide(question.event_type, question.sender, question.recipients)
