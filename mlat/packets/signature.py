"""PAdES signatures on a rendered packet, and their validation (pyHanko): pure functions
of the PDF's bytes, a signing credential and the words of the stamp.

The signature's visible stamp sits on the signature line of the packet's "Signature and
certification" section: the renderer marks that line with the id ``SIGNATURE_ANCHOR``,
which WeasyPrint writes as a named destination giving its page and position."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

SIGNATURE_ANCHOR = "signature-field"  # the id of the signature line in _signature.html
FIELD_NAME = "Signature"
# The signature line's size, as packet.css draws it (70 mm by 14 mm), in points.
STAMP_WIDTH = 70 * 72 / 25.4
STAMP_HEIGHT = 14 * 72 / 25.4


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


# Fonts for the stamp's text, embedded (a subset) so that the packet stays PDF/A: the first
# found of those the set-up installs (fonts-noto-core, fonts-dejavu-core).
STAMP_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


@dataclass(frozen=True)
class _FontFromBytes(GlyphAccumulatorFactory):
    """pyHanko's factory, reading the font into memory instead of leaving a file open."""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(Path(self.font_file).read_bytes()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _text_style() -> TextBoxStyle:
    font = next((path for path in STAMP_FONTS if path.exists()), None)
    if font is None:
        return TextBoxStyle(font_size=7)
    return TextBoxStyle(font=_FontFromBytes(str(font), font_size=7), font_size=7)


def sign_pdf(
    pdf: bytes,
    credential: Credential,
    *,
    stamp_lines: tuple[str, ...],
    reason: str,
    location: str,
    timestamp_url: str = "",
) -> bytes:
    """The PDF with a PAdES baseline signature by the credential, its visible stamp on
    the signature line, and an RFC 3161 timestamp when a timestamp authority is given."""
    chain = [x509.Certificate.load(der) for der in credential.chain]
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            credential.pkcs12, other_certs=chain, passphrase=credential.passphrase
        )
    except (ValueError, TypeError) as exc:
        raise SignatureError(str(exc)) from exc
    if signer is None:
        raise SignatureError("the signing credential could not be read")
    page, box = _place(pdf)
    text = "\n".join(line.replace("%", "%%") for line in stamp_lines)
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
            text_box_style=_text_style(),
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
    status = validate_pdf_signature(embedded, context)
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
