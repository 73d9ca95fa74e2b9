"""The schema catalog finds a schema by subject, version, event type and dataschema URI."""

from __future__ import annotations

import pytest

from schemas.catalog import bundled_catalog
from schemas.errors import SchemaError


def test_a_subject_gives_its_latest_version_and_any_earlier_one() -> None:
    """Without a version the latest is returned; v1 stays reachable."""
    catalog = bundled_catalog()
    assert catalog.get("dossier.status").version == 2
    assert catalog.get("dossier.status", 1).version == 1


def test_event_types_and_dataschema_uris_name_schemas() -> None:
    """ce_type gives the subject's latest version; ce_dataschema the exact one."""
    catalog = bundled_catalog()
    assert catalog.for_event_type("vn.gov.dossier.status.v1") is catalog.get("dossier.status", 2)
    v1 = catalog.get("dossier.status", 1)
    assert catalog.for_dataschema(v1.dataschema) is v1


@pytest.mark.parametrize(
    "lookup",
    [
        lambda c: c.get("dossier.status", 9),
        lambda c: c.get("vehicle.registration"),
        lambda c: c.for_event_type("vn.gov.dossier.status.v2"),
        lambda c: c.for_dataschema("urn:other:dossier.status:v1"),
    ],
)
def test_unknown_schemas_raise_with_their_code(lookup: object) -> None:
    """Unknown version, subject, event type or URI: LGSP-SCHEMA-UNKNOWN."""
    with pytest.raises(SchemaError) as raised:
        lookup(bundled_catalog())  # type: ignore[operator]
    assert raised.value.code == "LGSP-SCHEMA-UNKNOWN"
