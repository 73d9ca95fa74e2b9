"""``document.sent`` records (plain JSON) -> edXML documents (QCVN 102:2016), pure: the inverse
of ``connectors.edxml.document``'s reading, dates written back as ``yyyy/MM/dd``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from connectors.edxml.document import LGSP_NS, NS

_E = f"{{{NS}}}"
_L = f"{{{LGSP_NS}}}"


def _add(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    element = ET.SubElement(parent, tag if tag.startswith("{") else _E + tag)
    if text is not None:
        element.text = str(text)
    return element


def _edxml_day(value: str) -> str:
    return value.replace("-", "/")


def format_edxml(document: dict[str, Any], *, received_by: str, received_at: str) -> bytes:
    """An edXML file of a ``document.sent`` record (plain JSON); a TraceHeader records the
    receiving agency and time after the sender's."""
    root = envelope_element(document, received_by=received_by, received_at=received_at)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def envelope_element(
    document: Mapping[str, Any], *, received_by: str, received_at: str
) -> ET.Element:
    """The ``edXMLEnvelope`` element of a ``document.sent`` record."""
    root = ET.Element(f"{_E}edXMLEnvelope")
    header_root = _add(root, "edXMLHeader")
    header = _add(header_root, "MessageHeader")
    for tag, organ in [("From", document["sender"]), *(("To", r) for r in document["recipients"])]:
        element = _add(header, tag)
        _add(element, "OrganId", organ["code"])
        _add(element, "OrganName", organ["name"])
    code = _add(header, "Code")
    _add(code, "CodeNumber", document["codeNumber"])
    _add(code, "CodeNotation", document["codeNotation"])
    info = _add(header, "PromulgationInfo")
    _add(info, "Place", document["promulgationPlace"])
    _add(info, "PromulgationDate", _edxml_day(document["promulgationDate"]))
    kind = _add(header, "DocumentType")
    _add(kind, "Type", document["documentType"])
    _add(kind, "TypeName", document["documentTypeName"])
    _add(header, "Subject", document["subject"])
    if document.get("content"):
        _add(header, "Content", document["content"])
    signer = _add(header, "SignerInfo")
    _add(signer, "Competence", document["signer"]["competence"])
    _add(signer, "Position", document["signer"]["position"])
    _add(signer, "FullName", document["signer"]["fullName"])
    if document.get("dueDate"):
        _add(header, "DueDate", _edxml_day(document["dueDate"]))
    places = _add(header, "ToPlaces")
    for place in document.get("toPlaces", []):
        _add(places, "Place", place)
    _add(_add(header, "OtherInfo"), "Priority", document.get("priority", 0))
    if document.get("steeringType") is not None:
        _add(header, "SteeringType", document["steeringType"])
    _add(header, "DocumentId", document["documentId"])
    for earlier in document.get("responseFor", []):
        element = _add(header, "ResponseFor")
        _add(element, "OrganId", earlier["organId"])
        _add(element, "Code", earlier["code"])
        _add(element, "PromulgationDate", _edxml_day(earlier["promulgationDate"]))
        _add(element, "DocumentId", earlier["documentId"])
    traces = _add(header_root, "TraceHeaderList")
    for organ, stamp in (
        (document["sender"]["code"], document["sentAt"]),
        (received_by, received_at),
    ):
        trace = _add(traces, "TraceHeader")
        _add(trace, "OrganId", organ)
        _add(trace, "Timestamp", stamp)
    business = _add(traces, "Business")
    _add(business, "BusinessDocType", document.get("businessDocType", 0))
    if document.get("businessDocReason"):
        _add(business, "BusinessDocReason", document["businessDocReason"])
    manifest = _add(_add(root, "edXMLBody"), "edXMLManifest")
    for attachment in document.get("attachments", []):
        ref = _add(manifest, "Reference")
        _add(ref, "ContentId", attachment["uri"])
        _add(ref, "ContentType", attachment["mediaType"])
        _add(ref, "AttachmentName", attachment["name"])
        _add(ref, f"{_L}Sha256", attachment["sha256"])
        _add(ref, f"{_L}SizeBytes", attachment["sizeBytes"])
    return root
