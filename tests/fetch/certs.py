"""A throwaway CA and server certificates for localhost / 127.0.0.1, made at test time."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class CertificateFiles:
    ca_file: Path  # the CA to trust (FetchPolicy.ca_bundle)
    cert_file: Path  # for DNS:localhost, IP:127.0.0.1 and the dns_names asked for
    key_file: Path
    combined_file: Path  # certificate and key in one PEM, as pyftpdlib wants
    name_only_cert_file: Path  # for DNS:localhost only (same key)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
    )


def make_certificates(directory: Path, dns_names: Sequence[str] = ()) -> CertificateFiles:
    """``dns_names``: more host names for cert_file (a loopback server playing them)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("contacthub test CA")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())

    def leaf(names: list[x509.GeneralName]) -> bytes:
        cert = (
            _builder(_name("localhost"), ca_name, key.public_key())
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(ca_key, hashes.SHA256())
        )
        return cert.public_bytes(PEM)

    localhost = x509.DNSName("localhost")
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    key_pem = key.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    files = CertificateFiles(
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server.key",
        combined_file=directory / "server-combined.pem",
        name_only_cert_file=directory / "server-name-only.pem",
    )
    files.ca_file.write_bytes(ca_cert.public_bytes(PEM))
    files.cert_file.write_bytes(leaf([localhost, loopback, *map(x509.DNSName, dns_names)]))
    files.key_file.write_bytes(key_pem)
    files.combined_file.write_bytes(files.cert_file.read_bytes() + key_pem)
    files.name_only_cert_file.write_bytes(leaf([localhost]))
    return files
