"""Admission of fresh records, pure: a record that breaks a rule of the standards is parked,
never routed.

The gateway routes on headers alone, so this must not decode every value: the connector SDK
checks each record against the rules before it publishes and stamps the rule set it passed in
the ``lgsp-validated`` header. A record carrying the gateway's own rule set costs one header
look-up here; only a record without it (a producer that is not the SDK, an SDK of other
rules) is decoded and checked.
"""

from __future__ import annotations

from typing import NamedTuple

from gateway.routing.records import Incoming
from schemas.catalog import SchemaCatalog
from schemas.codec import AvroCodec
from schemas.confluent import is_confluent
from schemas.errors import ContractError
from schemas.ids.directory import AgencyDirectory
from schemas.validation import VALIDATED_HEADER, ruleset_id, violations


class Refused(NamedTuple):
    code: str
    reason: str


class Admission:
    """Decides whether a fresh record may be routed."""

    def __init__(self, catalog: SchemaCatalog, directory: AgencyDirectory) -> None:
        self.codec = AvroCodec(catalog)
        self.directory = directory
        self.ruleset = ruleset_id()
        self._stamp = self.ruleset.encode()  # compared as bytes: no decoding per record
        self.checked = 0  # records decoded and checked (the rest passed on their stamp)

    def refusal(self, record: Incoming) -> Refused | None:
        """None when the record may be routed, else the code and reason to park it with."""
        for name, value in record.headers:  # the first stamp counts; a damaged one is none
            if name == VALIDATED_HEADER:
                if value == self._stamp:
                    return None
                break
        self.checked += 1
        if is_confluent(record.value or b""):  # the runtime resolves those it can
            return Refused(
                "LGSP-CODEC-CONFLUENT-UNRESOLVED",
                "a Confluent frame whose schema id the registry (wire_format.registry) "
                "could not resolve, or with no registry configured",
            )
        try:
            schema = self.codec.writer_of(record.value or b"")
            decoded = self.codec.decode(record.value or b"")
        except ContractError as error:
            return Refused(error.code, f"value is no record of the contract: {error.message}")
        try:
            found = violations(schema.subject, decoded, self.directory)
        except Exception as error:  # a rule that raises must not stall the partition for ever
            return Refused("LGSP-VALID", f"the rules could not judge the record: {error!r}")
        if not found:
            return None
        return Refused(found[0].code, "; ".join(str(v) for v in found))
