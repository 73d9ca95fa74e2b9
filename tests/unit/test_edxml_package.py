"""edXML packages with embedded attachments and the content-addressed store (pure reading and
writing; the store on a temporary folder)."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.attachments.errors import TOO_LARGE
from connectors.attachments.store import AttachmentStore
from connectors.edxml.document import EdxmlError
from connectors.edxml.package import format_package, read_package
from connectors.edxml.writing import format_edxml
from lgsp.cli import app
from schemas.catalog import bundled_catalog
from schemas.examples import example_json
from schemas.jsonform import from_json

DOCUMENT = bundled_catalog().get("document.sent")
PDF = b"%PDF-1.7 quyet dinh " * 100
MAX = 1 << 20


def _document(content: bytes = PDF, name: str = "QD-7816.pdf") -> dict[str, object]:
    sha256 = hashlib.sha256(content).hexdigest()
    attachment = {
        "name": name,
        "uri": f"http://127.0.0.1:1/sha256/{sha256}",
        "sha256": sha256,
        "sizeBytes": len(content),
        "mediaType": "application/pdf",
    }
    return example_json(DOCUMENT) | {"attachments": [attachment]}


def _package(document: dict[str, object], content: bytes = PDF) -> bytes:
    sha256 = hashlib.sha256(content).hexdigest()
    return format_package(
        document, {sha256: content}, received_by="000.00.00.H24", received_at="2026-11-20T03:00:00Z"
    )


def _implementation_package(encoded: str, content_id: str = "att-1") -> bytes:
    """A package as an edXML implementation writes it: un-namespaced wrapper elements."""
    envelope = format_edxml(
        example_json(DOCUMENT) | {"attachments": []},
        received_by="000.00.00.H24",
        received_at="2026-11-20T03:00:00Z",
    ).split(b"?>", 1)[1]
    return (
        b"<?xml version='1.0' encoding='utf-8'?><edXML>" + envelope + b"<AttachmentEncoded>"
        b"<Attachment><ContentId>" + content_id.encode() + b"</ContentId>"
        b"<AttachmentName>To trinh.docx</AttachmentName><ContentType>application/msword"
        b"</ContentType><edXML:ContentTransferEncoded "
        b'xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">' + encoded.encode() +
        b"</edXML:ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>"
    )  # fmt: skip


def test_a_written_package_reads_back_with_its_file_by_hash() -> None:
    """format_package embeds the file; read_package names it by cid, SHA-256 and size, and
    returns its bytes under the hash."""
    package = read_package(_package(_document()), max_attachment_bytes=MAX)
    [attachment] = package.record["attachments"]
    sha256 = hashlib.sha256(PDF).hexdigest()
    assert attachment["uri"] == f"cid:{sha256}"
    assert (attachment["sha256"], attachment["sizeBytes"]) == (sha256, len(PDF))
    assert (attachment["name"], attachment["mediaType"]) == ("QD-7816.pdf", "application/pdf")
    assert package.contents == {sha256: PDF}
    assert package.record["subject"] == example_json(DOCUMENT)["subject"]


def test_an_embedded_file_no_reference_names_is_kept() -> None:
    """An implementation's package whose Manifest does not list its attachment still yields
    the attachment (never dropped), with the name and type of its Attachment element."""
    encoded = base64.b64encode(b"noi dung to trinh").decode()
    package = read_package(_implementation_package(encoded), max_attachment_bytes=MAX)
    [attachment] = package.record["attachments"]
    assert attachment["uri"] == "cid:att-1"
    assert (attachment["name"], attachment["mediaType"]) == ("To trinh.docx", "application/msword")
    assert list(package.contents.values()) == [b"noi dung to trinh"]
    from_json(DOCUMENT, package.record | {"attachments": [attachment | {"uri": "http://x"}]})


def test_an_attachment_that_is_not_base64_is_a_problem() -> None:
    """Text that is not base64 in ContentTransferEncoded refuses the file, naming it."""
    with pytest.raises(EdxmlError) as caught:
        read_package(_implementation_package("not*base64!"), max_attachment_bytes=MAX)
    assert caught.value.code == "LGSP-CONN-EDXML-MALFORMED"
    assert "att-1" in caught.value.problems[0] and "base64" in caught.value.problems[0]


def test_an_oversized_attachment_is_refused_with_its_code() -> None:
    """A file over max_attachment_bytes refuses the package with LGSP-CONN-ATTACHMENT-TOO-LARGE."""
    with pytest.raises(EdxmlError) as caught:
        read_package(_package(_document()), max_attachment_bytes=len(PDF) - 100)
    assert caught.value.code == TOO_LARGE


def test_a_declared_hash_other_than_the_embedded_file_is_a_problem() -> None:
    """A Reference whose lgsp:Sha256 is not the hash of the embedded bytes is refused."""
    sha256 = hashlib.sha256(PDF).hexdigest().encode()
    data = _package(_document()).replace(b"<lgsp:Sha256>" + sha256, b"<lgsp:Sha256>" + b"f" * 64)
    with pytest.raises(EdxmlError) as caught:
        read_package(data, max_attachment_bytes=MAX)
    assert "is not the SHA-256 of the embedded attachment" in caught.value.problems[0]


def test_the_store_keeps_one_file_per_hash_and_prunes_old_ones(tmp_path: Path) -> None:
    """The same bytes stored twice are one file under sha256/<2 hex>/<hex>; files older than
    the retention are deleted, newer ones kept."""
    store = AttachmentStore(tmp_path)
    first, again = store.put(PDF), store.put(PDF)
    other = store.put(b"another file")
    assert first == again and first.size_bytes == len(PDF)
    path = store.path_of(first.sha256)
    assert path == tmp_path / "sha256" / first.sha256[:2] / first.sha256
    assert path.read_bytes() == PDF
    old = time.time() - 10 * 86_400
    os.utime(path, (old, old))
    assert store.prune(retention_s=86_400) == 1
    assert not path.exists() and store.path_of(other.sha256).exists()


@pytest.mark.parametrize("name", ["../etc/passwd", "ABC", "0" * 63, "g" * 64])
def test_the_store_names_nothing_but_a_sha256(tmp_path: Path, name: str) -> None:
    """A name that is not 64 lower-case hex digits never becomes a path (no traversal)."""
    with pytest.raises(ValueError):
        AttachmentStore(tmp_path).path_of(name)


def test_the_prune_command_deletes_what_is_past_its_retention(tmp_path: Path) -> None:
    """`lgsp attachments prune` deletes files older than --retention-days and says how many."""
    store = AttachmentStore(tmp_path)
    old = store.path_of(store.put(b"old").sha256)
    os.utime(old, (time.time() - 3 * 86_400,) * 2)
    store.put(b"new")
    result = CliRunner().invoke(
        app, ["attachments", "prune", "--folder", str(tmp_path), "--retention-days", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "1 attachment(s) older than 2 days deleted" in result.output
    assert not old.exists()
