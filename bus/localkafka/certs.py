"""TLS material of a secure local cluster, made with ``cryptography``: a private CA, the broker's
certificate for 127.0.0.1 / localhost, and optional client certificates.

Keys are EC P-256 and written unencrypted (PKCS#8 PEM) with mode 0600 inside the cluster's
git-ignored folder; they exist for development and tests on one machine. A production node
takes its certificates from the agency's own PKI instead.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BROKER_COMMON_NAME = "lgsp-broker"
_VALIDITY = datetime.timedelta(days=825)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, as written to disk."""

    cert_file: Path
    key_file: Path


def make_ca(folder: Path, common_name: str = "LGSP local CA") -> Issued:
    """A self-signed CA certificate (``ca.pem``) and key (``ca.key``) in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(folder, "ca", cert, key)


def issue(
    ca: Issued,
    folder: Path,
    stem: str,
    common_name: str,
    *,
    hosts: tuple[str, ...] = (),
    server: bool = False,
) -> Issued:
    """A certificate signed by ``ca`` for ``common_name`` (and ``hosts`` as SANs when a server).

    Every certificate may authenticate a client (the broker's too: it connects to its own
    controller with it); ``server`` adds the server usage and the host names.
    """
    ca_cert = x509.load_pem_x509_certificate(ca.cert_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key_file.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([ExtendedKeyUsageOID.SERVER_AUTH] * server)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False
        )
    return _write(folder, stem, builder.sign(ca_key, hashes.SHA256()), key)


def key_and_chain_pem(issued: Issued, ca: Issued) -> bytes:
    """Private key then certificate chain in one PEM: Kafka's PEM key store format."""
    return issued.key_file.read_bytes() + issued.cert_file.read_bytes() + ca.cert_file.read_bytes()


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write(
    folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Issued:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_file, key_file = folder / f"{stem}.pem", folder / f"{stem}.key"
    write_private(
        key_file,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Issued(cert_file, key_file)


def write_private(path: Path, content: bytes) -> None:
    """Write a secret file readable by its owner only (created 0600, never world-readable)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
