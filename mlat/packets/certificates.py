"""Demonstration certificates: a unit's own certification authority and a signing
certificate for each of its prosecutors, made with ``cryptography``. Real installations
load each prosecutor's PKCS#12 file, or use their key on a PKCS#11 token, instead
(``docs/packets.md``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO_MARK = "DEMO"  # in the organisational unit of every demonstration certificate


@dataclass(frozen=True)
class Authority:
    """A certification authority: its certificate (DER) and its key (PKCS#8 DER)."""

    certificate: bytes
    key: bytes


def _usage(**allowed: bool) -> x509.KeyUsage:
    """Key usage with only the given uses allowed."""
    uses = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{use: allowed.get(use, False) for use in uses})


def _name(common_name: str, organisation: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{DEMO_MARK} signatures"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def demo_authority(organisation: str, country: str, now: dt.datetime) -> Authority:
    """A self-signed authority for one unit, valid ten years."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{organisation} demo signing authority", organisation, country)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Authority(
        certificate=cert.public_bytes(serialization.Encoding.DER),
        key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def demo_signing_certificate(
    authority: Authority,
    public_key: CertificatePublicKeyTypes,
    *,
    name: str,
    email: str,
    organisation: str,
    country: str,
    now: dt.datetime,
) -> x509.Certificate:
    """A certificate issued by the authority to the holder of the public key, for signing
    documents (non-repudiation), valid three years."""
    issuer = x509.load_der_x509_certificate(authority.certificate)
    issuer_key = serialization.load_der_private_key(authority.key, password=None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name, organisation, country))
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if email:  # a person's certificate names their address; a unit's seal has none
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def demo_signing_pkcs12(
    authority: Authority,
    *,
    name: str,
    email: str,
    organisation: str,
    country: str,
    passphrase: bytes,
    now: dt.datetime,
) -> bytes:
    """A PKCS#12 file holding a new key and its demonstration certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = demo_signing_certificate(
        authority, key.public_key(), name=name, email=email, organisation=organisation,
        country=country, now=now,
    )  # fmt: skip
    return pkcs12.serialize_key_and_certificates(
        name=name.encode(),
        key=key,
        cert=cert,
        cas=[x509.load_der_x509_certificate(authority.certificate)],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )


def pkcs12_certificate(data: bytes, passphrase: bytes) -> x509.Certificate:
    """The signer's certificate in a PKCS#12 file; ValueError if it cannot be read."""
    _key, cert, _others = pkcs12.load_key_and_certificates(data, passphrase)
    if cert is None:
        raise ValueError("the file holds no certificate")
    return cert


def is_demo(cert: x509.Certificate) -> bool:
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(DEMO_MARK in str(u.value) for u in units)
