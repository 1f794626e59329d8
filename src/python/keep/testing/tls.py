"""A throwaway certificate authority and server certificate for TLS tests (never for production)."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    # Signed by the same CA (CN "keep test client"), for mutual TLS.
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(
    common_name: str, now: datetime.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def write_pki(
    directory: Path,
    server_ip: str = "127.0.0.1",
    *,
    ip_only_in_cn: bool = False,
    other_cas: int = 0,
) -> Pki:
    """A CA and a server certificate for `server_ip`, as PEM files readable by any user (the
    server may run as another uid in a container).

    ip_only_in_cn: the IP is the subject CN and there is no subjectAltName, as Memorystore's
    server certificate is reported to be (a hostname check cannot match it).
    other_cas: also put this many unrelated CAs in ca.pem *before* the signing one, as
    Memorystore lists several CAs while it rotates them.
    """
    now = datetime.datetime.now(datetime.UTC)
    ca, ca_key = _ca("keep test CA", now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(server_ip if ip_only_in_cn else "redis"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if not ip_only_in_cn:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(server_ip))]),
            critical=False,
        )
    server = builder.sign(ca_key, hashes.SHA256())
    pki = Pki(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
        directory / "client.pem",
        directory / "client.key",
    )
    others = [_ca(f"keep test CA (rotated) {i}", now)[0] for i in range(other_cas)]
    pki.ca_cert.write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [*others, ca])
    )
    client_key, client = _client(ca, ca_key, now)
    for cert_path, key_path, cert, key in (
        (pki.server_cert, pki.server_key, server, server_key),
        (pki.client_cert, pki.client_key, client, client_key),
    ):
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    directory.chmod(0o755)
    for path in (pki.ca_cert, pki.server_cert, pki.server_key, pki.client_cert, pki.client_key):
        path.chmod(0o644)
    return pki


def _client(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, now: datetime.datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("keep test client"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert
