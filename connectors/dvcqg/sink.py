"""National portal sink (``kind: dvcqg-sink``): each dossier status in the inbox is
synchronised to the National Public Service Portal in the portal's own protocol.

For every record, in the dossier's order:

1. ``TraCuuHoSo`` looks the dossier up;
2. ``DongBoHoSoMC`` sends its HoSo with ``isUpdating`` true when the portal has it already, so
   a record delivered twice (a retry after a lost reply, a restart) updates the dossier and
   never creates a second one: the portal's check-then-write is made idempotent by always
   checking again, and the sink's per-key order means no two calls for one dossier overlap;
3. only when the sync succeeded, ``CapNhatTienDoHoSoMC`` sends the processing step, when the
   record reports one.

``error_code`` 0 / "00" is success; codes in ``session_expired_codes`` (and HTTP 401) log in
again; codes in ``retriable_codes``, 5xx, 429 and timeouts are retried with the SDK's back-off;
any other code is a refusal: the record is parked with the portal's code and message.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from connectors.config import ConnectorConfig, SinkConfig
from connectors.dvcqg.client import PortalSession
from connectors.dvcqg.hoso import ReplyCodes, found_dossier, hoso, progress
from connectors.sink import Delivery, SinkConnector


class DvcqgSinkConfig(SinkConfig):
    kind: Literal["dvcqg-sink"] = "dvcqg-sink"
    service_url: str = Field(description="The portal's service endpoint (every call is a POST).")
    login_url: str = Field(description="Where username and password are POSTed for a session.")
    username: str = Field(description="The one-stop-shop system's account on the portal.")
    password: SecretStr = Field(description="Its password (never logged).")
    event_types: list[str] = Field(default_factory=lambda: ["vn.gov.dossier.status.v1"])
    timeout_s: float = Field(default=60.0, gt=0, description="Read timeout of each call.")
    max_connections: int = Field(default=8, ge=1, le=256, description="HTTP connections.")
    send_progress: bool = Field(
        default=True, description="Send CapNhatTienDoHoSoMC for records with a step."
    )
    success_codes: list[str] = Field(default_factory=lambda: ["0", "00"])
    session_expired_codes: list[str] = Field(
        default_factory=lambda: ["-1"],
        description="error_code values meaning 'log in again' (HTTP 401 always does).",
    )
    retriable_codes: list[str] = Field(
        default_factory=lambda: ["99"],
        description="error_code values meaning 'busy, come back later': retried.",
    )
    not_found_codes: list[str] = Field(
        default_factory=list,
        description="error_code values with which TraCuuHoSo says 'no such dossier' "
        "(besides a success with an empty result): the dossier is synchronised as new.",
    )

    @field_validator("service_url", "login_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r}: an http:// or https:// URL")
        return value


class DvcqgSink(SinkConnector[DvcqgSinkConfig]):
    config_model: ClassVar[type[ConnectorConfig]] = DvcqgSinkConfig

    async def open_sink(self) -> None:
        config = self.config
        client = await self.enter.enter_async_context(
            httpx.AsyncClient(
                timeout=config.timeout_s,
                limits=httpx.Limits(max_connections=config.max_connections),
            )
        )
        self.portal = PortalSession(
            client,
            login_url=config.login_url,
            service_url=config.service_url,
            credentials={
                "username": config.username,
                "password": config.password.get_secret_value(),
            },
            codes=ReplyCodes(
                success=tuple(config.success_codes),
                session_expired=tuple(config.session_expired_codes),
                retriable=tuple(config.retriable_codes),
            ),
        )

    async def deliver(self, delivery: Delivery) -> None:
        record = delivery.record
        dossier = hoso(record)
        looked_up = await self.portal.call(
            "TraCuuHoSo", {"MaHoSo": dossier["MaHoSo"]}, also_ok=self.config.not_found_codes
        )
        updating = found_dossier(looked_up)
        await self.portal.call("DongBoHoSoMC", {"isUpdating": updating, "data": [dossier]})
        step = progress(record)
        if step is not None and self.config.send_progress:
            await self.portal.call("CapNhatTienDoHoSoMC", {"data": [step]})
