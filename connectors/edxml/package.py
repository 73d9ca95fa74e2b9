"""edXML packages with embedded attachments, pure.

A package (impl.) wraps the ``edXMLEnvelope`` and an ``AttachmentEncoded`` list in an
``edXML`` root element; each ``Attachment`` has a ``ContentId`` (the one its Manifest
Reference names), ``AttachmentName``, ``ContentType`` and the file in base64 in
``ContentTransferEncoded``. Wrapper and attachment elements are matched by local name, in the
edXML namespace or none, as implementations write them. An envelope alone (root
``edXMLEnvelope``) is a package without embedded files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.attachments.errors import TOO_LARGE
from connectors.edxml.document import NS, EdxmlError, EmbeddedRef, parse_envelope, parse_root
from connectors.edxml.writing import envelope_element

_E = f"{{{NS}}}"


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in parent if _local(c) == name), None)


def _text(parent: ET.Element, name: str) -> str:
    found = _child(parent, name)
    return (found.text or "").strip() if found is not None else ""


@dataclass(frozen=True)
class EdxmlPackage:
    """A document record (plain JSON; embedded files named ``cid:<ContentId>``) and the bytes
    of its embedded files by SHA-256."""

    record: dict[str, Any]
    contents: dict[str, bytes]


def read_package(data: bytes, *, max_attachment_bytes: int) -> EdxmlPackage:
    """Read an edXML file with or without embedded attachments; EdxmlError with every problem
    (code LGSP-CONN-ATTACHMENT-TOO-LARGE when a file is over ``max_attachment_bytes``)."""
    root = parse_root(data)
    if _local(root) == "edXML":
        envelope = next((c for c in root if c.tag == f"{_E}edXMLEnvelope"), None)
        if envelope is None:
            raise EdxmlError(["edXML: no edXML:edXMLEnvelope inside the package"])
        encoded = _child(root, "AttachmentEncoded")
    else:
        envelope, encoded = root, _child(root, "AttachmentEncoded")
    refs, contents = _embedded(encoded, max_attachment_bytes)
    return EdxmlPackage(parse_envelope(envelope, refs), contents)


def _embedded(
    encoded: ET.Element | None, max_bytes: int
) -> tuple[dict[str, EmbeddedRef], dict[str, bytes]]:
    refs: dict[str, EmbeddedRef] = {}
    contents: dict[str, bytes] = {}
    problems, too_large = [], False
    for index, attachment in enumerate(encoded if encoded is not None else []):
        if _local(attachment) != "Attachment":
            continue
        content_id = _text(attachment, "ContentId") or f"attachment-{index + 1}"
        where = f"AttachmentEncoded/Attachment[{index + 1}] ({content_id})"
        text = "".join(_text(attachment, "ContentTransferEncoded").split())
        if len(text) // 4 * 3 > max_bytes:  # before decoding: a huge file is refused cheaply
            problems.append(f"{where}: over max_attachment_bytes {max_bytes}")
            too_large = True
            continue
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"{where}: ContentTransferEncoded is not base64")
            continue
        if content_id in refs:
            problems.append(f"{where}: ContentId used twice")
            continue
        sha256 = hashlib.sha256(content).hexdigest()
        refs[content_id] = EmbeddedRef(
            name=_text(attachment, "AttachmentName") or content_id,
            media_type=_text(attachment, "ContentType") or "application/octet-stream",
            sha256=sha256,
            size_bytes=len(content),
        )
        contents[sha256] = content
    if problems:
        raise EdxmlError(problems, code=TOO_LARGE if too_large else None)
    return refs, contents


def format_package(
    document: Mapping[str, Any],
    contents: Mapping[str, bytes],
    *,
    received_by: str,
    received_at: str,
) -> bytes:
    """An edXML package of a ``document.sent`` record with every attachment embedded
    (``contents`` by SHA-256); a Reference's ContentId is the file's SHA-256."""
    embedded = [a | {"uri": a["sha256"]} for a in document.get("attachments", [])]
    envelope = envelope_element(
        {**document, "attachments": embedded}, received_by=received_by, received_at=received_at
    )
    ET.indent(envelope)
    root = ET.Element("edXML")
    root.append(envelope)
    encoded = ET.SubElement(root, "AttachmentEncoded")
    for attachment in embedded:
        element = ET.SubElement(encoded, "Attachment")
        ET.SubElement(element, "ContentId").text = attachment["sha256"]
        ET.SubElement(element, "AttachmentName").text = attachment["name"]
        ET.SubElement(element, "ContentType").text = attachment["mediaType"]
        body = ET.SubElement(element, f"{_E}ContentTransferEncoded")
        body.text = base64.b64encode(contents[attachment["sha256"]]).decode("ascii")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
