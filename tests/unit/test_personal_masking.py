"""Masking personal data for display (`lgsp consume`): by field name, anywhere in a record."""

from __future__ import annotations

from schemas.catalog import bundled_catalog
from schemas.examples import example_json
from schemas.personal import mask_personal


def test_a_dossier_owner_is_masked_and_the_rest_kept() -> None:
    """A dossier's owner: CCCD, phone, e-mail, address and name masked; the dossier code and
    the receiving agency's name (not a person) kept as they are."""
    record = example_json(bundled_catalog().get("dossier.status", 1))
    masked = mask_personal(record)
    owner = masked["owner"]
    assert owner["idNumber"] == "001*******45"
    assert owner["phone"].startswith("091") and "*" in owner["phone"]
    assert "*" in owner["email"] and "*" in owner["address"] and "*" in owner["name"]
    assert masked["dossierCode"] == record["dossierCode"]
    assert masked["receivingAgency"] == record["receivingAgency"]
    assert record["owner"]["idNumber"] == "001190012345", "the input is not changed"


def test_masking_reaches_into_lists_and_leaves_nulls() -> None:
    """Personal fields inside lists are masked; null and short values stay safe."""
    masked = mask_personal({"people": [{"phone": "0912345678", "email": None}, {"mobile": "12"}]})
    assert masked == {"people": [{"phone": "091*****78", "email": None}, {"mobile": "**"}]}
