"""edXML documents <-> document.sent records, and the refusal of unsafe or incomplete XML."""

from __future__ import annotations

import pytest

from connectors.edxml.document import EdxmlError, parse_edxml
from connectors.edxml.writing import format_edxml
from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from schemas.jsonform import from_json, to_json

DOCUMENT = bundled_catalog().get("document.sent")

HAND_WRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXML:edXMLHeader>
    <edXML:MessageHeader>
      <edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId>
        <edXML:OrganName>Văn phòng Chính phủ</edXML:OrganName></edXML:From>
      <edXML:To><edXML:OrganId>000.00.00.H24</edXML:OrganId>
        <edXML:OrganName>UBND thành phố Hà Nội</edXML:OrganName></edXML:To>
      <edXML:Code><edXML:CodeNumber>7816</edXML:CodeNumber>
        <edXML:CodeNotation>VPCP-TTĐT</edXML:CodeNotation></edXML:Code>
      <edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place>
        <edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate></edXML:PromulgationInfo>
      <edXML:DocumentType><edXML:Type>1</edXML:Type>
        <edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
      <edXML:Subject>V/v đồng bộ hồ sơ</edXML:Subject>
      <edXML:SignerInfo><edXML:Competence>KT. BỘ TRƯỞNG</edXML:Competence>
        <edXML:Position>Phó Chủ nhiệm</edXML:Position>
        <edXML:FullName>Nguyễn Văn An</edXML:FullName></edXML:SignerInfo>
      <edXML:DueDate>2026/12/15</edXML:DueDate>
      <edXML:OtherInfo><edXML:Priority>2</edXML:Priority></edXML:OtherInfo>
      <edXML:DocumentId>000.00.00.G22,2026/11/20,7816/VPCP-TTĐT</edXML:DocumentId>
    </edXML:MessageHeader>
    <edXML:TraceHeaderList>
      <edXML:TraceHeader><edXML:OrganId>000.00.00.G22</edXML:OrganId>
        <edXML:Timestamp>2026/11/20 09:12:30</edXML:Timestamp></edXML:TraceHeader>
      <edXML:Business><edXML:BusinessDocType>0</edXML:BusinessDocType></edXML:Business>
    </edXML:TraceHeaderList>
  </edXML:edXMLHeader>
  <edXML:edXMLBody><edXML:edXMLManifest/></edXML:edXMLBody>
</edXML:edXMLEnvelope>
"""


def test_formatted_document_parses_back_to_the_same_record() -> None:
    """format_edxml then parse_edxml gives back the record (dates, signer, attachments)."""
    record = example_record(DOCUMENT)
    data = format_edxml(
        to_json(DOCUMENT, record), received_by="000.00.00.H24", received_at="2026-11-20T03:00:00Z"
    )
    parsed = parse_edxml(data)
    assert from_json(DOCUMENT, parsed) | {"sentAt": record["sentAt"]} == record
    assert b"edXML:edXMLEnvelope" in data


def test_hand_written_edxml_with_slash_dates_becomes_a_valid_record() -> None:
    """yyyy/MM/dd dates and a local timestamp (UTC+7) are read into a valid record."""
    parsed = parse_edxml(HAND_WRITTEN.encode())
    record = from_json(DOCUMENT, parsed)
    assert record["promulgationDate"].isoformat() == "2026-11-20"
    assert record["sentAt"].isoformat() == "2026-11-20T02:12:30+00:00"
    assert record["priority"] == 2
    assert [r["code"] for r in record["recipients"]] == ["000.00.00.H24"]


def test_entity_declarations_are_refused_before_expansion() -> None:
    """A DTD with entities (billion laughs, external entities) is refused, never expanded."""
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol2;</edXML:edXMLEnvelope>"""
    with pytest.raises(EdxmlError, match="DTD"):
        parse_edxml(bomb)


def test_incomplete_document_lists_every_missing_field() -> None:
    """A header without Subject, Code and recipients is refused with each problem named."""
    broken = (
        HAND_WRITTEN.replace("<edXML:Subject>V/v đồng bộ hồ sơ</edXML:Subject>", "")
        .replace("<edXML:CodeNumber>7816</edXML:CodeNumber>", "")
        .replace("<edXML:To><edXML:OrganId>000.00.00.H24</edXML:OrganId>", "<edXML:Cc>")
        .replace(
            "UBND thành phố Hà Nội</edXML:OrganName></edXML:To>", "x</edXML:OrganName></edXML:Cc>"
        )
    )
    with pytest.raises(EdxmlError) as caught:
        parse_edxml(broken.encode())
    problems = " | ".join(caught.value.problems)
    assert "Subject: missing" in problems
    assert "Code/CodeNumber: missing" in problems
    assert "To: at least one recipient" in problems


def test_not_xml_and_wrong_root_are_refused() -> None:
    """Text that is not XML, and XML that is not an edXML envelope, are refused."""
    with pytest.raises(EdxmlError, match="not well-formed"):
        parse_edxml(b"%PDF-1.7")
    with pytest.raises(EdxmlError, match="not edXML:edXMLEnvelope"):
        parse_edxml(b"<html/>")
