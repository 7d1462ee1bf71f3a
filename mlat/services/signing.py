"""Signing credentials and the digital signature of a signed request's packet.

Each prosecutor who signs has a credential: a key and its certificate, kept as a PKCS#12
file encrypted with the installation's signing secret (``SigningKeys``), or a key on the
installation's PKCS#11 token, which never leaves it (``import_token_credential``). Demonstration
units get their own certification authority, which issues a demonstration certificate
to each prosecutor (``issue_demo_credential``); real installations load each
prosecutor's PKCS#12 file (``import_credential``; ``docs/packets.md``). When the signed
packet is stored, it is signed with the credential of the prosecutor who signed the
request (``sign_packet``), and anyone can later check a copy (``verify_packet``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlmodel import Session, col, select

from mlat.config import Config
from mlat.dates import utc
from mlat.messages import N_
from mlat.models import (
    MlaRequest,
    Packet,
    SigningAuthority,
    SigningCredential,
    StoredFile,
    Unit,
    UnitSeal,
    User,
    utcnow,
)
from mlat.packets.certificates import (
    Authority,
    demo_authority,
    demo_signing_pkcs12,
    is_demo,
    pkcs12_certificate,
)
from mlat.packets.signature import (
    Check,
    Credential,
    SignatureError,
    TokenKey,
    check_pdf,
    sign_pdf,
    token_certificate,
)
from mlat.services import ServiceError


@dataclass(frozen=True)
class Token:
    """The installation's PKCS#11 token (a hardware security module) that holds
    prosecutors' keys: its library, its label and the PIN that opens it."""

    module: str
    label: str
    pin: str


@dataclass(frozen=True)
class SigningKeys:
    """The installation's signing secret, which encrypts the stored keys, the trusted
    authorities' certificates loaded from configuration (DER), the timestamp authority
    to ask, if any, and the token holding keys, if any."""

    passphrase: bytes
    trust: tuple[bytes, ...] = ()
    timestamp_url: str = ""
    token: Token | None = None

    @classmethod
    def from_secret(
        cls,
        secret: str,
        *,
        trust: tuple[bytes, ...] = (),
        timestamp_url: str = "",
        token: Token | None = None,
    ) -> SigningKeys:
        digest = hashlib.sha256(b"mlat signing credentials\0" + secret.encode()).hexdigest()
        return cls(digest.encode(), trust, timestamp_url, token)


def signing_keys(config: Config) -> SigningKeys:
    """The keys from configuration: the signing secret (the application's secret key
    unless set apart), the trusted authorities' certificates, the timestamp authority."""
    trust: tuple[bytes, ...] = ()
    if config.signing_trust_file:
        with open(config.signing_trust_file, "rb") as fh:
            certs = x509.load_pem_x509_certificates(fh.read())
        trust = tuple(c.public_bytes(serialization.Encoding.DER) for c in certs)
    token = None
    if config.token_module:
        token = Token(config.token_module, config.token_label, config.token_pin)
    return SigningKeys.from_secret(
        config.signing_secret or config.secret_key,
        trust=trust,
        timestamp_url=config.timestamp_url,
        token=token,
    )


NO_TOKEN = N_(
    "Your signing key is on a security token that this server is not set up to use. "
    "Ask an administrator to configure the token."
)
NO_CREDENTIAL = N_(
    "Your account has no signing certificate, so the packet could not carry your digital "
    "signature. Ask an administrator to load your certificate."
)


def credential_of(*, session: Session, user_id: int | None) -> SigningCredential | None:
    if user_id is None:
        return None
    return session.exec(
        select(SigningCredential).where(SigningCredential.user_id == user_id)
    ).first()


def signing_refusal(*, session: Session, user: User, now: dt.datetime) -> ServiceError | None:
    """Why the user cannot sign a packet now, or None: no certificate, or an expired one."""
    found = credential_of(session=session, user_id=user.id)
    if found is None:
        return ServiceError(NO_CREDENTIAL)
    if utc(found.not_after) <= now:
        return ServiceError(
            N_("Your signing certificate expired on %(date)s. Ask an administrator for a new one."),
            date=found.not_after.date().isoformat(),
        )
    return None


def _store(
    session: Session,
    user: User,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    *,
    pkcs12: bytes = b"",
    token_key: str = "",
) -> SigningCredential:
    existing = credential_of(session=session, user_id=user.id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    assert user.id is not None
    row = SigningCredential(
        user_id=user.id,
        pkcs12=pkcs12,
        token_key=token_key,
        certificate=cert.public_bytes(serialization.Encoding.DER) if token_key else b"",
        chain=b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
        certificate_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string()[:500],
        not_after=cert.not_valid_after_utc,
        demo=is_demo(cert),
    )
    session.add(row)
    session.flush()
    return row


def unit_authority(
    *, session: Session, unit: Unit, keys: SigningKeys, now: dt.datetime | None = None
) -> Authority:
    """The unit's demonstration authority, made on first use."""
    row = session.exec(select(SigningAuthority).where(SigningAuthority.unit_id == unit.id)).first()
    if row is not None:
        key = serialization.load_der_private_key(row.key, password=keys.passphrase)
        return Authority(
            certificate=row.certificate,
            key=key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    made = demo_authority(unit.name, unit.state, now or utcnow())
    key = serialization.load_der_private_key(made.key, password=None)
    assert unit.id is not None
    session.add(
        SigningAuthority(
            unit_id=unit.id,
            certificate=made.certificate,
            key=key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(keys.passphrase),
            ),
        )
    )
    session.flush()
    return made


def issue_demo_credential(
    *, session: Session, user: User, keys: SigningKeys, now: dt.datetime | None = None
) -> SigningCredential:
    """A demonstration certificate for the user, issued by their unit's authority."""
    now = now or utcnow()
    unit = session.get(Unit, user.unit_id)
    assert unit is not None
    authority = unit_authority(session=session, unit=unit, keys=keys, now=now)
    data = demo_signing_pkcs12(
        authority, name=user.name, email=user.email, organisation=unit.name,
        country=unit.state, passphrase=keys.passphrase, now=now,
    )  # fmt: skip
    issuer = x509.load_der_x509_certificate(authority.certificate)
    cert = pkcs12_certificate(data, keys.passphrase)
    return _store(session, user, cert, [issuer], pkcs12=data)


def import_credential(
    *, session: Session, user: User, data: bytes, passphrase: bytes, keys: SigningKeys
) -> SigningCredential:
    """Keep a prosecutor's PKCS#12 file (key, certificate and issuing authorities),
    encrypted anew with the installation's signing secret."""
    cert, others, stored = _reencrypted(data, passphrase, user.name, keys)
    return _store(session, user, cert, others, pkcs12=stored)


def _reencrypted(
    data: bytes, passphrase: bytes, name: str, keys: SigningKeys
) -> tuple[x509.Certificate, list[x509.Certificate], bytes]:
    """A PKCS#12 file's certificate and issuing authorities, and the file encrypted anew
    with the installation's signing secret."""
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as exc:
        raise ServiceError(
            N_("The file could not be opened: check that it is a PKCS#12 file and its passphrase.")
        ) from exc
    if key is None or cert is None:
        raise ServiceError(N_("The file holds no key and certificate to sign with."))
    stored = pkcs12.serialize_key_and_certificates(
        name=name.encode(), key=key, cert=cert, cas=others,  # type: ignore[arg-type]
        encryption_algorithm=serialization.BestAvailableEncryption(keys.passphrase),
    )  # fmt: skip
    return cert, list(others), stored


def import_token_credential(
    *,
    session: Session,
    user: User,
    key_label: str,
    keys: SigningKeys,
    certificate: bytes | None = None,
    chain: tuple[bytes, ...] = (),
) -> SigningCredential:
    """Sign for the user with their key on the installation's token, which never leaves
    it: the key labelled ``key_label`` and its certificate (given, PEM or DER, or the
    token's certificate of the same label), checked to belong together."""
    if keys.token is None:
        raise ServiceError(N_("No PKCS#11 token is configured (MLAT_PKCS11_MODULE)."))
    given = _certificate(certificate) if certificate else None
    try:
        der = token_certificate(
            module=keys.token.module, token=keys.token.label, pin=keys.token.pin,
            key_label=key_label,
            certificate=given.public_bytes(serialization.Encoding.DER) if given else None,
        )  # fmt: skip
    except SignatureError as exc:
        raise ServiceError(
            N_("The key %(label)s on the token cannot sign: %(reason)s"),
            label=key_label, reason=str(exc),
        ) from exc  # fmt: skip
    authorities = [x509.load_der_x509_certificate(c) for c in chain]
    return _store(session, user, x509.load_der_x509_certificate(der), authorities,
                  token_key=key_label)  # fmt: skip


def _certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ServiceError(N_("The certificate file is neither PEM nor DER.")) from exc


def trust_roots(*, session: Session, keys: SigningKeys) -> tuple[bytes, ...]:
    """The authorities a packet's signature may chain to: those configured, and the
    units' demonstration authorities."""
    demo = session.exec(select(SigningAuthority.certificate)).all()
    return (*keys.trust, *demo)


def sign_packet(
    *, session: Session, request: MlaRequest, pdf: bytes, keys: SigningKeys, location: str
) -> bytes:
    """The signed request's packet with the PAdES signature of the prosecutor who
    signed it."""
    found = credential_of(session=session, user_id=request.signed_by_id)
    if found is None:
        raise ServiceError(NO_CREDENTIAL)
    chain = tuple(
        c.public_bytes(serialization.Encoding.DER)
        for c in x509.load_pem_x509_certificates(found.chain)
    ) if found.chain else ()  # fmt: skip
    signer = session.get(User, request.signed_by_id)
    assert signer is not None
    when = utc(request.signed_at or utcnow())
    lines = [f"Digitally signed by {signer.name}", f"{when:%Y-%m-%d %H:%M} UTC"]
    if found.demo:
        lines.append("Demonstration certificate: not for use abroad")
    credential: Credential | TokenKey
    if found.token_key:
        if keys.token is None:
            raise ServiceError(NO_TOKEN)
        credential = TokenKey(keys.token.module, keys.token.label, keys.token.pin,
                              found.token_key, found.certificate, chain)  # fmt: skip
    else:
        credential = Credential(found.pkcs12, keys.passphrase, chain)
    try:
        return sign_pdf(
            pdf,
            credential,
            stamp_lines=tuple(lines),
            reason=f"Request {request.reference}",
            location=location,
            timestamp_url=keys.timestamp_url,
        )
    except SignatureError as exc:
        raise ServiceError(
            N_("The signing certificate could not be used: %(reason)s"), reason=str(exc)
        ) from exc


@dataclass(frozen=True)
class Verification:
    """Whether a PDF is exactly a packet this installation signed, and who signed it."""

    check: Check
    request: MlaRequest | None = None  # the request whose stored packet has these bytes
    signer: User | None = None  # the account whose certificate made the signature

    @property
    def genuine(self) -> bool:
        return self.check.valid and self.request is not None


def verify_packet(*, session: Session, data: bytes, keys: SigningKeys) -> Verification:
    """Check an uploaded PDF: its signature (intact, covering the whole file, by a
    trusted certificate) and whether its exact bytes are a packet stored here."""
    check = check_pdf(data, trust_roots(session=session, keys=keys))
    digest = hashlib.sha256(data).hexdigest()
    request = session.exec(
        select(MlaRequest)
        .join(Packet, col(Packet.request_id) == MlaRequest.id)
        .join(StoredFile, col(StoredFile.id) == Packet.file_id)
        .where(StoredFile.sha256 == digest)
    ).first()
    signer = None
    if check.certificate_sha256:
        found = session.exec(
            select(SigningCredential).where(
                SigningCredential.certificate_sha256 == check.certificate_sha256
            )
        ).first()
        signer = session.get(User, found.user_id) if found else None
    return Verification(check, request, signer)


NO_SEAL = N_(
    "The unit has no seal to sign evidence bundles with. Ask an administrator to load it "
    "(flask signing seal)."
)


def unit_seal(*, session: Session, unit_id: int) -> UnitSeal | None:
    return session.exec(select(UnitSeal).where(UnitSeal.unit_id == unit_id)).first()


def _keep_seal(
    session: Session, unit: Unit, cert: x509.Certificate, chain: list[x509.Certificate],
    data: bytes,
) -> UnitSeal:  # fmt: skip
    existing = unit_seal(session=session, unit_id=unit.id or 0)
    if existing is not None:
        session.delete(existing)
        session.flush()
    assert unit.id is not None
    row = UnitSeal(
        unit_id=unit.id, pkcs12=data,
        certificate=cert.public_bytes(serialization.Encoding.DER),
        chain=b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
        certificate_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string()[:500], not_after=cert.not_valid_after_utc,
        demo=is_demo(cert),
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def issue_demo_seal(
    *, session: Session, unit: Unit, keys: SigningKeys, now: dt.datetime | None = None
) -> UnitSeal:
    """A demonstration seal for the unit, issued by its demonstration authority."""
    now = now or utcnow()
    authority = unit_authority(session=session, unit=unit, keys=keys, now=now)
    data = demo_signing_pkcs12(
        authority, name=f"{unit.name} evidence seal", email="", organisation=unit.name,
        country=unit.state, passphrase=keys.passphrase, now=now,
    )  # fmt: skip
    issuer = x509.load_der_x509_certificate(authority.certificate)
    return _keep_seal(session, unit, pkcs12_certificate(data, keys.passphrase), [issuer], data)


def import_seal(
    *, session: Session, unit: Unit, data: bytes, passphrase: bytes, keys: SigningKeys
) -> UnitSeal:
    """Keep the unit's seal from a PKCS#12 file (key, certificate and issuing
    authorities), encrypted anew with the installation's signing secret."""
    cert, others, stored = _reencrypted(data, passphrase, unit.name, keys)
    return _keep_seal(session, unit, cert, others, stored)


def seal_credential(
    *, session: Session, unit_id: int, keys: SigningKeys, now: dt.datetime
) -> tuple[UnitSeal, Credential]:
    """The unit's seal, ready to sign; ``ServiceError`` when it has none or it expired."""
    seal = unit_seal(session=session, unit_id=unit_id)
    if seal is None:
        raise ServiceError(NO_SEAL)
    if utc(seal.not_after) <= now:
        raise ServiceError(
            N_("The unit's seal expired on %(date)s. Ask an administrator for a new one."),
            date=seal.not_after.date().isoformat(),
        )
    chain = tuple(
        c.public_bytes(serialization.Encoding.DER)
        for c in x509.load_pem_x509_certificates(seal.chain)
    ) if seal.chain else ()  # fmt: skip
    return seal, Credential(seal.pkcs12, keys.passphrase, chain)
