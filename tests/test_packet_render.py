"""The packet PDF as a reader sees it: sections in order, page labels, watermark, paper,
labels in the requested state's language, Arabic shaping, annexes and PDF/A metadata."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    PdfObject,
)

from mlat.packets.annexes import Placement, place_annex_pages
from mlat.packets.build import AnnexInput, Issuer, Record, packet_values
from mlat.packets.render import (
    html_to_pdf,
    packet_html,
    render_packet,
)
from mlat.packets.values import AnnexFile, PacketValues
from mlat.request_format import (
    Channel,
    InvestigatingAuthority,
    MeasureKind,
    Preservation,
    RequestDocument,
)
from mlat.rules.loader import rulebook

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SAMPLE = EXAMPLES / "qa-to-us-stored-content.json"
NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
SIGNED = dt.datetime(2026, 11, 22, 21, 30, tzinfo=dt.UTC)  # 23 November in Doha


def sample(**changes: Any) -> RequestDocument:
    document = RequestDocument.model_validate_json(SAMPLE.read_text())
    return document.model_copy(update=changes)


def values(
    document: RequestDocument | None = None,
    *,
    status: str = "draft",
    signed_at: dt.datetime | None = None,
    annexes: list[AnnexInput] | None = None,
) -> PacketValues:
    return packet_values(
        document or sample(),
        record=Record("DOH-2026-0001", "Phishing of a bank's customers", status, None, signed_at),
        issuer=Issuer("Cybercrime Unit, Doha", "QA", "Asia/Qatar"),
        book=rulebook(),
        annexes=annexes,
        now=NOW,
    )


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_dict(obj: PdfObject) -> DictionaryObject:
    """A value of a PDF dictionary that is a dictionary (pypdf types each as a PdfObject)."""
    assert isinstance(obj, DictionaryObject), obj
    return obj


def pdf_array(obj: PdfObject) -> ArrayObject:
    """A value of a PDF dictionary that is an array."""
    assert isinstance(obj, ArrayObject), obj
    return obj


def pdf_text(obj: PdfObject) -> str:
    """A value of a PDF dictionary that is a string."""
    assert isinstance(obj, str), obj
    return obj


def fonts(page: PageObject) -> DictionaryObject:
    return pdf_dict(pdf_dict(page["/Resources"])["/Font"])


def title_of(pdf: bytes) -> str | None:
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    return metadata.title if metadata else None


def squeezed(text: str) -> str:
    """Text without any white space, so that line and cell wrapping do not matter."""
    return re.sub(r"\s+", "", text)


def assert_in_order(text: str, expected: list[str]) -> None:
    haystack, position = squeezed(text), 0
    for item in expected:
        found = haystack.find(squeezed(item), position)
        assert found >= 0, f"{item!r} missing or out of order"
        position = found + len(squeezed(item))


def one_page_pdf(marker: str, pages: int = 1) -> bytes:
    html = "".join(
        f'<p style="break-after: page">{marker} page {n}</p>' for n in range(1, pages + 1)
    )
    pdf, _pages = html_to_pdf(f"<html><body>{html}</body></html>")
    return pdf


@pytest.fixture(scope="module")
def signed_pdf() -> bytes:
    return render_packet(values(status="signed", signed_at=SIGNED), internal=False)


@pytest.fixture(scope="module")
def draft_pdf() -> bytes:
    return render_packet(values(), internal=False)


def test_every_section_and_value_of_the_sample_appears_in_order(signed_pdf: bytes) -> None:
    d = sample()
    a = d.requesting_authority
    expected = [
        a.name, a.office, a.address, a.phone, a.email,
        "Our reference", "DOH-2026-0001", "CYB/2026/0412", "November 23, 2026",
        "Office of International Affairs, Criminal Division, U.S. Department of Justice",
        "United States",
        "Subject:", "Request for mutual legal assistance in criminal matters",
        "Phishing of a bank's customers",
        "United Nations Convention against Transnational Organized Crime",
        a.contact_person, a.office_hours, "Yours faithfully,", "Noora Al-Thani",
        "1. Reference and status", "DOH-2026-0001", "New request",
        "2. Requesting authority", a.name, a.office, a.address, a.contact_person, a.phone,
        a.email, "Asia/Qatar", a.office_hours, "Qatar",
        "3. Requested authority and channel", "United States",
        "Office of International Affairs", "https://www.justice.gov/criminal-oia",
        "America/New_York", "Central authority to central authority",
        "4. Legal basis", "United Nations Convention against Transnational Organized Crime",
        "5. Proceedings", "Investigation", "CYB/2026/0412", d.proceedings.authority,
        "6. Offences", "Offence 1", d.offences[0].name, d.offences[0].citation,
        "3 years of imprisonment", "No", d.offences[0].equivalent_offence,
        "7. Summary of facts", d.facts,
        "8. Link between the evidence sought and the offence", d.nexus,
        "9. Persons and identifiers", "Victim", "Al Waha Trading W.L.L.", "Qatar",
        "Suspect", d.persons[1].name,
        "E-mail address", "finance.alwaha@mailhost.example", "Mailhost Inc.",
        "IP address", "198.51.100.23", "2026-03-09 10:14:22 (UTC+03:00)", "Mailhost Inc.",
        "10. Measures requested", "Measure 1: Stored content data", "No. 1",
        "From March 1, 2026 to March 15, 2026", d.measures[0].details,
        "Measure 2: Traffic data", "No. 1, 2", d.measures[1].details,
        "11. Procedures to be followed", d.procedures,
        "12. Urgency and preservation", "US-PRES-2026-1182", "October 20, 2026",
        "January 18, 2027",
        "13. Confidentiality", "Yes", d.confidentiality.reason,
        "14. Assurances", "None.",
        "Signature and certification", "Noora Al-Thani", d.signatory.title,
        "Date of signature", "November 23, 2026",
        "Index of annexes", d.annexes[0].title, "Text of the offence",
        d.annexes[1].title, "Evidence", "Not included in this packet",
    ]  # fmt: skip
    assert_in_order("\n".join(pages_text(signed_pdf)), expected)


def test_every_page_carries_the_reference_and_page_x_of_y(signed_pdf: bytes) -> None:
    texts = pages_text(signed_pdf)
    assert len(texts) >= 5
    for number, text in enumerate(texts, start=1):
        assert "Reference: DOH-2026-0001" in text
        assert f"Page {number} of {len(texts)}" in text


def test_a_draft_carries_a_watermark_on_every_page(draft_pdf: bytes) -> None:
    assert all("DRAFT" in text for text in pages_text(draft_pdf))


@pytest.mark.parametrize("status", ["approved", "signed", "transmitted"])
def test_approved_and_later_packets_carry_no_watermark(status: str) -> None:
    pdf = render_packet(values(status=status), internal=False)
    assert not any("DRAFT" in text for text in pages_text(pdf))


@pytest.mark.parametrize(
    ("state", "size"), [("US", (612, 792)), ("GB", (595, 842)), ("CA", (612, 792))]
)
def test_paper_size_follows_the_rule_table(state: str, size: tuple[int, int]) -> None:
    pdf = render_packet(values(sample(requested_state=state)), internal=False)
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


def test_the_external_copy_has_no_compliance_page_and_the_internal_copy_has(
    signed_pdf: bytes,
) -> None:
    internal = render_packet(values(status="signed", signed_at=SIGNED), internal=True)
    assert "Compliance check" not in "".join(pages_text(signed_pdf))
    last = pages_text(internal)[-1]
    assert "Compliance check (internal copy)" in last
    assert "Internal copy \N{EN DASH} not for transmission" in pages_text(internal)[0]


def test_the_compliance_page_lists_findings_with_their_sources() -> None:
    from mlat.rules.engine import validate

    document = sample(nexus="", identifiers=[])
    findings = validate(document, rulebook(), NOW.date())
    assert any(f.citation for f in findings)
    with_findings = packet_values(
        document,
        record=Record("DOH-2026-0002", "Test", "draft", None, None),
        issuer=Issuer("Unit", "QA", "Asia/Qatar"),
        book=rulebook(),
        findings=findings,
        now=NOW,
    )
    text = "".join(pages_text(render_packet(with_findings, internal=True)))
    text = text[text.index("Compliance check (internal copy)") :]
    cited = next(f for f in findings if f.citation)
    assert cited.citation is not None
    assert squeezed(cited.citation.url) in squeezed(text)
    assert squeezed(cited.citation.title) in squeezed(text)
    assert "Mustbefixed" in squeezed(text)
    expected = {
        "verified": "Verifiedon",
        "stale": "Verifiedon",
        "secondary": "Checkedagainstasecondarysourceonly",
        "unverified": "Unverified",
    }
    assert expected[cited.citation.status] in squeezed(text)
    if cited.citation.locator:
        assert squeezed(cited.citation.locator) in squeezed(text)


def test_french_labels_and_a_translation_notice_for_english_text() -> None:
    french = values(sample(requested_state="FR"))
    text = "\n".join(pages_text(render_packet(french, internal=False)))
    assert "Demande d'entraide judiciaire en matière pénale" in text
    assert "Exposé des faits" in text
    assert "Texte original en anglais" in text
    assert "Page 1 sur" in text
    assert sample().facts[:60] in text  # free text stays as written


def test_no_translation_notice_when_the_text_is_in_an_accepted_language(
    signed_pdf: bytes,
) -> None:
    assert "Translation required" not in "".join(pages_text(signed_pdf))


def arabic_font_glyph_use(pdf: bytes) -> tuple[bool, Counter[str]]:
    """Whether a Noto Naskh Arabic font is embedded, and how many glyphs map to each
    character in its ToUnicode table."""
    reader = PdfReader(io.BytesIO(pdf))
    embedded, uses = False, Counter[str]()
    for page in reader.pages:
        for font in fonts(page).values():
            font = font.get_object()
            if "Naskh" not in str(font["/BaseFont"]):
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            embedded = embedded or "/FontFile2" in descriptor.get_object()
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for hexes in re.findall(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,})>", cmap):
                uses[bytes.fromhex(hexes[1]).decode("utf-16-be")] += 1
    return embedded, uses


def test_arabic_labels_are_shaped_with_an_embedded_arabic_font() -> None:
    ae = values(sample(requested_state="AE"))
    html = packet_html(ae, internal=False, annex_pages={})
    assert '<html lang="ar" dir="rtl">' in html
    pdf = render_packet(ae, internal=False)
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf_text(pdf_dict(reader.trailer["/Root"])["/Lang"]) == "ar"
    assert "طلب مساعدة قانونية متبادلة في المسائل الجنائية" in reader.pages[1].extract_text()
    embedded, uses = arabic_font_glyph_use(pdf)
    assert embedded
    # Shaping draws a letter with different glyphs at the start, middle and end of words.
    assert any(count > 1 and "\u0621" <= char <= "\u064a" for char, count in uses.items())


@pytest.mark.parametrize(
    ("language", "title", "font"),
    [
        ("ru", "Просьба о взаимной правовой помощи по уголовным делам", "Noto-Serif"),  # noqa: RUF001
        ("zh", "刑事事项司法协助请求", "Noto-Serif-CJK-SC"),
    ],
)
def test_russian_and_chinese_packets_carry_their_labels_in_an_embedded_font(
    language: str, title: str, font: str
) -> None:
    pdf = render_packet(dataclasses.replace(values(), label_language=language), internal=False)
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf_text(pdf_dict(reader.trailer["/Root"])["/Lang"]) == language
    assert squeezed(title) in squeezed(pages_text(pdf)[1])
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in reader.pages
        for f in pdf_dict(pdf_dict(page["/Resources"])["/Font"]).values()
    }
    assert any(font in name for name in fonts), fonts


def test_the_signature_block_never_stands_alone_on_a_page() -> None:
    """However long the request, the page of the signature block also carries the end of
    the request: a page with a signature alone could be put behind any text."""
    paragraph = "Records to be produced with a certificate of authenticity. " * 4
    for paragraphs in range(0, 22, 2):
        document = sample(procedures="\n\n".join([paragraph] * (paragraphs + 1)))
        pages = pages_text(render_packet(values(document), internal=False))
        page = next(text for text in pages if "Signature and certification" in text)
        before = squeezed(page.split("Signature and certification")[0])
        assert "Assurances" in before or "Confidentiality" in before, (paragraphs, page[:300])


def words_with_positions(pdf: bytes, page: int) -> list[tuple[str, float, float]]:
    """Poppler's words of a page as (word, left, top), in reading order."""
    found = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf, capture_output=True, timeout=60, check=True,
    ).stdout.decode()  # fmt: skip
    return [
        (html.unescape(word), float(left), float(top))
        for left, top, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', found
        )
    ]


def test_arabic_keeps_phone_numbers_and_english_titles_in_their_order() -> None:
    """Values in another direction are isolated: a phone number is not reversed, and an
    English title that wraps keeps its closing parenthesis at its end."""
    ae = values(sample(requested_state="AE"))
    pdf = render_packet(ae, internal=False)
    words = words_with_positions(pdf, 1)
    phone = [(left, top) for word, left, top in words if word in ("+974", "4000", "0000")]
    assert len(phone) >= 3
    first_line = sorted(p for p in phone if abs(p[1] - phone[0][1]) < 1)
    assert [w for w, left, top in sorted(words, key=lambda w: w[1])
            if (left, top) in first_line] == ["+974", "4000", "0000"]  # fmt: skip
    text = [word for word, _left, _top in words]
    assert "XVIII-12)" in text  # the title's parenthesis closes after it
    assert not [w for w in text if w.startswith((".(", "(York"))], text


def test_long_identifiers_break_after_their_punctuation_never_inside_a_word() -> None:
    """In the narrow columns of a French packet an e-mail address breaks after "@" or
    ".", and copying it from the PDF gives the address without hidden characters."""
    french = dataclasses.replace(values(), label_language="fr")
    pdf = render_packet(french, internal=False)
    layout = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, timeout=60, check=True
    ).stdout.decode()
    address = "finance.alwaha@mailhost.example"
    pieces = [
        token
        for line in layout.splitlines()
        for token in line.split()
        if token.startswith("finance.") and address.startswith(token) and token != address
    ]
    assert pieces, "the address no longer wraps in the identifiers table"
    assert all(piece[-1] in "@._-/" for piece in pieces), pieces
    assert "électronique" in layout.split() and "électroniqu" not in layout.split()
    text = "".join(pages_text(pdf))
    assert address in text and "\u200b" not in text


def annex_file(name: str, media_type: str, data: bytes) -> AnnexFile:
    return AnnexFile(name, media_type, data, NOW)


def test_an_uploaded_pdf_is_appended_as_pages_with_the_packet_margins() -> None:
    d = sample()
    bare = render_packet(values(status="approved"), internal=False)
    law = annex_file("law.pdf", "application/pdf", one_page_pdf("LAW-TEXT", pages=2))
    annexes = [
        AnnexInput(d.annexes[0].kind, d.annexes[0].title, "en", law),
        AnnexInput(d.annexes[1].kind, d.annexes[1].title, "en"),
    ]
    pdf = render_packet(values(status="approved", annexes=annexes), internal=False)
    texts, bare_count = pages_text(pdf), len(pages_text(bare))
    assert len(texts) == bare_count + 2
    assert "LAW-TEXT page 1" in texts[-2] and "LAW-TEXT page 2" in texts[-1]
    assert "Annex 1:" in texts[-1]
    assert f"Page {len(texts)} of {len(texts)}" in texts[-1]
    assert squeezed("Appended pages: 2") in squeezed("".join(texts))


def test_a_file_that_is_not_a_pdf_is_embedded_as_an_attachment() -> None:
    headers = annex_file("headers.txt", "text/plain", b"Received: from mailhost.example")
    annexes = [AnnexInput("evidence", "Headers", "en", headers)]
    pdf = render_packet(values(annexes=annexes), internal=False)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {"headers.txt": [b"Received: from mailhost.example"]}
    (listed,) = pdf_array(pdf_dict(reader.trailer["/Root"])["/AF"])
    assert listed.get_object()["/AFRelationship"] == "/Supplement"
    assert squeezed("Attached file: headers.txt") in squeezed("".join(pages_text(pdf)))


def test_the_packet_is_pdf_a_3b_with_metadata_and_embedded_fonts(signed_pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(signed_pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None
    description = xmp.rdf_root.toxml()
    assert 'pdfaid:part="3"' in description and 'pdfaid:conformance="B"' in description
    root = pdf_dict(reader.trailer["/Root"])
    assert pdf_array(root["/OutputIntents"])[0].get_object()["/S"] == "/GTS_PDFA1"
    assert pdf_text(root["/Lang"]) == "en"
    meta = reader.metadata
    assert meta is not None
    assert meta.title and "DOH-2026-0001" in meta.title
    assert meta.author == "Public Prosecution of the State of Qatar"
    assert meta.subject == "Phishing of a bank's customers"
    for page in reader.pages:
        for font in fonts(page).values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()


def test_the_packet_is_tagged_for_screen_readers(signed_pdf: bytes) -> None:
    """A structure tree gives the reading order: the title, the numbered sections, the
    tables with their header cells, in the packet's language."""
    with pikepdf.open(io.BytesIO(signed_pdf)) as pdf:
        assert bool(pdf.Root.MarkInfo.Marked)
        kinds: Counter[str] = Counter()
        headings: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, pikepdf.Array):
                for child in node:
                    walk(child)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                kinds[str(node.S)] += 1
                if str(node.S) == "/H2":
                    headings.append(str(node.S))
                if "/K" in node:
                    walk(node.K)

        walk(pdf.Root.StructTreeRoot.K)
    assert kinds["/Document"] == 1 and kinds["/H1"] == 1
    assert len(headings) >= 14  # the numbered sections of the request
    assert kinds["/Table"] >= 5 and kinds["/TH"] >= 20 and kinds["/TD"] >= 20


def test_rendering_the_same_values_twice_gives_the_same_bytes(signed_pdf: bytes) -> None:
    assert render_packet(values(status="signed", signed_at=SIGNED), internal=False) == signed_pdf


def qpdf_check(pdf: bytes, tmp_path: Path) -> str:
    """What ``qpdf --check`` says of the file: exit status 0 and no warning is a valid PDF."""
    path = tmp_path / "packet.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(out, format="PNG")
    return out.getvalue()


ANNEX_FILES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "pdf": ("law.pdf", "application/pdf", lambda: one_page_pdf("LAW-TEXT", pages=3)),
    "image": ("photo.png", "image/png", png),
    "text": ("headers.txt", "text/plain", lambda: b"Received: from mailhost.example"),
}


@pytest.mark.parametrize("kind", sorted(ANNEX_FILES))
def test_every_packet_is_a_valid_pdf_whatever_its_annexes(kind: str, tmp_path: Path) -> None:
    """qpdf finds no error and no warning, and pikepdf reads every page: an annex's pages
    once went into /Contents as direct streams, which poppler tolerated but qpdf did not."""
    name, media_type, data = ANNEX_FILES[kind]
    annexes = [AnnexInput("evidence", "Annex", "en", annex_file(name, media_type, data()))]
    pdf = render_packet(values(status="approved", annexes=annexes), internal=False)
    report = qpdf_check(pdf, tmp_path)
    assert "WARNING" not in report.upper(), report
    assert "No syntax or stream encoding errors found" in report
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == len(PdfReader(io.BytesIO(pdf)).pages)
        for page in document.pages:
            contents = page.obj.get("/Contents")
            assert contents is not None
            parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            assert all(part.is_indirect for part in parts)


def test_an_annex_drawn_on_a_page_whose_contents_are_an_array_keeps_them_indirect(
    tmp_path: Path,
) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    streams = []
    for data in (b"q\n", b"Q\n"):
        stream = DecodedStreamObject()
        stream.set_data(data)
        streams.append(writer._add_object(stream))
    page[NameObject("/Contents")] = ArrayObject(streams)
    page[NameObject("/Resources")] = DictionaryObject()
    base = io.BytesIO()
    writer.write(base)
    placed = place_annex_pages(base.getvalue(), [Placement(0, one_page_pdf("ANNEX"), 0)])
    report = qpdf_check(placed, tmp_path)
    assert "WARNING" not in report.upper(), report
    assert "ANNEX page 1" in pages_text(placed)[0]


def preservation_request() -> RequestDocument:
    """The sample, sent to the 24/7 network as a request to preserve the account's data."""
    base = sample()
    measure = base.measures[0].model_copy(update={"kind": MeasureKind.preservation})
    return base.model_copy(
        update={
            "requesting_state": "GB",
            "legal_basis": "budapest",
            "channel": Channel.network_24_7,
            "measures": [measure],
            "urgency": base.urgency.model_copy(
                update={"urgent": True, "reason": "The account may be deleted at any time."}
            ),
        }
    )


def test_a_preservation_request_is_its_own_document_under_article_29() -> None:
    """It came out as a request for mutual legal assistance, never cited Art. 29, never said
    that a request for mutual assistance would follow, and printed 'Preservation requested:
    No'."""
    packet = values(preservation_request(), status="approved")
    assert packet.document == "preservation"
    text = squeezed(" ".join(pages_text(render_packet(packet, internal=False))))
    for item in (
        "Subject: Request for expedited preservation of stored computer data",
        "under Article 29 of the Convention on Cybercrime",
        "A request for mutual assistance for the search, seizure or disclosure of the data",
        "Necessity of preservation",
        "The account may be deleted at any time.",
        "(Article 29, paragraph 2.f, of the Convention on Cybercrime)",
    ):
        assert squeezed(item) in text, item
    assert squeezed("Request for mutual legal assistance in criminal matters") not in text
    assert squeezed("Preservation requested") not in text
    assert title_of(render_packet(packet, internal=False)) == (
        "Request for expedited preservation of stored computer data \u2013 DOH-2026-0001"
    )


def test_a_preservation_request_gives_every_item_of_article_29_paragraph_2() -> None:
    """Convention on Cybercrime (CETS No. 185), Art. 29(2): "A request for preservation
    made under paragraph 1 shall specify: a the authority seeking the preservation; b the
    offence that is the subject of a criminal investigation or proceedings and a brief
    summary of the related facts; c the stored computer data to be preserved and its
    relationship to the offence; d any available information identifying the custodian
    of the stored computer data or the location of the computer system; e the necessity
    of the preservation; and f that the Party intends to submit a request for mutual
    assistance for the search or similar access, seizure or similar securing, or
    disclosure of the stored computer data." Each item is found in the packet's text,
    with the sample's own values."""
    document = preservation_request()
    text = squeezed(" ".join(pages_text(render_packet(values(document), internal=False))))
    identifiers = [i.value for i in document.identifiers]
    model = {
        "a": [document.requesting_authority.name, document.requesting_authority.office],
        "b": [document.offences[0].name, document.offences[0].citation, document.facts],
        "c": [*identifiers, "From March 1, 2026 to March 15, 2026", document.nexus],
        "d": [i.provider for i in document.identifiers if i.provider],
        "e": ["Necessity of preservation", "The account may be deleted at any time."],
        "f": ["A request for mutual assistance for the search, seizure or disclosure of "
              "the data will follow."],
    }  # fmt: skip
    for item, expected in model.items():
        assert expected, item
        for value in expected:
            assert squeezed(value) in text, f"Art. 29(2)({item}): {value!r} is missing"


def with_every_t_cy_contact(document: RequestDocument) -> RequestDocument:
    """The document with every contact the T-CY models ask for: the requesting authority's
    mobile, fax and preferred means of response (item 5), a second contact (item 6) and an
    investigating authority other than the requesting one (item 7)."""
    authority = document.requesting_authority.model_copy(
        update={
            "mobile": "+44 7700 900123",
            "fax": "+44 20 7946 0018",
            "preferred_response": "email",
            "backup_contact": document.requesting_authority.backup_contact.model_copy(
                update={"name": "Sam Patel", "phone": "+44 20 7946 0019", "email": "sp@nca.example"}
            ),
        }
    )
    investigating = InvestigatingAuthority(
        name="National Cyber Crime Unit", person="DS Jo Reid", mobile="+44 7700 900456"
    )
    return document.model_copy(
        update={"requesting_authority": authority, "investigating_authority": investigating}
    )


T_CY_CONTACTS = {
    "5": ["+44 7700 900123", "+44 20 7946 0018", "By e-mail"],
    "6": ["Second contact", "Sam Patel", "+44 20 7946 0019", "sp@nca.example"],
    "7": ["Investigating authority", "National Cyber Crime Unit", "DS Jo Reid", "+44 7700 900456"],
}


def t_cy_common_items(document: RequestDocument) -> dict[str, list[str]]:
    """Items 1, 2 and 5 to 7, the same in both T-CY models, with the document's values."""
    authority = document.requesting_authority
    return {
        "1": ["Date", "November 22, 2026"],
        "2": ["Reference", "DOH-2026-0001", document.proceedings.case_number],
        "5": [authority.name, authority.contact_person, authority.address, authority.phone,
              authority.email, authority.timezone, authority.office_hours,
              *T_CY_CONTACTS["5"]],
        "6": T_CY_CONTACTS["6"],
        "7": T_CY_CONTACTS["7"],
    }  # fmt: skip


def assert_items(text: str, model: dict[str, list[str]], name: str) -> None:
    for item, expected in model.items():
        assert expected, item
        for value in expected:
            assert squeezed(value) in squeezed(text), f"{name} item {item}: {value!r}"


def subscriber_request() -> RequestDocument:
    """The sample, asking only for the account holder's subscriber information under the
    Budapest Convention, after a preservation of the account's data."""
    base = with_every_t_cy_contact(sample())
    measure = base.measures[0].model_copy(update={"kind": MeasureKind.subscriber_info})
    return base.model_copy(
        update={
            "requesting_state": "GB",
            "legal_basis": "budapest",
            "channel": Channel.central_authority,
            "measures": [measure],
            "related_requests": ["DOH-2025-0417 of 3 October 2025"],
            "preservation": base.preservation.model_copy(
                update={
                    "requested": True,
                    "reference": "US-PRES-2026-118",
                    "requested_on": dt.date(2026, 3, 2),
                }
            ),
        }
    )


def test_a_request_for_subscriber_information_is_its_own_document_under_article_31() -> None:
    packet = values(subscriber_request(), status="approved")
    assert packet.document == "subscriber"
    text = squeezed(" ".join(pages_text(render_packet(packet, internal=False))))
    for item in (
        "Subject: Mutual legal assistance request for subscriber information",
        "under Article 31 of the Convention on Cybercrime",
        "Subscriber information requested",
    ):
        assert squeezed(item) in text, item
    assert squeezed("Request for mutual legal assistance in criminal matters") not in text
    assert title_of(render_packet(packet, internal=False)) == (
        "Mutual legal assistance request for subscriber information \u2013 DOH-2026-0001"
    )


def test_an_article_31_request_gives_every_item_of_the_t_cy_model() -> None:
    """The Cybercrime Convention Committee's model, "Mutual Legal Assistance Request for
    subscriber information under Article 31 Budapest Convention on Cybercrime"
    (T-CY(2018)10, adopted 9 July 2018), items 1 to 11: "1 date; 2 reference / case number;
    3 request status: New request, Follow up to previous MLA request, Follow up to previous
    preservation request; 4 requested authority; 5 requesting authority: organisation,
    person in charge of the request, address, telephone number, cell phone number, e-mail
    address, fax number, office hours, time zone, response preferred by means of; 6 should
    additional confirmation from the requesting authority be needed, please contact: name,
    telephone number, e-mail address; 7 investigative/operational authority in charge of
    the case (if different from requesting authority): organisation, person in charge of
    the case, address, telephone number, cell phone number, e-mail address, fax number;
    8 prosecution office or court in charge: prosecution office in charge and case number;
    9 information on previous MLA request; 10 information on previous preservation request:
    date, ticket/reference number; 11 domestic legal basis for request". Each item is found
    in the packet's text, with the request's own values, in the model's order."""
    document = subscriber_request()
    text = " ".join(pages_text(render_packet(values(document), internal=False)))
    assert_items(
        text,
        {
            **t_cy_common_items(document),
            "3": ["Type of request", "Follow-up to an earlier request for mutual legal "
                  "assistance; Follow-up to an earlier preservation request"],
            "4": ["Central authority"],
            "8": [document.proceedings.authority, document.proceedings.case_number],
            "9": ["Earlier request for mutual legal assistance",
                  "DOH-2025-0417 of 3 October 2025"],
            "10": ["Earlier preservation request", "US-PRES-2026-118", "March 2, 2026"],
            "11": ["Legal basis relied on", "Convention on Cybercrime"],
        },
        "T-CY(2018)10",
    )  # fmt: skip
    assert_in_order(
        text,
        ["Reference and status", "Requested authority and channel", "Requesting authority",
         "Second contact", "Proceedings", "Investigating authority",
         "Court or prosecutor in charge", "Earlier request for mutual legal assistance",
         "Earlier preservation request", "Legal basis"],
    )  # fmt: skip


def test_a_preservation_request_gives_every_item_of_the_t_cy_model() -> None:
    """The Cybercrime Convention Committee's "Data Preservation Request under Articles 29
    and 30 Budapest Convention on Cybercrime" (T-CY(2018)11, adopted 9 July 2018), items 1
    to 7: "1 date; 2 reference / case number; 3 request status: New request, Extension of
    previous request, ticket/reference number of previous request; 4 requested authority;
    5 requesting authority: organisation, person in charge of the request, address,
    telephone number, cell phone number, e-mail address, fax number, office hours, time
    zone, response preferred by means of; 6 should additional confirmation from the
    requesting authority be needed, please contact: name, telephone number, e-mail address;
    7 investigative/operational authority in charge of the case". An extension names the
    request it extends."""
    base = with_every_t_cy_contact(preservation_request())
    document = base.model_copy(
        update={
            "status": "extension",
            "preservation": base.preservation.model_copy(update={"reference": "US-PRES-2026-118"}),
        }
    )
    text = " ".join(pages_text(render_packet(values(document), internal=False)))
    assert_items(
        text,
        {
            **t_cy_common_items(document),
            "3": ["Type of request", "Extension of an earlier request", "US-PRES-2026-118"],
            "4": ["24/7 point of contact"],
        },
        "T-CY(2018)11",
    )  # fmt: skip


def test_a_new_article_31_request_says_it_is_new() -> None:
    document = subscriber_request().model_copy(
        update={"status": "new", "related_requests": [], "preservation": Preservation()}
    )
    text = squeezed(" ".join(pages_text(render_packet(values(document), internal=False))))
    assert squeezed("Type of request New request") in text
    assert squeezed("Earlier preservation request") not in text


def test_a_request_for_subscriber_information_in_french_reads_as_such() -> None:
    document = subscriber_request().model_copy(update={"requested_state": "FR"})
    text = squeezed(" ".join(pages_text(render_packet(values(document), internal=False))))
    assert (
        squeezed("Demande d'entraide judiciaire relative aux données relatives aux abonnés") in text
    )
    assert squeezed("au titre de l'article 31 de la Convention sur la cybercriminalité") in text


def test_subscriber_information_among_other_measures_stays_a_letter_of_request() -> None:
    document = subscriber_request()
    both = document.model_copy(update={"measures": [*document.measures, sample().measures[0]]})
    assert values(both).document == "mla"
    assert values(document.model_copy(update={"legal_basis": "untoc"})).document == "mla"
    assert values(document.model_copy(update={"document": "mla"})).document == "mla"
    assert values(both.model_copy(update={"document": "subscriber"})).document == "mla"


def test_a_preservation_request_in_french_reads_as_such() -> None:
    document = preservation_request().model_copy(update={"requested_state": "FR"})
    text = squeezed(" ".join(pages_text(render_packet(values(document), internal=False))))
    assert squeezed("Demande de conservation rapide de données informatiques stockées") in text
    assert squeezed("article 29, paragraphe 2.f, de la Convention sur la cybercriminalité") in text


def test_a_request_for_evidence_stays_a_request_for_mutual_legal_assistance() -> None:
    assert values().document == "mla"
    under_untoc = preservation_request().model_copy(update={"legal_basis": "untoc"})
    assert values(under_untoc).document == "mla"  # Art. 29 is the Budapest Convention's


def test_the_officer_may_send_a_preservation_as_a_letter_of_request() -> None:
    chosen = preservation_request().model_copy(update={"document": "mla"})
    assert values(chosen).document == "mla"
    text = squeezed(" ".join(pages_text(render_packet(values(chosen), internal=False))))
    assert squeezed("Request for mutual legal assistance in criminal matters") in text
    # a request that cannot be one is never produced as an Article 29 request
    forced = sample().model_copy(update={"document": "preservation"})
    assert values(forced).document == "mla"


def test_a_request_through_the_24_7_network_is_addressed_to_the_24_7_point_of_contact() -> None:
    """The addressee was always the central authority, whatever the channel."""
    through_network = values(preservation_request())
    assert through_network.receiving.role == "contact_24_7"
    assert through_network.receiving.name.startswith("Computer Crime and Intellectual Property")
    text = squeezed(" ".join(pages_text(render_packet(through_network, internal=False))))
    assert squeezed("24/7 point of contact") in text
    to_central = values()  # through the central authority
    assert to_central.receiving.role == "central_authority"
    assert to_central.receiving.name.startswith("Office of International Affairs")


def test_the_addressee_details_the_officer_gave_are_printed_and_unknown_ones_left_out() -> None:
    """The rule table gives the United States' central authority no address, phone or
    e-mail: the packet prints the e-mail the officer confirmed, and no dash in place of
    the others."""
    document = sample(
        addressee=sample().addressee.model_copy(update={"email": "oia.requests@example.org"})
    )
    packet = values(document)
    assert packet.receiving.email == "oia.requests@example.org"
    assert (packet.receiving.address, packet.receiving.phone) == ("", "")
    html_text = packet_html(packet, internal=False, annex_pages={}).replace("\u200b", "")
    start = html_text.index("Requested authority and channel")
    section = html_text[start : html_text.index("Legal basis", start)]
    assert "oia.requests@example.org" in section
    assert "Telephone" not in section and "Address" not in section
    assert "\u2014" not in section  # no dash for an unknown detail


def test_an_extension_names_the_preservation_it_extends() -> None:
    extension = preservation_request().model_copy(
        update={"status": "extension", "related_requests": ["DOH-2026-0001"]}
    )
    text = squeezed(" ".join(pages_text(render_packet(values(extension), internal=False))))
    assert squeezed("Type of request Extension") in text
    assert squeezed("Preservation reference US-PRES-2026-1182") in text
    assert squeezed("Preservation expires on January 18, 2027") in text


def test_assurances_print_the_undertaking_itself() -> None:
    """'Assurances' printed two bold headings and no undertaking."""
    document = sample(assurances=["death_penalty", "speciality"])
    text = squeezed(" ".join(pages_text(render_packet(values(document), internal=False))))
    authority = "Public Prosecution of the State of Qatar"
    death = "undertakes that the death penalty will not be sought, imposed or carried out."
    assert squeezed(f"{authority} {death}") in text
    assert squeezed(f"{authority} undertakes that the evidence will be used only for") in text


def test_french_labels_take_a_narrow_space_before_the_colon() -> None:
    html = packet_html(values(sample(requested_state="FR")), internal=False, annex_pages={})
    assert "Objet\u202f:" in html
    assert "Objet:" not in html
    english = packet_html(values(), internal=False, annex_pages={})
    assert "Subject:" in english


def test_the_facts_keep_their_paragraphs_as_typed_in_a_browser() -> None:
    """Paragraphs typed in a text box (which sends CR LF) ran together into one block."""
    facts = "First paragraph, line one.\r\nLine two.\r\n\r\nSecond paragraph."
    html = packet_html(values(sample(facts=facts)), internal=False, annex_pages={})
    assert '<p dir="ltr">First paragraph, line one.<br>Line two.</p>' in html
    assert '<p dir="ltr">Second paragraph.</p>' in html


def test_no_page_holds_only_the_line_saying_there_are_no_annexes() -> None:
    texts_ = pages_text(render_packet(values(sample(annexes=[])), internal=False))
    [page] = [t for t in texts_ if "Index of annexes" in t]
    assert "Signature and certification" in page


def test_an_emergency_and_the_providers_country_are_stated_in_the_packet() -> None:
    document = sample()
    urgency = document.urgency.model_copy(update={"urgent": True, "danger_to_life": True})
    first = document.identifiers[0].model_copy(update={"provider_state": "US"})
    changed = document.model_copy(
        update={"urgency": urgency, "identifiers": [first, *document.identifiers[1:]]}
    )
    text = squeezed("\n".join(pages_text(render_packet(values(changed), internal=False))))
    assert (
        text.count(squeezed("A person's life or physical safety is at risk.")) == 2
    )  # cover, request
    assert squeezed(f"{first.provider} (United States)") in text
    french = values(changed.model_copy(update={"requested_state": "FR"}))
    text = squeezed("\n".join(pages_text(render_packet(french, internal=False))))
    assert squeezed("La vie ou la sécurité physique d'une personne est en danger.") in text
    assert squeezed(f"{first.provider} (États-Unis)") in text
    plain = squeezed("\n".join(pages_text(render_packet(values(), internal=False))))
    assert squeezed("physical safety is at risk") not in plain


def test_the_fields_a_formal_request_needs_are_printed_when_given() -> None:
    """Mobile, fax, preferred means of response, languages and a second contact (T-CY
    field 5), the validating judicial authority (EIO section L), legal remedies (section
    J), and persons' addresses and identity documents."""
    document = sample()
    authority = document.requesting_authority.model_copy(
        update={
            "mobile": "+974 5550 0001",
            "fax": "+974 4440 0002",
            "preferred_response": "email",
            "languages": ["ar", "en"],
            "backup_contact": document.requesting_authority.backup_contact.model_copy(
                update={"name": "Aisha Al-Marri", "phone": "+974 4440 0003"}
            ),
        }
    )
    validating = document.validating_authority.model_copy(
        update={"name": "Court of First Instance, Doha", "person": "Judge H. Al-Naimi"}
    )
    suspect = document.persons[-1].model_copy(
        update={"address": "Al Sadd Street 12, Doha", "identity_documents": "Passport P1234567"}
    )
    changed = document.model_copy(
        update={
            "requesting_authority": authority,
            "validating_authority": validating,
            "legal_remedies": "No remedy has been sought against the order in Qatar.",
            "persons": [*document.persons[:-1], suspect],
        }
    )
    text = squeezed("\n".join(pages_text(render_packet(values(changed), internal=False))))
    for expected in (
        "Mobile phone+974 5550 0001",
        "Fax+974 4440 0002",
        "Preferred means of responseBy e-mail",
        "Languages of correspondenceArabic, English",
        "Second contactAisha Al-Marri · +974 4440 0003",
        "Validated byCourt of First Instance, Doha · Judge H. Al-Naimi",
        "Legal remediesNo remedy has been sought against the order in Qatar.",
        "Address: Al Sadd Street 12, Doha",
        "Identity documents: Passport P1234567",
    ):
        assert squeezed(expected) in text, expected
    french = values(changed.model_copy(update={"requested_state": "FR"}))
    text = squeezed("\n".join(pages_text(render_packet(french, internal=False))))
    for expected in ("Moyen de réponse préféréPar courrier électronique", "Voies de recours",
                     "Validée par", "Documents d'identité\u202f: Passport P1234567"):  # fmt: skip
        assert squeezed(expected) in text, expected
    plain = squeezed("\n".join(pages_text(render_packet(values(), internal=False))))
    assert squeezed("Legal remedies") not in plain and squeezed("Validated by") not in plain
