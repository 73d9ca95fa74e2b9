"""edXML documents -> ``document.sent`` records (plain JSON), pure; the other way is
``connectors.edxml.writing``.

An edXML message (QCVN 102:2016) has a header (MessageHeader: From, To, Code,
PromulgationInfo, DocumentType, Subject, Content, SignerInfo, DueDate, ToPlaces, OtherInfo,
SteeringType, DocumentId, ResponseFor; TraceHeaderList with the Business block) and a body
whose Manifest references the attachments. Files travel by reference on the bus: a Reference's
``ContentId`` is the attachment's URI, and the ``lgsp:Sha256`` / ``lgsp:SizeBytes`` extension
elements carry its digest and size. Dates are ``yyyy/MM/dd`` in edXML, ``YYYY-MM-DD`` in JSON.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from connectors.edxml.safexml import UnsafeXmlError, parse_untrusted
from connectors.errors import ConnectorError

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
LGSP_NS = "urn:vn.gov.lgsp:edxml"
_WHOLE = re.compile(r"-?[0-9]+")
_E = f"{{{NS}}}"
_L = f"{{{LGSP_NS}}}"
ET.register_namespace("edXML", NS)
ET.register_namespace("lgsp", LGSP_NS)


class EdxmlError(ConnectorError):
    """A file that is not an edXML document the bus can carry; ``problems`` lists why."""

    code = "LGSP-CONN-EDXML-MALFORMED"

    def __init__(self, problems: list[str], *, code: str | None = None) -> None:
        super().__init__("not a usable edXML document: " + "; ".join(problems), code=code)
        self.problems = problems


class _Reader:
    """Reads fields off the tree, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def text(self, parent: ET.Element | None, path: str, *, required: bool = True) -> str | None:
        found = None if parent is None else parent.find(_path(path))
        value = (found.text or "").strip() if found is not None else ""
        if not value:
            if required:
                self.problems.append(f"{path}: missing")
            return None
        return value

    def number(self, parent: ET.Element | None, path: str, *, required: bool = True) -> int | None:
        value = self.text(parent, path, required=required)
        if value is None:
            return None
        # ASCII digits only: str.isdigit() also accepts "²", and lstrip("-") accepted "--5"
        if not _WHOLE.fullmatch(value) or len(value) > 20:
            self.problems.append(f"{path}: {value!r} is not a whole number")
            return None
        return int(value)

    def day(self, parent: ET.Element | None, path: str, *, required: bool = True) -> str | None:
        value = self.text(parent, path, required=required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value.replace("/", "-")).isoformat()
        except ValueError:
            self.problems.append(f"{path}: {value!r} is not a date yyyy/MM/dd")
            return None


def _path(path: str) -> str:
    return "/".join(part if part.startswith("{") else _E + part for part in path.split("/"))


def _organ(reader: _Reader, organ: ET.Element, where: str) -> dict[str, Any]:
    return {
        "code": reader.text(organ, "OrganId") or f"<missing {where} OrganId>",
        "name": reader.text(organ, "OrganName") or "",
    }


def parse_edxml(data: bytes) -> dict[str, Any]:
    """A ``document.sent`` record (plain JSON) from an edXML file whose attachments travel by
    reference, or EdxmlError with every problem found (``connectors.edxml.package`` reads
    packages with embedded attachments)."""
    return parse_envelope(parse_root(data))


def parse_root(data: bytes) -> ET.Element:
    """The root element of untrusted XML (no DTD, well-formed), or EdxmlError."""
    try:
        return parse_untrusted(data)
    except (UnsafeXmlError, ET.ParseError) as error:
        raise EdxmlError([str(error)]) from error


def parse_envelope(
    root: ET.Element, embedded: Mapping[str, EmbeddedRef] | None = None
) -> dict[str, Any]:
    """The record of an ``edXMLEnvelope`` element; a Reference whose ContentId is in
    ``embedded`` names that embedded attachment (``cid:`` URI, its hash and size)."""
    if root.tag != f"{_E}edXMLEnvelope":
        raise EdxmlError([f"root element is {root.tag}, not edXML:edXMLEnvelope in {NS}"])
    embedded = embedded or {}
    reader = _Reader()
    header = root.find(_path("edXMLHeader/MessageHeader"))
    if header is None:
        raise EdxmlError(["edXMLHeader/MessageHeader: missing"])
    sender = header.find(_path("From"))
    recipients = header.findall(_path("To"))
    if sender is None:
        reader.problems.append("From: missing")
    if not recipients:
        reader.problems.append("To: at least one recipient is required")
    business = root.find(_path("edXMLHeader/TraceHeaderList/Business"))
    traces = root.findall(_path("edXMLHeader/TraceHeaderList/TraceHeader"))
    record = {
        "documentId": reader.text(header, "DocumentId"),
        "businessDocType": reader.number(business, "BusinessDocType", required=False) or 0,
        "businessDocReason": reader.text(business, "BusinessDocReason", required=False),
        "sender": _organ(reader, sender, "From") if sender is not None else None,
        "recipients": [_organ(reader, organ, "To") for organ in recipients],
        "codeNumber": reader.text(header, "Code/CodeNumber"),
        "codeNotation": reader.text(header, "Code/CodeNotation"),
        "documentType": reader.number(header, "DocumentType/Type"),
        "documentTypeName": reader.text(header, "DocumentType/TypeName"),
        "subject": reader.text(header, "Subject"),
        "content": reader.text(header, "Content", required=False),
        "promulgationPlace": reader.text(header, "PromulgationInfo/Place"),
        "promulgationDate": reader.day(header, "PromulgationInfo/PromulgationDate"),
        "signer": {
            "competence": reader.text(header, "SignerInfo/Competence") or "",
            "position": reader.text(header, "SignerInfo/Position") or "",
            "fullName": reader.text(header, "SignerInfo/FullName") or "",
        },
        "priority": reader.number(header, "OtherInfo/Priority", required=False) or 0,
        "dueDate": reader.day(header, "DueDate", required=False),
        "steeringType": reader.number(header, "SteeringType", required=False),
        "toPlaces": [
            (p.text or "").strip() for p in header.findall(_path("ToPlaces/Place")) if p.text
        ],
        "attachments": _attachments(reader, root, embedded),
        "responseFor": [_response_for(reader, r) for r in header.findall(_path("ResponseFor"))],
        "sentAt": _instant(reader.text(traces[-1], "Timestamp")) if traces else None,
    }
    if not traces:
        reader.problems.append("TraceHeaderList/TraceHeader: missing (its Timestamp is sentAt)")
    if reader.problems:
        raise EdxmlError(reader.problems)
    return record


def _instant(text: str | None) -> str | None:
    """edXML systems often write ``yyyy/MM/dd HH:mm:ss`` in Vietnam's time (UTC+7): make it
    ISO 8601 with the zone; ISO 8601 input passes as it is (the schema check judges it)."""
    if text is None or "/" not in text:
        return text
    return text.replace("/", "-").replace(" ", "T") + "+07:00"


@dataclass(frozen=True)
class EmbeddedRef:
    """What a Reference needs of an embedded attachment: its name, type, hash and size."""

    name: str
    media_type: str
    sha256: str
    size_bytes: int


def _attachments(
    reader: _Reader, root: ET.Element, embedded: Mapping[str, EmbeddedRef]
) -> list[dict[str, Any]]:
    found, named = [], set()
    for ref in root.iter(f"{_E}Reference"):
        content_id = reader.text(ref, "ContentId", required=False) or ""
        inside = embedded.get(content_id)
        if inside is None:
            found.append(_attachment(reader, ref))
            continue
        named.add(content_id)
        declared = reader.text(ref, f"{_L}Sha256", required=False)
        if declared is not None and declared != inside.sha256:
            reader.problems.append(
                f"Reference {content_id}: lgsp:Sha256 {declared} is not the SHA-256 of the "
                "embedded attachment"
            )
        found.append(
            {
                "name": reader.text(ref, "AttachmentName", required=False) or inside.name,
                "uri": f"cid:{content_id}",
                "sha256": inside.sha256,
                "sizeBytes": inside.size_bytes,
                "mediaType": reader.text(ref, "ContentType", required=False) or inside.media_type,
            }
        )
    # an embedded file no Reference names is still the document's: never dropped
    for content_id, inside in embedded.items():
        if content_id not in named:
            found.append(
                {
                    "name": inside.name,
                    "uri": f"cid:{content_id}",
                    "sha256": inside.sha256,
                    "sizeBytes": inside.size_bytes,
                    "mediaType": inside.media_type,
                }
            )
    return found


def _attachment(reader: _Reader, ref: ET.Element) -> dict[str, Any]:
    return {
        "name": reader.text(ref, "AttachmentName") or "",
        "uri": reader.text(ref, "ContentId") or "",
        "sha256": reader.text(ref, f"{_L}Sha256") or "",
        "sizeBytes": reader.number(ref, f"{_L}SizeBytes") or 0,
        "mediaType": reader.text(ref, "ContentType") or "",
    }


def _response_for(reader: _Reader, element: ET.Element) -> dict[str, Any]:
    return {
        "organId": reader.text(element, "OrganId") or "",
        "code": reader.text(element, "Code") or "",
        "promulgationDate": reader.day(element, "PromulgationDate"),
        "documentId": reader.text(element, "DocumentId") or "",
    }
