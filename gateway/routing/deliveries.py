"""Turn a routing decision into the records to produce: one per delivery, with the route's
transformation applied. Values are decoded only for routes that convert or mask them."""

from __future__ import annotations

from gateway.errors import TransformError
from gateway.routing.records import Incoming, Output
from gateway.routing.table import Decision
from gateway.routing.transform import header_changes, transform_value
from schemas.catalog import SchemaCatalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.errors import ContractError
from schemas.ids.directory import AgencyDirectory
from schemas.parking import without_park_headers

Headers = list[tuple[str, bytes]]


class Deliverer:
    """Builds the delivered copies of a record."""

    def __init__(self, directory: AgencyDirectory, catalog: SchemaCatalog) -> None:
        self.directory = directory
        self.catalog = catalog
        self.codec = AvroCodec(catalog)

    def outputs(
        self, record: Incoming, envelope: Envelope, decision: Decision, *, from_main: bool
    ) -> list[Output]:
        # Records from the main topic carry no park headers: their header list is reused as is.
        plain = list(record.headers) if from_main else without_park_headers(record.headers)
        outputs = []
        for delivery in decision.deliveries:
            value = record.value
            headers = (
                plain
                if delivery.recipients == envelope.recipients
                else _replace(plain, "ce_recipients", ",".join(delivery.recipients) or None)
            )
            spec = delivery.transform
            if spec is not None:
                if spec.needs_value and value is not None:
                    try:
                        value, target = transform_value(value, spec, self.codec, self.catalog)
                    except ContractError as error:
                        raise TransformError(f"route {delivery.route}: {error}") from error
                    headers = _replace(headers, "ce_dataschema", target.dataschema)
                headers = headers + header_changes(
                    spec, self.directory, envelope.source, delivery.recipients
                )
            outputs.append(Output(delivery.topic, record.key, value, headers))
        return outputs


def _replace(headers: Headers, name: str, value: str | None) -> Headers:
    kept = [(k, v) for k, v in headers if k != name]
    return [*kept, (name, value.encode())] if value is not None else kept
