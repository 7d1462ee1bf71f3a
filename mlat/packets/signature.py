"""PAdES signatures on a rendered packet, and their validation (pyHanko): pure functions
of the PDF's bytes, a signing credential and the words of the stamp.

The signature's visible stamp sits on the signature line of the packet's "Signature and
certification" section: the renderer marks that line with the id ``SIGNATURE_ANCHOR``,
which WeasyPrint writes as a named destination giving its page and position."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from asn1crypto import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import load_der_x509_certificate
from pkcs11.exceptions import PKCS11Error
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from mlat.packets.stamp import text_style, visual_line

SIGNATURE_ANCHOR = "signature-field"  # the id of the signature line in _signature.html
FIELD_NAME = "Signature"
# The signature line's size, as packet.css draws it (70 mm by 14 mm), in points.
STAMP_WIDTH = 70 * 72 / 25.4
STAMP_HEIGHT = 14 * 72 / 25.4


T = TypeVar("T")


def outside_loop(call: Callable[[], T]) -> T:
    """Call one of pyHanko's synchronous entry points, which start an event loop of
    their own: in this thread, or in a worker thread when this one already runs a loop
    (an async server, a browser driver), where that loop could not start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


class SignatureError(ValueError):
    """The credential cannot sign: a wrong passphrase, or not a PKCS#12 key and
    certificate."""


@dataclass(frozen=True)
class Credential:
    """A signer's key and certificate, as a PKCS#12 file and its passphrase, and the
    certificates of the authorities that issued it."""

    pkcs12: bytes
    passphrase: bytes
    chain: tuple[bytes, ...] = ()  # DER certificates of the issuing authorities


@dataclass(frozen=True)
class TokenKey:
    """A signer's key on a PKCS#11 token (a hardware security module or a smart card),
    which never leaves it, with the signer's certificate and its issuing authorities."""

    module: str  # the path of the token's PKCS#11 library
    token: str  # the token's label
    pin: str  # the user PIN that opens the token
    key_label: str  # the label of the private key on the token
    certificate: bytes  # DER
    chain: tuple[bytes, ...] = ()  # DER certificates of the issuing authorities


# python-pkcs11's errors that carry no message, in words
TOKEN_ERRORS = {
    "PinIncorrect": "the PIN is wrong",
    "PinLocked": "the PIN is locked",
    "PinExpired": "the PIN has expired",
    "MechanismInvalid": "the token cannot make this kind of signature",
    "NoSuchKey": "there is no such key on the token",
    "NoSuchToken": "there is no such token",
    "DeviceRemoved": "the token was removed",
}


def _why(exc: Exception) -> str:
    """A token's error in words: its message, or what its kind (``PinIncorrect``) means."""
    name = type(exc).__name__
    return str(exc) or TOKEN_ERRORS.get(name, name)


@contextmanager
def signer_of(credential: Credential | TokenKey) -> Iterator[signers.Signer]:
    """pyHanko's signer for the credential; a token's session stays open while it signs."""
    if isinstance(credential, Credential):
        chain = [x509.Certificate.load(der) for der in credential.chain]
        try:
            signer = signers.SimpleSigner.load_pkcs12_data(
                credential.pkcs12, other_certs=chain, passphrase=credential.passphrase
            )
        except (ValueError, TypeError) as exc:
            raise SignatureError(str(exc)) from exc
        if signer is None:
            raise SignatureError("the signing credential could not be read")
        yield signer
        return
    try:
        session = open_pkcs11_session(
            credential.module,
            token_criteria=TokenCriteria(label=credential.token),
            user_pin=credential.pin,
        )
    except (PKCS11Error, OSError) as exc:
        raise SignatureError(
            f"the token {credential.token!r} could not be opened: {_why(exc)}"
        ) from exc
    try:
        yield PKCS11Signer(
            session,
            key_label=credential.key_label,
            # without a certificate given, the token's certificate of the key's label
            signing_cert=x509.Certificate.load(credential.certificate)
            if credential.certificate
            else None,
            ca_chain=[x509.Certificate.load(der) for der in credential.chain],
            # hash here, sign the digest on the token: tokens that offer no hashing
            # signature mechanisms (SoftHSM2's ECDSA, many smart cards) sign that too
            use_raw_mechanism=True,
        )
    finally:
        session.close()


def token_certificate(
    *, module: str, token: str, pin: str, key_label: str, certificate: bytes | None = None
) -> bytes:
    """The certificate (DER) of the key with this label on the token: the one given, or
    the token's certificate of the same label. The key signs a test message, which the
    certificate must verify, so that a key and a certificate that do not belong together
    are refused here rather than at the first signature."""

    def read() -> bytes:
        found = TokenKey(module, token, pin, key_label, certificate or b"")
        with signer_of(found) as signer:
            assert isinstance(signer, PKCS11Signer)
            try:
                cert = signer.signing_cert
                probe = b"mlat: does this key belong to this certificate?"
                signature = asyncio.run(signer.async_sign_raw(probe, "sha256"))
            except PKCS11Error as exc:
                raise SignatureError(_why(exc)) from exc
            if cert is None:
                raise SignatureError(f"no certificate labelled {key_label!r} on the token")
            der = cert.dump()
            if not _verifies(der, signature, probe):
                raise SignatureError("the key on the token does not belong to the certificate")
            return bytes(der)

    return outside_loop(read)


def _verifies(certificate: bytes, signature: bytes, message: bytes) -> bool:
    key = load_der_x509_certificate(certificate).public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Check:
    """What a PDF's last signature shows."""

    signed: bool  # it carries a signature at all
    intact: bool = False  # the signed bytes are unchanged
    whole: bool = False  # the signature covers the whole file, nothing added after
    trusted: bool = False  # the certificate chains to a trusted authority
    signer: str = ""  # the certificate's subject
    signed_at: dt.datetime | None = None  # as the signer's computer stated it
    certificate_sha256: str = ""

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.whole and self.trusted


def _place(pdf: bytes) -> tuple[int, tuple[int, int, int, int]]:
    """The page (from 0) and box of the signature line, from its named destination."""
    reader = PdfReader(io.BytesIO(pdf))
    dest = reader.named_destinations.get(SIGNATURE_ANCHOR)
    if dest is None or dest.page is None:
        # no signature line (an unusual template): the top of the last page's margin
        last = reader.pages[-1]
        top = float(last.mediabox.top) - 20
        return len(reader.pages) - 1, (40, int(top - STAMP_HEIGHT), int(40 + STAMP_WIDTH), int(top))
    page_ref = (
        dest.page.indirect_reference if hasattr(dest.page, "indirect_reference") else dest.page
    )
    index = next(
        (i for i, page in enumerate(reader.pages) if page.indirect_reference == page_ref), 0
    )
    left, top = float(dest.left or 0), float(dest.top or 0)
    return index, (int(left), int(top - STAMP_HEIGHT), int(left + STAMP_WIDTH), int(top))


def sign_pdf(
    pdf: bytes,
    credential: Credential | TokenKey,
    *,
    stamp_lines: tuple[str, ...],
    reason: str,
    location: str,
    timestamp_url: str = "",
) -> bytes:
    """The PDF with a PAdES baseline signature by the credential, its visible stamp on
    the signature line, and an RFC 3161 timestamp when a timestamp authority is given."""

    def sign() -> bytes:
        with signer_of(credential) as signer:
            try:
                return _sign(pdf, signer, stamp_lines=stamp_lines, reason=reason,
                             location=location, timestamp_url=timestamp_url)  # fmt: skip
            except PKCS11Error as exc:
                raise SignatureError(f"the token could not sign: {_why(exc)}") from exc

    return outside_loop(sign)


def _sign(
    pdf: bytes,
    signer: signers.Signer,
    *,
    stamp_lines: tuple[str, ...],
    reason: str,
    location: str,
    timestamp_url: str,
) -> bytes:
    page, box = _place(pdf)
    text = "\n".join(visual_line(line).replace("%", "%%") for line in stamp_lines)
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
        ),
        signer=signer,
        timestamper=HTTPTimeStamper(timestamp_url) if timestamp_url else None,
        stamp_style=TextStampStyle(
            stamp_text=text,
            border_width=0,
            text_box_style=text_style(text),
        ),
        new_field_spec=SigFieldSpec(FIELD_NAME, on_page=page, box=box),
    )
    out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return bytes(out.getbuffer())


def check_pdf(pdf: bytes, trust_roots: tuple[bytes, ...]) -> Check:
    """Validate the PDF's last signature against the trusted authorities' certificates
    (DER), without fetching anything over the network."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        found = reader.embedded_signatures
    except Exception:
        return Check(signed=False)
    if not found:
        return Check(signed=False)
    context = ValidationContext(
        trust_roots=[x509.Certificate.load(der) for der in trust_roots], allow_fetching=False
    )
    embedded = found[-1]
    status = outside_loop(lambda: validate_pdf_signature(embedded, context))
    cert = status.signing_cert
    return Check(
        signed=True,
        intact=bool(status.intact and status.valid),
        whole=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        trusted=bool(status.trusted),
        signer=cert.subject.human_friendly if cert is not None else "",
        signed_at=status.signer_reported_dt,
        certificate_sha256=cert.sha256.hex() if cert is not None else "",
    )
