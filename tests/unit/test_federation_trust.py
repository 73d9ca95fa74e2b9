"""Trust registry, record signatures and the border's verdicts, as pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.federation import errors
from gateway.federation.border.verify import Refusal, Verified, verify_record
from gateway.federation.errors import TrustError
from gateway.federation.runtime import choose_signer
from gateway.federation.trust.authoring import registry_key, write_key_pair
from gateway.federation.trust.registry import (
    RegistryDocument,
    RegistryNode,
    TrustRegistry,
    open_registry,
    sign_registry,
)
from gateway.federation.trust.signing import (
    NodeSigner,
    load_private_key,
    load_public_key,
    signed_text,
)
from schemas.envelope import Envelope, format_time, header_value

NOW = datetime.now(UTC)
H24 = "000.00.00.H24"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    write_key_pair(folder, "anchor")
    write_key_pair(folder, "other-anchor")
    write_key_pair(folder, "ngsp-1")
    write_key_pair(folder, "hanoi-1")
    write_key_pair(folder, "hanoi-2", "ECDSA-P256-SHA256")
    write_key_pair(folder, "rogue")
    write_key_pair(folder, "hanoi-old")
    return folder


def document(keys: Path, serial: int = 1) -> RegistryDocument:
    def key(key_id: str, start: timedelta, end: timedelta) -> object:
        return registry_key(key_id, keys / f"{key_id}.pub.pem", NOW + start, NOW + end)

    year = timedelta(days=365)
    return RegistryDocument(
        serial=serial,
        issued_at=NOW,
        nodes=[
            RegistryNode(
                name="ngsp",
                operator="000.00.00.G22",
                hub=True,
                agencies=["under 000.00.00.G22", "under 000.00.00.G01"],
                keys=[key("ngsp-1", -year, year)],  # type: ignore[list-item]
            ),
            RegistryNode(
                name="hanoi",
                operator=H24,
                agencies=[f"under {H24}"],
                keys=[
                    key("hanoi-1", -year, year),  # type: ignore[list-item]
                    key("hanoi-2", -timedelta(days=1), year),  # type: ignore[list-item]
                    key("hanoi-old", -year, -timedelta(days=1)),  # type: ignore[list-item]
                ],
            ),
            RegistryNode(name="danang", operator="000.00.00.H15", agencies=["under 000.00.00.H15"]),
        ],
    )


def anchors(keys: Path, name: str = "anchor") -> dict[str, object]:
    return {name: load_public_key((keys / f"{name}.pub.pem").read_text())}


def registry(keys: Path) -> TrustRegistry:
    published = sign_registry(document(keys), "anchor", load_private_key(keys / "anchor.key.pem"))
    return open_registry(published, anchors(keys))  # type: ignore[arg-type]


def signed_record(
    keys: Path, key_id: str, source: str = "000.01.02.H24", *, age: timedelta = timedelta()
) -> tuple[list[tuple[str, bytes]], bytes, bytes]:
    envelope = Envelope.new(
        source=source,
        type="vn.gov.document.status.v1",
        recipients=["000.00.00.G22"],
        time=NOW - age,
    )
    headers = envelope.to_headers()
    key, value = b"DOC-1", b"\xc3\x01value"
    text = signed_text(
        envelope.id,
        envelope.source,
        envelope.type,
        format_time(envelope.time),
        envelope.dataschema,
        header_value(headers, "ce_recipients"),
        key,
        value,
    )
    signer = NodeSigner(key_id, load_private_key(keys / f"{key_id}.key.pem"))
    return [*headers, ("ce_signature", signer.sign(text).encode())], key, value


def verdict(
    keys: Path, record: tuple[list[tuple[str, bytes]], bytes, bytes], peer: str = "hanoi"
) -> Verified | Refusal:
    headers, key, value = record
    return verify_record(registry(keys), peer, headers, key, value, NOW, timedelta(days=7))


def test_registry_signed_by_the_anchor_opens_and_answers_agency_and_key_lookups(keys: Path) -> None:
    """A published registry verifies with the anchor key; look-ups by key and agency work."""
    trusted = registry(keys)
    assert trusted.node_serving("000.01.02.H24") == "hanoi"
    assert trusted.node_serving("000.00.00.G01") == "ngsp"
    assert trusted.node_serving("000.00.00.H29") is None
    entry = trusted.key("hanoi-2")
    assert entry is not None and entry.node == "hanoi"


def test_tampered_or_foreign_registry_is_refused(keys: Path) -> None:
    """A changed byte, or a registry signed by a key that is not an anchor, is refused."""
    published = sign_registry(document(keys), "anchor", load_private_key(keys / "anchor.key.pem"))
    tampered = json.loads(published)
    tampered["registry"]["nodes"][1]["agencies"] = ["under 000.00.00.G22"]
    with pytest.raises(TrustError) as edited:
        open_registry(json.dumps(tampered).encode(), anchors(keys))  # type: ignore[arg-type]
    assert edited.value.code == "LGSP-TRUST-ANCHOR"
    foreign = sign_registry(
        document(keys), "other-anchor", load_private_key(keys / "other-anchor.key.pem")
    )
    with pytest.raises(TrustError) as unknown:
        open_registry(foreign, anchors(keys))  # type: ignore[arg-type]
    assert unknown.value.code == "LGSP-TRUST-ANCHOR"
    with pytest.raises(TrustError) as garbage:
        open_registry(b"<html>proxy error</html>", anchors(keys))  # type: ignore[arg-type]
    assert garbage.value.code == "LGSP-TRUST-FORMAT"


def test_record_signed_by_its_node_with_either_current_key_is_accepted(keys: Path) -> None:
    """During a key rotation both of Hà Nội's keys verify (Ed25519 and ECDSA P-256)."""
    for key_id in ("hanoi-1", "hanoi-2"):
        assert isinstance(verdict(keys, signed_record(keys, key_id)), Verified)


def test_changed_value_or_header_breaks_the_signature(keys: Path) -> None:
    """One changed byte of the value, or a changed recipient list, is refused as BAD-SIGNATURE."""
    headers, key, value = signed_record(keys, "hanoi-1")
    tampered_value = verdict(keys, (headers, key, value[:-1] + b"X"))
    assert isinstance(tampered_value, Refusal) and tampered_value.code == errors.BAD_SIGNATURE
    redirected = [(k, b"000.00.00.G01" if k == "ce_recipients" else v) for k, v in headers]
    moved = verdict(keys, (redirected, key, value))
    assert isinstance(moved, Refusal) and moved.code == errors.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("key_id", "source", "peer", "age", "code"),
    [
        ("rogue", "000.01.02.H24", "hanoi", timedelta(), errors.UNKNOWN_SIGNER),
        ("hanoi-old", "000.01.02.H24", "hanoi", timedelta(), errors.KEY_EXPIRED),
        ("hanoi-1", "000.01.02.H24", "danang", timedelta(), errors.WRONG_PEER),
        ("hanoi-1", "000.00.00.H29", "hanoi", timedelta(), errors.UNKNOWN_AGENCY),
        ("hanoi-1", "000.00.00.H15", "hanoi", timedelta(), errors.NOT_SERVED),
        ("hanoi-1", "000.01.02.H24", "hanoi", timedelta(days=8), errors.REPLAYED),
    ],
)
def test_border_refuses_with_the_reason(
    keys: Path, key_id: str, source: str, peer: str, age: timedelta, code: str
) -> None:
    """Unknown key, expired key, wrong link, non-member agency, agency of another node and a
    record older than max_age are each refused with their own code."""
    outcome = verdict(keys, signed_record(keys, key_id, source, age=age), peer=peer)
    assert isinstance(outcome, Refusal)
    assert outcome.code == code, outcome.reason


def test_hub_may_forward_for_any_member_agency(keys: Path) -> None:
    """NGSP (a hub) forwards a Hà Nội agency's record to Đà Nẵng: accepted."""
    assert isinstance(verdict(keys, signed_record(keys, "ngsp-1"), peer="ngsp"), Verified)


def test_unsigned_and_malformed_signatures_are_refused(keys: Path) -> None:
    """No ce_signature, or one that is not <key id>:<base64url>, is refused."""
    headers, key, value = signed_record(keys, "hanoi-1")
    unsigned = [(k, v) for k, v in headers if k != "ce_signature"]
    outcome = verdict(keys, (unsigned, key, value))
    assert isinstance(outcome, Refusal) and outcome.code == errors.UNSIGNED
    garbled = [*unsigned, ("ce_signature", b"no-colon-here")]
    outcome = verdict(keys, (garbled, key, value))
    assert isinstance(outcome, Refusal) and outcome.code == errors.BAD_SIGNATURE
    no_source = [(k, b"not a code" if k == "ce_source" else v) for k, v in headers]
    outcome = verdict(keys, (no_source, key, value))
    assert isinstance(outcome, Refusal) and outcome.code == errors.BAD_ENVELOPE


def test_rotation_picks_the_newest_valid_key_and_falls_back_when_it_is_withdrawn(
    keys: Path,
) -> None:
    """With hanoi-1 and hanoi-2 both valid, the newer hanoi-2 signs; an expired key is never
    chosen; without any registered key there is no signer (links wait)."""
    configured = {
        k: load_private_key(keys / f"{k}.key.pem") for k in ("hanoi-1", "hanoi-2", "hanoi-old")
    }
    trusted = registry(keys)
    chosen = choose_signer(configured, trusted, "hanoi")
    assert chosen is not None and chosen.key_id == "hanoi-2"
    current = {k: v for k, v in configured.items() if k != "hanoi-old"}
    before_rotation = choose_signer(current, trusted, "hanoi", NOW - timedelta(days=2))
    assert before_rotation is not None and before_rotation.key_id == "hanoi-1"
    only_old = {"hanoi-old": configured["hanoi-old"]}
    assert choose_signer(only_old, trusted, "hanoi") is None
    assert choose_signer(configured, trusted, "danang") is None
