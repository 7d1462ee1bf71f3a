"""Uploaded PDF annexes placed into the packet's own pages.

The packet reserves one page for each page of an uploaded PDF (with the packet's margins:
reference, annex title and "Page X of Y"); each annex page is then drawn, scaled, into that
page's content area, so page numbers run through the whole packet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    RectangleObject,
    StreamObject,
)

from mlat.packets.values import Annex

MM = 72 / 25.4
# The content area of a reserved annex page; the same margins as ``@page annex`` in
# packet.css (top, right, bottom, left).
ANNEX_MARGINS_MM = (24.0, 15.0, 22.0, 15.0)


@dataclass(frozen=True)
class Placement:
    """Page ``source_page`` of an annex's PDF goes onto packet page ``target_page``."""

    target_page: int
    data: bytes
    source_page: int


def pdf_page_count(data: bytes) -> int | None:
    """The number of pages of a readable, unencrypted PDF, else None."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return None
        return len(reader.pages) or None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None


def annex_page_counts(annexes: Sequence[Annex]) -> dict[int, int]:
    """Annex number -> pages, for the uploaded annexes that are PDFs pypdf can read."""
    counts: dict[int, int] = {}
    for annex in annexes:
        if annex.file is not None and annex.is_pdf:
            pages = pdf_page_count(annex.file.data)
            if pages:
                counts[annex.number] = pages
    return counts


def place_annex_pages(pdf: bytes, placements: Sequence[Placement]) -> bytes:
    """The packet with each annex page drawn into its reserved page, as a form XObject
    (the annex's content stream is copied as it is, never parsed)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    readers: dict[int, PdfReader] = {}
    for number, placement in enumerate(placements):
        reader = readers.setdefault(id(placement.data), PdfReader(io.BytesIO(placement.data)))
        source = reader.pages[placement.source_page]
        target = writer.pages[placement.target_page]
        form = page_as_form(writer, source)
        transform = fit(source.cropbox, source.rotation, target.mediabox)
        draw_form(writer, target, NameObject(f"/MlatAnnex{number}"), form, transform)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(data: bytes) -> StreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def page_as_form(writer: PdfWriter, page: PageObject) -> IndirectObject:
    """A copy of the page as a form XObject in the writer's document."""
    contents = page.get_contents()
    form = _stream(contents.get_data() if contents is not None else b"")
    resources = page.get_inherited("/Resources", DictionaryObject())
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in page.cropbox),
            NameObject("/Resources"): resources.get_object().clone(writer),
        }
    )
    return writer._add_object(form.flate_encode())


def draw_form(
    writer: PdfWriter,
    page: PageObject,
    name: NameObject,
    form: IndirectObject,
    transform: Transformation,
) -> None:
    """Draw the form on the page, over what is there, with its own graphics state."""
    resources = page[NameObject("/Resources")].get_object()
    assert isinstance(resources, DictionaryObject)
    xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
    assert isinstance(xobjects, DictionaryObject)
    xobjects[name] = form
    matrix = " ".join(f"{value:.4f}" for value in transform.ctm)
    before = writer._add_object(_stream(b"q\n"))
    after = writer._add_object(_stream(f"\nQ\nq {matrix} cm {name} Do Q\n".encode()))
    # A page's /Contents is a stream or an array of streams, each an indirect object: the
    # raw entry keeps the references (indexing the page would resolve them to the streams
    # themselves, which must not sit in an array).
    existing = page.raw_get(NameObject("/Contents"))
    content = existing.get_object()
    if isinstance(content, ArrayObject):
        parts = list(content)  # a list of the references as they are
    elif isinstance(existing, IndirectObject):
        parts = [existing]
    else:
        parts = [writer._add_object(content)]
    page[NameObject("/Contents")] = ArrayObject([before, *parts, after])


def fit(source_box: RectangleObject, rotation: int, target_box: RectangleObject) -> Transformation:
    """Turn the source page upright, scale it down to the target's content area and centre
    it there."""
    upright = (
        Transformation()
        .translate(-float(source_box.left), -float(source_box.bottom))
        .rotate(-rotation)
    )
    corners = [
        upright.apply_on((x, y))
        for x in (0.0, float(source_box.width))
        for y in (0.0, float(source_box.height))
    ]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    source_width, source_height = max(xs) - min(xs), max(ys) - min(ys)
    top, right, bottom, left = (m * MM for m in ANNEX_MARGINS_MM)
    width = float(target_box.width) - left - right
    height = float(target_box.height) - top - bottom
    scale = min(width / source_width, height / source_height, 1.0)
    x = float(target_box.left) + left + (width - source_width * scale) / 2
    y = float(target_box.bottom) + bottom + (height - source_height * scale) / 2
    return upright.translate(-min(xs), -min(ys)).scale(scale).translate(x, y)
