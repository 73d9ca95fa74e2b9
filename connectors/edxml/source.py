"""edXML file-drop source: documents dropped in a folder become ``document.sent`` events.

Files named ``*.edxml`` are read in name order (names starting with ``.`` or ending in
``.part``/``.tmp`` are still being written and are skipped). A published file moves to
``archive/``; a malformed one moves to ``rejected/`` beside a ``<name>.reason.txt`` saying why.
Embedded attachments (base64 in the package) are stored in the node's attachment store by
SHA-256 and the record names them by URL, hash, size, name and type: a package of tens of MB
becomes a record of a few kB. The folder itself is the position: a file still in the folder
has not been acknowledged. A file published just before a crash is published again with the
same ce_id (derived from its content's SHA-256), which the sinks drop.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any, ClassVar, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field

from connectors.attachments.store import AttachmentStore
from connectors.config import ConnectorConfig, SourceConfig
from connectors.edxml.document import EdxmlError
from connectors.edxml.package import EdxmlPackage, read_package
from connectors.events import SourceEvent
from connectors.source import SourceBatch, SourceConnector
from schemas.catalog import bundled_catalog
from schemas.errors import ContractError
from schemas.jsonform import from_json

log = structlog.get_logger("lgsp.connector.edxml")
SUBJECT = "document.sent"


class SourceAttachments(BaseModel):
    """Where the source stores embedded attachments: the node's attachment store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path = Field(description="The attachment store's folder (shared with its server).")
    url: str = Field(description="The store's base URL as the node's sinks reach it.")
    max_bytes: int = Field(
        default=64 << 20, ge=1, description="Largest attachment taken (bigger: rejected)."
    )


class EdxmlSourceConfig(SourceConfig):
    kind: Literal["edxml-source"] = "edxml-source"
    folder: Path = Field(description="Where agency systems drop edXML files.")
    archive_folder: Path | None = Field(default=None, description="Default: <folder>/archive.")
    rejected_folder: Path | None = Field(default=None, description="Default: <folder>/rejected.")
    attachments: SourceAttachments | None = Field(
        default=None,
        description="The store for embedded attachments; unset: packages with embedded "
        "attachments are rejected (never published without their files).",
    )

    @property
    def archive(self) -> Path:
        return self.archive_folder or self.folder / "archive"

    @property
    def rejected(self) -> Path:
        return self.rejected_folder or self.folder / "rejected"


def _ready(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


class EdxmlSource(SourceConnector[EdxmlSourceConfig]):
    config_model: ClassVar[type[ConnectorConfig]] = EdxmlSourceConfig

    async def open_source(self) -> None:
        for folder in (self.config.folder, self.config.archive, self.config.rejected):
            folder.mkdir(parents=True, exist_ok=True)

    async def poll(self, position: str | None) -> SourceBatch:
        files = sorted(p for p in self.config.folder.glob("*.edxml") if _ready(p))
        batch = files[: self.config.max_batch]
        events, accepted = [], []
        for path in batch:
            event = await asyncio.to_thread(self._read, path)  # a package may be tens of MB
            if event is not None:
                events.append(event)
                accepted.append(path)
        return SourceBatch(events, more=len(files) > len(batch), context=accepted)

    def _read(self, path: Path) -> SourceEvent | None:
        data = path.read_bytes()
        stored = self.config.attachments
        try:
            package = read_package(
                data, max_attachment_bytes=stored.max_bytes if stored else 64 << 20
            )
            document = self._store_attachments(package)
            from_json(bundled_catalog().get(SUBJECT), document)
        except EdxmlError as error:
            self._reject(path, error.code, error.problems)
            return None
        except ContractError as error:
            self._reject(path, error.code, getattr(error, "problems", [error.message]))
            return None
        return SourceEvent(
            subject=SUBJECT,
            data=document,
            key=document["documentId"],
            identity=hashlib.sha256(data).hexdigest(),
            recipients=[r["code"] for r in document["recipients"]],
            source=document["sender"]["code"],
        )

    def _store_attachments(self, package: EdxmlPackage) -> dict[str, Any]:
        """Each embedded file into the node's store; the record names it by URL and hash."""
        if not package.contents:
            return package.record
        stored = self.config.attachments
        if stored is None:
            raise EdxmlError(
                ["the package embeds attachments and this source has no `attachments` store"],
                code="LGSP-CONN-ATTACHMENT-NO-STORE",
            )
        store = AttachmentStore(stored.folder)
        for content in package.contents.values():
            store.put(content)
        base = stored.url.rstrip("/")
        attachments = [
            a | {"uri": f"{base}/sha256/{a['sha256']}"} if a["uri"].startswith("cid:") else a
            for a in package.record["attachments"]
        ]
        log.info("edxml_attachments_stored", count=len(package.contents))
        return package.record | {"attachments": attachments}

    def _reject(self, path: Path, code: str, problems: list[str]) -> None:
        target = self.config.rejected / path.name
        path.replace(target)
        reason = f"{code}\n" + "".join(f"- {problem}\n" for problem in problems)
        (self.config.rejected / f"{path.name}.reason.txt").write_text(reason, encoding="utf-8")
        self.metrics.count("rejected")
        log.warning("edxml_file_rejected", file=path.name, code=code, problems=len(problems))

    async def acknowledged(self, batch: SourceBatch) -> None:
        """Every event of the batch is on Kafka: archive its files."""
        for path in batch.context or []:
            path.replace(self.config.archive / path.name)
